// A feed's health: its phase, attempts, last error and next retry; the
// way it goes (straight, or through which proxy, and who chose it); what
// its store holds today; and the controls to reconnect, pause and resume.
import { createEffect, createResource, on, Show } from "solid-js";
import type { Api } from "../api";
import type { ConnectionState } from "../bindings/ConnectionState";
import type { FeedState } from "../bindings/FeedState";
import { feedStatus, routeText } from "../lib/status";
import { ago, dayStart, until } from "../lib/time";
import { messageOf } from "../lib/errors";

interface Props {
  api: Api;
  feed: FeedState;
  now: number;
  news: number;
  onError(message: string): void;
}

/** How long the feed waits in silence before it reconnects, and why. */
export function patience(connection: ConnectionState): string {
  const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
  const stall = secs(connection.stallTimeoutMs);
  if (connection.keepaliveMs === null) return stall;
  return `${stall} (the server's keepalive was seen to take up to ${secs(connection.keepaliveMs)})`;
}

export function Health(props: Props) {
  const [activity, { refetch }] = createResource(
    () => props.feed.name,
    (feed) => props.api.activity(feed, dayStart(Date.now())),
  );
  createEffect(on(() => props.news, () => refetch(), { defer: true }));
  const status = () => feedStatus(props.feed, props.now);
  const phase = () => props.feed.connection.phase;
  const fail = (e: unknown) => props.onError(messageOf(e));

  return (
    <section class="health" aria-label={`${props.feed.name} health`}>
      <dl>
        <dt>State</dt>
        <dd data-tone={status().tone} class="state">
          {status().label}
        </dd>
        <Show when={status().detail}>
          <dt>Detail</dt>
          <dd>{status().detail}</dd>
        </Show>
        <dt>Address</dt>
        <dd class="url">{props.feed.url}</dd>
        <dt>Goes</dt>
        <dd class="route">{routeText(props.feed.route)}</dd>
        <dt>Connections opened</dt>
        <dd>{props.feed.connection.opened}</dd>
        <Show when={phase().phase === "retrying" ? phase() : null}>
          {(retrying) => {
            const r = retrying() as Extract<ReturnType<typeof phase>, { phase: "retrying" }>;
            return (
              <>
                <dt>Attempt</dt>
                <dd>{r.attempt}</dd>
                <dt>Next retry</dt>
                <dd>{until(r.at, props.now)}</dd>
              </>
            );
          }}
        </Show>
        <dt>Last error</dt>
        <dd class="last-error">{props.feed.lastError ?? "none"}</dd>
        <Show when={props.feed.problem}>
          <dt>Problem</dt>
          <dd>{props.feed.problem}</dd>
        </Show>
        <dt>Last heard</dt>
        <dd>{props.feed.connection.lastHeard === null ? "never" : ago(props.feed.connection.lastHeard, props.now)}</dd>
        <dt>Recycled after silence</dt>
        <dd>{props.feed.recycled}</dd>
        <dt>Silence borne</dt>
        <dd class="stall">{patience(props.feed.connection)}</dd>
        <Show when={props.feed.unreadable}>
          <dt>Last unreadable event</dt>
          <dd class="unreadable">{props.feed.unreadable}</dd>
        </Show>
        <dt>Events today</dt>
        <dd class="today">{activity()?.since ?? "…"}</dd>
        <dt>Events stored</dt>
        <dd>{activity()?.stored ?? "…"}</dd>
        <dt>Last event id</dt>
        <dd class="last-id">{activity()?.lastEventId ?? "none"}</dd>
      </dl>
      <div class="controls">
        <button type="button" class="reconnect" disabled={props.feed.paused} onClick={() => props.api.reconnectNow(props.feed.name).catch(fail)}>
          Reconnect now
        </button>
        <button type="button" class="pause" onClick={() => props.api.pauseFeed(props.feed.name, !props.feed.paused).catch(fail)}>
          {props.feed.paused ? "Resume" : "Pause"}
        </button>
        <Show when={props.feed.signsIn}>
          <Show
            when={props.feed.health.condition === "needsSignIn"}
            fallback={
              <button type="button" class="sign-out" onClick={() => props.api.signOut(props.feed.name).catch(fail)}>
                Sign out
              </button>
            }
          >
            <button type="button" class="sign-in" onClick={() => props.api.signIn(props.feed.name).catch(fail)}>
              Sign in…
            </button>
          </Show>
        </Show>
      </div>
    </section>
  );
}
