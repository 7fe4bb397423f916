// The timeline as a list of `total` entries fetched a page at a time, as
// the virtual list scrolls to them. A new query, or news, starts afresh.
import { createSignal } from "solid-js";
import type { Api } from "../api";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import type { TimelineQuery } from "../bindings/TimelineQuery";
import { messageOf } from "../lib/errors";

export const PAGE = 100;

export interface Paged {
  total(): number;
  /** The entry at `index`, if its page is in; asks for the page if not. */
  entry(index: number): TimelineEntry | undefined;
  /** Forgets every page and counts again, for `query`. */
  reset(query: TimelineQuery): void;
  /** Marks an entry read here, as the store already has it. */
  markRead(id: number): void;
  /** The last failure, if any. */
  error(): string | null;
}

export function createPaged(api: Api, first: TimelineQuery): Paged {
  let query = first;
  let generation = 0;
  const pages = new Map<number, TimelineEntry[] | "loading">();
  const [total, setTotal] = createSignal(0);
  const [version, setVersion] = createSignal(0);
  const [error, setError] = createSignal<string | null>(null);

  const load = (page: number) => {
    if (pages.has(page)) return;
    pages.set(page, "loading");
    const asked = generation;
    api
      .timeline({ ...query, offset: page * PAGE, limit: PAGE })
      .then((result) => {
        if (asked !== generation) return;
        pages.set(page, result.entries);
        if (result.total !== null) setTotal(result.total);
        setError(null);
        setVersion((v) => v + 1);
      })
      .catch((e) => {
        if (asked !== generation) return;
        pages.delete(page);
        setError(messageOf(e));
      });
  };

  const reset = (next: TimelineQuery) => {
    query = next;
    generation += 1;
    pages.clear();
    setVersion((v) => v + 1);
    load(0);
  };
  reset(first);

  return {
    total,
    error,
    entry(index) {
      version();
      const page = Math.floor(index / PAGE);
      const entries = pages.get(page);
      if (entries === undefined) queueMicrotask(() => load(page));
      return entries === undefined || entries === "loading" ? undefined : entries[index % PAGE];
    },
    reset,
    markRead(id) {
      for (const entries of pages.values()) {
        if (entries === "loading") continue;
        const at = entries.findIndex((e) => e.id === id);
        if (at >= 0) entries[at] = { ...entries[at], read: true };
      }
      setVersion((v) => v + 1);
    },
  };
}
