// Every feed's state as the engine last told it, kept current by its
// events: the sidebar, the health page and the views read it.
import { createStore, produce, reconcile } from "solid-js/store";
import type { Api } from "../api";
import type { FeedState } from "../bindings/FeedState";

export interface Feeds {
  /** By name, in the order the engine lists them. */
  readonly list: FeedState[];
  get(name: string): FeedState | undefined;
  /** Fetches every feed afresh (for `last heard`, which ticks without events). */
  refresh(): Promise<void>;
  /** Starts listening; resolves once the first list is in. */
  start(): Promise<void>;
}

export function createFeeds(api: Api): Feeds {
  const [state, setState] = createStore<{ list: FeedState[] }>({ list: [] });
  const put = (feed: FeedState) =>
    setState(
      produce((s) => {
        const at = s.list.findIndex((f) => f.name === feed.name);
        if (at >= 0) s.list[at] = feed;
        else s.list.push(feed);
      }),
    );
  const refresh = async () => setState("list", reconcile(await api.feeds(), { key: "name" }));
  return {
    get list() {
      return state.list;
    },
    get: (name) => state.list.find((f) => f.name === name),
    refresh,
    async start() {
      await api.onFeed(put);
      await api.onRemoved((name) => setState("list", (list) => list.filter((f) => f.name !== name)));
      await refresh();
    },
  };
}
