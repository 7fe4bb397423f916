// Every feed's events, or one feed's, newest first and grouped by day: a
// virtual list (TanStack Virtual) over pages fetched as they come into
// view, so 100,000 stored events scroll like ten. Search and filters run
// in the store (SQLite FTS5); matches come back marked.
import { createVirtualizer } from "@tanstack/solid-virtual";
import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js";
import type { Api } from "../api";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import type { TimelineQuery } from "../bindings/TimelineQuery";
import { createPaged } from "../app/paged";
import { ago, dayLabel, dayStart } from "../lib/time";
import { markdownText } from "../lib/markdown";
import { Marked } from "./Marked";
import { noFilters, TimelineFilters, type Filters } from "./TimelineFilters";
import { messageOf } from "../lib/errors";

/** The most characters of a title or body a row shows. */
const SHOWN = 400;
/**
 * Every row's height, in pixels (see `.row` in style.css). Rows are one
 * height so that the virtual list never measures them: with 100,000 rows,
 * measuring costs a pass over every row after each one measured.
 */
export const ROW_HEIGHT = 92;
/** How long typing may pause before the search runs. */
const TYPING_MS = 200;

const short = (text: string) => (text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text);

interface Props {
  api: Api;
  /** One feed's timeline; every feed's when absent. */
  feed?: string;
  /** The feeds to filter by, on the every-feed timeline. */
  feedNames: string[];
  /** Only what came at or after this time (a digest's changes). */
  since?: number;
  /** Shows everything again, not only what came since. */
  onEverything?(): void;
  now: number;
  /** Bumped by the app when news arrives. */
  news: number;
  onOpen(entry: TimelineEntry): void;
  onError(message: string): void;
}

function toQuery(filters: Filters, feed: string | undefined, since: number | undefined): TimelineQuery {
  const query: TimelineQuery = {};
  if (since !== undefined) query.since = since;
  const chosen = feed ?? filters.feed;
  if (chosen) query.feed = chosen;
  if (filters.text.trim()) query.text = filters.text;
  if (filters.actor) query.actor = filters.actor;
  if (filters.action) query.action = filters.action;
  if (filters.missed) query.missed = true;
  if (filters.unread) query.unread = true;
  return query;
}

