// A record feed's replica: each record with who changed it last and when,
// teammates' fresh changes highlighted, markers for what is new and for
// what changed while the user was away, who else is here and what they
// are looking at, and write-back (add, complete, rename, delete) when the
// feed has a write model. Every write to a record is made against the
// record as the user saw it; one refused because someone changed it first
// opens the record with the conflict.
import { createEffect, createMemo, createResource, createSignal, For, on, onCleanup, Show } from "solid-js";
import type { Api } from "../api";
import type { Change } from "../bindings/Change";
import type { Conflict } from "../bindings/Conflict";
import type { FeedRecord } from "../bindings/FeedRecord";
import type { FeedState } from "../bindings/FeedState";
import type { Write } from "../bindings/Write";
import { asHeraldError, messageOf } from "../lib/errors";
import { others } from "../lib/people";
import { ago } from "../lib/time";
import { Faces } from "./Faces";
import { OpenRecord } from "./OpenRecord";

/** How long a teammate's change stays highlighted. */
export const FRESH_MS = 6000;
/** How many recent deletions the record view lists. */
const DELETED_SHOWN = 5;
/** How often the open record is told again: the hub forgets it after a minute. */
export const VIEW_RENEW_MS = 30_000;

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
  const fail = (e: unknown) => props.onError(messageOf(e));
  const [open, setOpen] = createSignal<string | null>(null);
  const [conflict, setConflict] = createSignal<Conflict | null>(null);
  // The title of the record a conflict is about, as the user saw it: a
  // record someone deleted is made again under it.
  let conflictTitle: string | undefined;

  /** Sends a write (of roles: the feed places them); true when written.
   * A conflict opens its record. */
  const write = async (w: Write): Promise<boolean> => {
    try {
      await props.api.write(props.feed.name, w);
      return true;
    } catch (e) {
      const error = asHeraldError(e);
      if (error.kind !== "conflict") {
        fail(error);
        return false;
      }
      if (w.op !== "create") {
        conflictTitle = record(w.key)?.title;
        setOpen(w.key);
      }
      setConflict(error.conflict);
    }
    return false;
  };
  /** The user's side of a conflict, made against what is there now. */
  const applyMine = async (c: Conflict): Promise<boolean> => {
    const tried = c.tried;
    let again: Write | null;
    if (tried.op === "create") again = tried;
    else if (c.current !== null) again = { ...tried, base: c.current };
    else if (tried.op === "update") again = { op: "create", fields: { title: tried.fields.title ?? conflictTitle } };
    else again = null;
    setConflict(null);
    return again === null || (await write(again));
  };

  // The feed's state is replaced on every change of it (who is here, its
  // connection): only another feed is a new page.
  const feedName = createMemo(() => props.feed.name);
  // The open record is told to the feed's server, and again while it stays
  // open; closing it, or leaving the feed, says that none is.
  createEffect(
    on([open, feedName], ([key, feed]) => {
      const tell = () => props.api.view(feed, key).catch(() => {});
      void tell();
      if (key === null) return;
      const renew = setInterval(tell, VIEW_RENEW_MS);
      onCleanup(() => {
        clearInterval(renew);
        void props.api.view(feed, null).catch(() => {});
      });
    }),
  );
  createEffect(on(feedName, () => (setOpen(null), setConflict(null)), { defer: true }));
  const close = () => (setOpen(null), setConflict(null));
  const record = (key: string) => records()?.find((r) => r.key === key);
  const here = () => others(props.feed);
  const viewing = (key: string) => here().filter((p) => p.viewing === key);
  const lookingAt = (p: { viewing: string | null }) => {
    const at = p.viewing === null ? undefined : record(p.viewing);
    return at ? `'${at.title}'` : null;
  };

  const add = (event: SubmitEvent) => {
    event.preventDefault();
    const text = name().trim();
    if (!text) return;
    void write({ op: "create", fields: { title: text } }).then((written) => written && setName(""));
  };

  // A record a notification asked for is opened.
  createEffect(on(() => props.focus, (key) => key !== null && setOpen(key)));
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
      <Show when={here().length > 0}>
        <div class="here">
          <span class="here-label">Here now</span>
          <Faces people={here()} looking={lookingAt} label="Here now" />
        </div>
      </Show>
      <Show when={open()}>
        {(key) => (
          <OpenRecord
            recordKey={key()}
            record={record(key())}
            writable={props.feed.writable}
            now={props.now}
            viewers={viewing(key())}
            conflict={conflict()}
            onWrite={write}
            onApplyMine={applyMine}
            onKeepTheirs={() => setConflict(null)}
            onClose={close}
          />
        )}
      </Show>
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
                    onChange={(e) => {
                      const box = e.currentTarget;
                      const done: Write = { op: "update", key: record.key, fields: { flag: box.checked }, base: record.value };
                      void write(done).then((written) => written || (box.checked = record.flag === true));
                    }}
                  />
                </Show>
                <div class="body">
                  <button
                    type="button"
                    class="name"
                    aria-expanded={open() === record.key}
                    onClick={() => (setConflict(null), setOpen(open() === record.key ? null : record.key))}
                  >
                    {record.title}
                  </button>
                  <Show when={last()}>
                    {(change) => (
                      <span class="meta">
                        <bdi>{change().summary}</bdi> · {ago(change().at, props.now)}
                      </span>
                    )}
                  </Show>
                </div>
                <Faces people={viewing(record.key)} looking={lookingAt} label={`Looking at ${record.title}`} />
                <Show when={marker(last(), props.now)}>{(text) => <span class="badge marker">{text()}</span>}</Show>
                <Show when={props.feed.writable}>
                  <button
                    type="button"
                    class="delete"
                    aria-label={`Delete: ${record.title}`}
                    onClick={() => void write({ op: "delete", key: record.key, base: record.value })}
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
