import * as api from "./api";
import type { Change } from "./bindings/Change";
import type { FeedState } from "./bindings/FeedState";
import type { Target } from "./bindings/Target";
import { refreshTimes, renderActivity, renderFeed, renderMessages, renderPicker, renderRecords, showNotice } from "./render";

/** How long a teammate's change stays highlighted. */
const FRESH_MS = 6000;
/** How many changes the activity list keeps. */
const ACTIVITY_LENGTH = 6;
/** How many messages a message feed's list keeps. */
const MESSAGES_LENGTH = 200;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const picker = byId<HTMLSelectElement>("feed");
const recordView = byId("record-view");
const messageView = byId("message-view");
const list = byId("records");
const messagesList = byId("messages");
const empty = byId("empty");
const noMessages = byId("no-messages");
const activity = byId("activity");
const notice = byId("notice");
const form = byId<HTMLFormElement>("add-form");
const input = byId<HTMLInputElement>("new-task");

const feeds = new Map<string, FeedState>();
let selected: string | null = null;
/** The last change of each record, by feed then key. */
const lastChange = new Map<string, Map<string, Change>>();
const fresh = new Map<string, number>(); // key -> highlighted until, in the selected feed
const recent: Change[] = [];
let messages: Change[] = [];
let focused: string | null = null;

const fail = (e: unknown) => showNotice(notice, String(e));
const current = () => (selected === null ? undefined : feeds.get(selected));

const handlers = {
  toggle: (key: string, done: boolean) => {
    if (selected) api.write(selected, { op: "update", key, fields: { done } }).catch(fail);
  },
  remove: (key: string) => {
    if (selected) api.write(selected, { op: "delete", key }).catch(fail);
  },
};

async function reload(): Promise<void> {
  const feed = current();
  if (!feed) return;
  recordView.hidden = feed.kind !== "record";
  messageView.hidden = feed.kind === "record";
  form.hidden = !(feed.kind === "record" && feed.writable);
  if (feed.kind === "record") {
    const records = await api.records(feed.name);
    const now = Date.now();
    for (const [key, until] of fresh) if (until <= now) fresh.delete(key);
    const view = {
      records,
      lastChange: lastChange.get(feed.name) ?? new Map(),
      fresh: new Set(fresh.keys()),
      focused,
      writable: feed.writable,
    };
    renderRecords(list, view, handlers);
    empty.hidden = records.length > 0;
  } else {
    renderMessages(messagesList, messages);
    noMessages.hidden = messages.length > 0;
  }
}

async function select(name: string): Promise<void> {
  if (selected !== name) {
    selected = name;
    fresh.clear();
    focused = null;
    const feed = feeds.get(name);
    messages = feed && feed.kind !== "record" ? (await api.recent(name)).reverse() : [];
  }
  const feed = current();
  renderPicker(picker, [...feeds.values()], selected);
  if (feed) renderFeed(byId("connection"), byId("source"), byId("problem"), feed);
  await reload();
}

function focusTarget(target: Target): void {
  const go = target.feed === selected ? Promise.resolve() : select(target.feed);
  go.then(() => {
    focused = target.key;
    list.querySelectorAll(".focused").forEach((n) => n.classList.remove("focused"));
    const item = target.key === null ? null : list.querySelector<HTMLElement>(`li[data-key="${CSS.escape(target.key)}"]`);
    const shown = item ?? messagesList.querySelector<HTMLElement>("li.message");
    if (!shown) return;
    shown.classList.add("focused");
    shown.scrollIntoView({ block: "center" });
    shown.focus();
  }).catch(fail);
}

function onChanges(changes: Change[]): void {
  let touched = false;
  for (const change of changes) {
    if (change.key !== null) {
      let byKey = lastChange.get(change.feed);
      if (!byKey) lastChange.set(change.feed, (byKey = new Map()));
      byKey.set(change.key, change);
    }
    if (change.feed === selected) {
      touched = true;
      if (change.key !== null && !change.own) fresh.set(change.key, Date.now() + FRESH_MS);
      if (current()?.kind !== "record") messages.unshift(change);
    }
    recent.unshift(change);
  }
  messages.length = Math.min(messages.length, MESSAGES_LENGTH);
  recent.length = Math.min(recent.length, ACTIVITY_LENGTH);
  renderActivity(activity, recent);
  if (touched) reload().catch(fail);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = input.value.trim();
  if (!name || !selected) return;
  api
    .write(selected, { op: "create", fields: { name } })
    .then(() => {
      input.value = "";
      showNotice(notice, null);
    })
    .catch(fail);
});

picker.addEventListener("change", () => select(picker.value).catch(fail));

list.addEventListener("click", (event) => {
  const item = (event.target as HTMLElement).closest<HTMLElement>("li.record");
  if (item && focused !== item.dataset.key) {
    focused = null;
    list.querySelectorAll(".focused").forEach((n) => n.classList.remove("focused"));
  }
});

async function start(): Promise<void> {
  await api.onChanges(onChanges);
  await api.onFeed((state) => {
    feeds.set(state.name, state);
    if (selected === null) {
      select(state.name).catch(fail);
      return;
    }
    renderPicker(picker, [...feeds.values()], selected);
    if (state.name === selected) {
      renderFeed(byId("connection"), byId("source"), byId("problem"), state);
      reload().catch(fail);
    }
  });
  await api.onRemoved((name) => {
    feeds.delete(name);
    if (selected === name) selected = null;
    const first = feeds.keys().next();
    if (!first.done) select(first.value).catch(fail);
    else renderPicker(picker, [], null);
  });
  await api.onStatus((status) => showNotice(notice, status.notificationsError));
  await api.onFocus(focusTarget);
  for (const feed of await api.feeds()) feeds.set(feed.name, feed);
  showNotice(notice, (await api.appStatus()).notificationsError);
  const wanted = await api.takeFocus();
  const first = feeds.keys().next();
  if (wanted !== null) focusTarget(wanted);
  else if (!first.done) await select(first.value);
  setInterval(() => {
    refreshTimes(document.body, Date.now());
    if ([...fresh.values()].some((until) => until <= Date.now())) reload().catch(fail);
  }, 1000);
}

start().catch(fail);