export function Timeline(props: Props) {
  const [filters, setFilters] = createSignal<Filters>(noFilters);
  const query = () => toQuery(filters(), props.feed, props.since);
  const paged = createPaged(props.api, query());
  let scroller!: HTMLDivElement;

  // A new feed or filter starts afresh at once; typing waits for a pause.
  let typing: ReturnType<typeof setTimeout> | undefined;
  createEffect(
    on([() => props.feed, filters, () => props.since], ([, now], previous) => {
      clearTimeout(typing);
      const typed = previous !== undefined && previous[1].text !== now.text;
      if (typed) typing = setTimeout(() => paged.reset(query()), TYPING_MS);
      else paged.reset(query());
    }, { defer: true }),
  );
  // News: at most one refresh per pause, however fast events come.
  let refresh: ReturnType<typeof setTimeout> | undefined;
  createEffect(
    on(() => props.news, () => {
      if (refresh === undefined) refresh = setTimeout(() => ((refresh = undefined), paged.reset(query())), 300);
    }, { defer: true }),
  );
  onCleanup(() => (clearTimeout(typing), clearTimeout(refresh)));
  createEffect(() => {
    const failed = paged.error();
    if (failed) props.onError(failed);
  });

  // For the benchmark (herald-timeline): when the first rows are painted.
  let painted = false;
  createEffect(() => {
    if (!painted && paged.entry(0)) {
      painted = true;
      requestAnimationFrame(() => performance.mark("herald:first-rows"));
    }
  });

  // The first row in view, for the day line above the list: told by the
  // virtual list, so that showing it never reads the layout.
  const [top, setTop] = createSignal(0);
  const rows = createVirtualizer({
    get count() {
      return paged.total();
    },
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    onChange: (list) => setTop(list.range?.startIndex ?? 0),
  });
  const topDay = () => {
    const entry = paged.entry(top());
    return entry ? dayLabel(entry.change.at, props.now) : "";
  };

  const open = (entry: TimelineEntry) => {
    if (!entry.read) {
      props.api.markRead(null, [entry.id]).then(() => paged.markRead(entry.id), (e) => props.onError(messageOf(e)));
    }
    props.onOpen(entry);
  };
  const markAll = () =>
    props.api.markRead(props.feed ?? null, []).then(() => paged.reset(query()), (e) => props.onError(messageOf(e)));

  const newDay = (index: number, entry: TimelineEntry) => {
    if (index === 0) return true;
    const before = paged.entry(index - 1);
    return before !== undefined && dayStart(before.change.at) !== dayStart(entry.change.at);
  };

  return (
    <section class="timeline" aria-label={props.feed ? `${props.feed} timeline` : "All activity"}>
      <div class="toolbar">
        <TimelineFilters filters={filters()} feeds={props.feed ? null : props.feedNames} onChange={setFilters} />
        <div class="actions">
          <span class="total" aria-live="polite">
            {paged.total()} {paged.total() === 1 ? "event" : "events"}
          </span>
          <button type="button" onClick={markAll}>
            Mark all read
          </button>
        </div>
      </div>
      <Show when={props.since !== undefined}>
        <p class="since" role="status">
          Since {new Date(props.since!).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" })}{" "}
          <button type="button" class="everything" onClick={() => props.onEverything?.()}>
            Show everything
          </button>
        </p>
      </Show>
      <p class="current-day" aria-hidden="true">
        {topDay()}
      </p>
      <div class="scroller" ref={scroller} tabIndex={-1}>
        <Show when={paged.total() > 0} fallback={<p class="empty">Nothing here yet.</p>}>
          <ol class="rows" style={{ height: `${rows.getTotalSize()}px` }} aria-label="Events">
            <For each={rows.getVirtualItems()}>
              {(row) => {
                const entry = () => paged.entry(row.index);
                return (
                  <li
                    class="row"
                    classList={{ "day-start": entry() !== undefined && newDay(row.index, entry()!) }}
                    data-index={row.index}
                    style={{ transform: `translateY(${row.start}px)`, height: `${ROW_HEIGHT}px` }}
                  >
                    <Show when={entry()} fallback={<div class="loading">Loading…</div>}>
                      {(shown) => (
                        <EntryButton
                          entry={shown()}
                          now={props.now}
                          showFeed={!props.feed}
                          day={newDay(row.index, shown()) ? dayLabel(shown().change.at, props.now) : null}
                          onOpen={open}
                        />
                      )}
                    </Show>
                  </li>
                );
              }}
            </For>
          </ol>
        </Show>
      </div>
    </section>
  );
}

interface EntryProps {
  entry: TimelineEntry;
  now: number;
  showFeed: boolean;
  /** The day's name, on the first event of a day. */
  day: string | null;
  onOpen(e: TimelineEntry): void;
}

function EntryButton(props: EntryProps) {
  const change = () => props.entry.change;
  const body = () => {
    const c = change();
    if (c.body === null || c.body === c.title) return null;
    // Markdown reads as its words here; the message view renders it.
    return c.extras?.markdown ? markdownText(c.body) : c.body;
  };
  return (
    <button
      type="button"
      class="entry-open"
      classList={{ unread: !props.entry.read, own: change().own, missed: change().missed }}
      data-id={props.entry.id}
      data-action={change().action}
      data-priority={change().priority ?? undefined}
      onClick={() => props.onOpen(props.entry)}
    >
      <span class="summary">
        <Show when={props.entry.marked} fallback={short(change().summary)}>
          {(marked) => <Marked text={short(marked())} />}
        </Show>
      </span>
      <Show when={body()}>{(text) => <span class="body">{short(text())}</span>}</Show>
      <Show when={props.entry.snippet}>{(snippet) => <span class="snippet"><Marked text={snippet()} /></span>}</Show>
      <span class="meta">
        <Show when={props.day}>{(day) => <strong class="day">{day()}</strong>}</Show>
        <Show when={!props.entry.read}>
          <span class="badge unread-badge">unread</span>
        </Show>
        <Show when={change().missed}>
          <span class="badge missed-badge">changed while you were away</span>
        </Show>
        <Show when={props.showFeed}>
          <bdi class="feed-name">{change().feed}</bdi>
        </Show>
        <Show when={change().tags.length > 0}>
          <bdi class="tags">{short(change().tags.join(" · "))}</bdi>
        </Show>
        <Show when={change().click}>{(link) => <bdi class="link">{short(link())}</bdi>}</Show>
        <time dateTime={new Date(change().at).toISOString()}>{ago(change().at, props.now)}</time>
      </span>
    </button>
  );
}
