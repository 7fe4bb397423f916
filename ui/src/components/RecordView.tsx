// A record feed's replica: each record with who changed it last and when,
// teammates' fresh changes highlighted, markers for what is new and for
// what changed while the user was away, and write-back (add, complete,
// delete) when the feed has a write model.
import { createEffect, createResource, createSignal, For, on, Show } from "solid-js";
import type { Api } from "../api";
import type { Change } from "../bindings/Change";
import type { FeedRecord } from "../bindings/FeedRecord";
import type { FeedState } from "../bindings/FeedState";
import { ago } from "../lib/time";

/** How long a teammate's change stays highlighted. */
export const FRESH_MS = 6000;
/** How many recent deletions the record view lists. */
const DELETED_SHOWN = 5;

interface Props {
  api: Api;
  feed: FeedState;
  now: number;
  /** Bumped when news about this feed arrives. */
  news: number;
  /** The record a notification click asked to show. */
  focus: string | null;
  onError(message: string): void;
}

function marker(change: Change | null, now: number): string | null {
  if (!change || change.own) return null;
  if (change.missed) return "changed while you were away";
  if (change.action === "created" && now - change.at < 24 * 3600_000) return "new";
  return null;
}

export function RecordView(props: Props) {
  const [records, { refetch }] = createResource(() => props.feed.name, (feed) => props.api.records(feed));
  // Records that are gone leave no row: the last few deletions are shown below.
  const [deleted, { refetch: refetchDeleted }] = createResource(
    () => props.feed.name,
    (feed) => props.api.timeline({ feed, action: "deleted", limit: DELETED_SHOWN }),
  );
  createEffect(
    on(() => props.news, () => (refetch(), refetchDeleted()), { defer: true }),
  );
  const [name, setName] = createSignal("");
  const fail = (e: unknown) => props.onError(String(e));
  const write = (w: Parameters<Api["write"]>[1]) => props.api.write(props.feed.name, w);

  const add = (event: SubmitEvent) => {
    event.preventDefault();
    const text = name().trim();
    if (!text) return;
    write({ op: "create", fields: { name: text } }).then(() => setName(""), fail);
  };

  // Brings a focused record into view once it is shown.
  createEffect(() => {
    const key = props.focus;
    if (key === null || !records()) return;
    queueMicrotask(() => {
      const item = document.querySelector<HTMLElement>(`li.record[data-key="${CSS.escape(key)}"]`);
      item?.scrollIntoView({ block: "center" });
      item?.focus();
    });
  });

  const fresh = (record: FeedRecord) => {
    const c = record.lastChange;
    return c !== null && !c.own && props.now - c.at < FRESH_MS;
  };

  return (
    <section class="records-view" aria-label={`${props.feed.name} records`}>
      <Show when={props.feed.writable}>
        <form class="add-form" autocomplete="off" onSubmit={add}>
          <label class="visually-hidden" for="new-record">
            New task
          </label>
          <input
            id="new-record"
            name="name"
            type="text"
            maxLength={500}
            placeholder="Add a task for the team"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit">Add</button>
        </form>
      </Show>
      <ul class="records" aria-label="Records">
        <For each={records() ?? []}>
          {(record) => {
            const last = () => record.lastChange;
            return (
              <li
                class="record"
                tabIndex={-1}
                data-key={record.key}
                classList={{ done: record.flag === true, fresh: fresh(record), focused: props.focus === record.key }}
              >
                <Show when={record.flag !== null}>
                  <input
                    type="checkbox"
                    checked={record.flag === true}
                    disabled={!props.feed.writable}
                    aria-label={`Done: ${record.title}`}
                    onChange={(e) => write({ op: "update", key: record.key, fields: { done: e.currentTarget.checked } }).catch(fail)}
                  />
                </Show>
                <div class="body">
                  <span class="name">{record.title}</span>
                  <Show when={last()}>
                    {(change) => (
                      <span class="meta">
                        <bdi>{change().summary}</bdi> · {ago(change().at, props.now)}
                      </span>
                    )}
                  </Show>
                </div>
                <Show when={marker(last(), props.now)}>{(text) => <span class="badge marker">{text()}</span>}</Show>
                <Show when={props.feed.writable}>
                  <button
                    type="button"
                    class="delete"
                    aria-label={`Delete: ${record.title}`}
                    onClick={() => write({ op: "delete", key: record.key }).catch(fail)}
                  >
                    ×
                  </button>
                </Show>
              </li>
            );
          }}
        </For>
      </ul>
      <Show when={records() && records()!.length === 0}>
        <p class="empty">Nothing here yet.</p>
      </Show>
      <Show when={(deleted()?.entries.length ?? 0) > 0}>
        <h2 id="deleted-heading">Recently deleted</h2>
        <ul class="deleted" aria-labelledby="deleted-heading">
          <For each={deleted()!.entries}>
            {(entry) => (
              <li class="record gone">
                <span class="badge marker">{entry.change.missed ? "deleted while you were away" : "deleted"}</span>
                <span class="meta">
                  <bdi>{entry.change.summary}</bdi> · {ago(entry.change.at, props.now)}
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
