// The window: the sidebar beside the page it opens. It listens to the
// engine's events once, and hands each page what it shows.
import { createResource, createSignal, For, Match, onCleanup, onMount, Show, Switch } from "solid-js";
import type { Api } from "../api";
import type { Change } from "../bindings/Change";
import type { Status } from "../bindings/Status";
import type { StoreRecovery } from "../bindings/StoreRecovery";
import type { Target } from "../bindings/Target";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import { FeedEditor } from "../components/FeedEditor";
import { Health } from "../components/Health";
import { MessageView } from "../components/MessageView";
import { Upcoming } from "../components/Upcoming";
import { RecordView } from "../components/RecordView";
import { Settings } from "../components/Settings";
import { Sidebar } from "../components/Sidebar";
import { Timeline } from "../components/Timeline";
import { feedStatus } from "../lib/status";
import { createFeeds } from "./feeds";
import type { Route, Tab } from "./route";
import { messageOf } from "../lib/errors";
import { recoveryText } from "../lib/recovery";

const TABS: [Tab, string][] = [
  ["records", "Records"],
  ["timeline", "Timeline"],
  ["health", "Health"],
];

export function App(props: { api: Api }) {
  const api = props.api;
  const feeds = createFeeds(api);
  const [route, setRoute] = createSignal<Route>({ page: "all" });
  const [now, setNow] = createSignal(Date.now());
  const [news, setNews] = createSignal(0);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [recovery, setRecovery] = createSignal<StoreRecovery | null>(null);
  const showStatus = (status: Status) => {
    setNotice(status.notificationsError);
    setRecovery(status.storeRecovery);
  };
  const [problem, setProblem] = createSignal<string | null>(null);
  const fail = (message: string) => setProblem(message);

  // A digest's target is a timeline (of every feed, when its feed is
  // empty); a change's is its record, on a record feed.
  const openTarget = (target: Target) => {
    const since = target.since ?? undefined;
    if (target.feed === "") return setRoute({ page: "all", since });
    const feed = feeds.get(target.feed);
    const tab: Tab = feed?.kind === "record" && since === undefined ? "records" : "timeline";
    setRoute({ page: "feed", feed: target.feed, tab, focus: target.key, since });
  };
  const since = () => {
    const r = route();
    return r.page === "all" || r.page === "feed" ? r.since : undefined;
  };
  const everything = () => {
    const r = route();
    if (r.page === "all" || r.page === "feed") setRoute({ ...r, since: undefined });
  };
  // A message with more than words (buttons, pictures, markdown) opens in
  // full; a record opens among its feed's records; a plain message's link
  // opens in the browser.
  const [message, setMessage] = createSignal<TimelineEntry | null>(null);
  const openEntry = (entry: TimelineEntry) => {
    const change: Change = entry.change;
    if (change.key !== null && feeds.get(change.feed)?.kind === "record") {
      setRoute({ page: "feed", feed: change.feed, tab: "records", focus: change.key });
    } else if (change.extras !== undefined || entry.withdrawn || entry.results.length > 0) {
      setMessage(entry);
    } else if (change.click !== null) {
      api.openLink(change.click).catch((e) => fail(messageOf(e)));
    }
  };

  onMount(async () => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const poll = setInterval(() => feeds.refresh().catch((e) => fail(messageOf(e))), 10_000);
    onCleanup(() => (clearInterval(tick), clearInterval(poll)));
    try {
      await api.onChanges(() => setNews((n) => n + 1));
      await api.onStatus(showStatus);
      await api.onFocus(openTarget);
      // Pushes were lost: what is shown may be stale, so all of it is read again.
      await api.onLagged(() => {
        setNews((n) => n + 1);
        feeds.refresh().catch((e) => fail(messageOf(e)));
      });
      await feeds.start();
      showStatus(await api.appStatus());
      const wanted = await api.takeFocus();
      if (wanted !== null) openTarget(wanted);
      // One feed: open it, unless the user has already gone somewhere.
      else if (feeds.list.length === 1 && route().page === "all") {
        openTarget({ feed: feeds.list[0].name, key: null, click: null, since: null });
      }
    } catch (e) {
      fail(messageOf(e));
    }
  });

  const openSaved = (name: string) => {
    feeds.refresh().catch((e) => fail(messageOf(e)));
    setRoute({ page: "feed", feed: name, tab: "health" });
  };
  const editing = () => {
    const r = route();
    return r.page === "edit" ? r.feed : undefined;
  };

  const current = () => {
    const r = route();
    return r.page === "feed" ? feeds.get(r.feed) : undefined;
  };

  return (
    <div class="layout">
      <Sidebar feeds={feeds.list} route={route()} now={now()} onOpen={setRoute} />
      <main>
        <Show when={notice()}>
          <p class="notice" role="alert">
            {notice()}
          </p>
        </Show>
        <Show when={recovery()} keyed>
          {(r) => (
            <p class="notice problem" role="alert">
              {recoveryText(r)}{" "}
              <button type="button" class="dismiss" onClick={() => setRecovery(null)}>
                Dismiss
              </button>
            </p>
          )}
        </Show>
        <Show when={problem()}>
          <p class="notice problem" role="status">
            {problem()}{" "}
            <button type="button" class="dismiss" onClick={() => setProblem(null)}>
              Dismiss
            </button>
          </p>
        </Show>
        <Show when={message()} keyed>
          {(entry) => <MessageView api={api} entry={entry} now={now()} onClose={() => setMessage(null)} />}
        </Show>
        <Switch>
          <Match when={route().page === "all"}>
            <header>
              <h1>All activity</h1>
            </header>
            <Timeline
              api={api}
              feedNames={feeds.list.map((f) => f.name)}
              since={since()}
              onEverything={everything}
              now={now()}
              news={news()}
              onOpen={openEntry}
              onError={fail}
            />
          </Match>
          <Match when={route().page === "settings"}>
            <header>
              <h1>Settings</h1>
            </header>
            <Settings api={api} feedNames={feeds.list.map((f) => f.name)} onError={fail} />
          </Match>
          <Match when={route().page === "add"}>
            <header>
              <h1>Add a feed</h1>
            </header>
            <FeedEditor api={api} onSaved={openSaved} onRemoved={() => setRoute({ page: "all" })} />
          </Match>
          <Match when={editing()}>
            {(name) => {
              const [form] = createResource(name, (feed) => api.feedForm(feed));
              return (
                <>
                  <header>
                    <h1>Edit {name()}</h1>
                  </header>
                  <Show when={form()} keyed>
                    {(initial) => (
                      <FeedEditor api={api} initial={initial} onSaved={openSaved} onRemoved={() => setRoute({ page: "all" })} />
                    )}
                  </Show>
                </>
              );
            }}
          </Match>
          <Match when={current()}>
            {(feed) => {
              const r = () => route() as Extract<Route, { page: "feed" }>;
              const tabs = () => TABS.filter(([tab]) => tab !== "records" || feed().kind === "record");
              const status = () => feedStatus(feed(), now());
              return (
                <>
                  <header>
                    <h1>{feed().name}</h1>
                    <span class="pill" data-tone={status().tone} title={status().detail}>
                      {status().label}
                    </span>
                    <button type="button" class="edit" onClick={() => setRoute({ page: "edit", feed: feed().name })}>
                      Edit
                    </button>
                    <p class="source">{feed().url}</p>
                    <Show when={feed().problem}>
                      <p class="notice problem" role="status">
                        {feed().problem}
                      </p>
                    </Show>
                  </header>
                  <nav class="tabs" aria-label="Feed pages">
                    <For each={tabs()}>
                      {([tab, label]) => (
                        <button
                          type="button"
                          aria-current={r().tab === tab ? "page" : undefined}
                          data-tab={tab}
                          onClick={() => setRoute({ page: "feed", feed: feed().name, tab })}
                        >
                          {label}
                        </button>
                      )}
                    </For>
                  </nav>
                  <Switch>
                    <Match when={r().tab === "records"}>
                      <RecordView api={api} feed={feed()} now={now()} news={news()} focus={r().focus ?? null} onError={fail} />
                    </Match>
                    <Match when={r().tab === "timeline"}>
                      <Show when={feed().preset === "ntfy"}>
                        <Upcoming api={api} feed={feed().name} />
                      </Show>
                      <Timeline
                        api={api}
                        feed={feed().name}
                        feedNames={[]}
                        since={since()}
                        onEverything={everything}
                        now={now()}
                        news={news()}
                        onOpen={openEntry}
                        onError={fail}
                      />
                    </Match>
                    <Match when={r().tab === "health"}>
                      <Health api={api} feed={feed()} now={now()} news={news()} onError={fail} />
                    </Match>
                  </Switch>
                </>
              );
            }}
          </Match>
        </Switch>
      </main>
    </div>
  );
}
