// Every feed with its state, unread count and when it was last heard, and
// the way to every page. Up and down move between entries; Enter opens one.
import { For, Show } from "solid-js";
import type { FeedState } from "../bindings/FeedState";
import type { Route } from "../app/route";
import { feedStatus } from "../lib/status";
import { ago } from "../lib/time";

interface Props {
  feeds: FeedState[];
  route: Route;
  now: number;
  onOpen(route: Route): void;
}

/** Moves focus to the next or previous entry on the arrow keys. */
function arrows(event: KeyboardEvent) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const nav = event.currentTarget as HTMLElement;
  const entries = [...nav.querySelectorAll<HTMLButtonElement>("button.entry")];
  const at = entries.indexOf(document.activeElement as HTMLButtonElement);
  const next = event.key === "ArrowDown" ? Math.min(at + 1, entries.length - 1) : Math.max(at - 1, 0);
  entries[next]?.focus();
  event.preventDefault();
}

export function Sidebar(props: Props) {
  const current = (name: string) => props.route.page === "feed" && props.route.feed === name;
  return (
    <nav class="sidebar" aria-label="Feeds" onKeyDown={arrows}>
      <button
        type="button"
        class="entry all"
        aria-current={props.route.page === "all" ? "page" : undefined}
        onClick={() => props.onOpen({ page: "all" })}
      >
        <span class="name">All activity</span>
        <Show when={props.feeds.reduce((n, f) => n + f.unread, 0) > 0}>
          <span class="count" aria-label="unread">
            {props.feeds.reduce((n, f) => n + f.unread, 0)}
          </span>
        </Show>
      </button>
      <h2 id="feeds-heading">Feeds</h2>
      <ul aria-labelledby="feeds-heading">
        <For each={props.feeds}>
          {(feed) => {
            const status = () => feedStatus(feed, props.now);
            const heard = () => feed.connection.lastHeard;
            return (
              <li>
                <button
                  type="button"
                  class="entry feed"
                  data-feed={feed.name}
                  data-tone={status().tone}
                  aria-current={current(feed.name) ? "page" : undefined}
                  onClick={() =>
                    props.onOpen({ page: "feed", feed: feed.name, tab: feed.kind === "record" ? "records" : "timeline" })
                  }
                >
                  <span class="dot" aria-hidden="true" />
                  <span class="name">{feed.name}</span>
                  <Show when={feed.unread > 0}>
                    <span class="count" data-unread={feed.unread} aria-label={`${feed.unread} unread`}>
                      {feed.unread}
                    </span>
                  </Show>
                  <span class="state">
                    {status().label}
                    <Show when={heard() !== null}>{` · last heard ${ago(heard()!, props.now)}`}</Show>
                  </span>
                </button>
              </li>
            );
          }}
        </For>
      </ul>
      <Show when={props.feeds.length === 0}>
        <p class="empty">No feeds yet.</p>
      </Show>
      <button
        type="button"
        class="entry add"
        aria-current={props.route.page === "add" ? "page" : undefined}
        onClick={() => props.onOpen({ page: "add" })}
      >
        <span class="name">Add a feed</span>
      </button>
      <button
        type="button"
        class="entry settings"
        aria-current={props.route.page === "settings" ? "page" : undefined}
        onClick={() => props.onOpen({ page: "settings" })}
      >
        <span class="name">Settings</span>
      </button>
    </nav>
  );
}
