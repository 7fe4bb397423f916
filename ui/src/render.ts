// Builds the DOM from data. Every piece of payload text goes in through
// textContent or an attribute, never as HTML, so a task named "<img onerror=…>"
// is shown as those characters.
import type { Change } from "./bindings/Change";
import type { FeedState } from "./bindings/FeedState";
import type { FeedRecord } from "./bindings/FeedRecord";
import { ago } from "./time";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export interface Handlers {
  toggle(key: string, done: boolean): void;
  remove(key: string): void;
}

/** A line that says who did what, and when; kept current by `refreshTimes`. */
function changeLine(change: Change, className: string, tag: "span" | "li" = "span"): HTMLElement {
  const line = el(tag, className);
  line.dataset.at = String(change.at);
  line.dataset.summary = change.summary;
  line.textContent = `${change.summary} · ${ago(change.at, Date.now())}`;
  return line;
}

export interface RecordsView {
  records: FeedRecord[];
  lastChange: Map<string, Change>;
  fresh: Set<string>;
  focused: string | null;
  writable: boolean;
}

export function renderRecords(list: HTMLElement, view: RecordsView, on: Handlers): void {
  const items = view.records.map((record) => {
    const item = el("li", "record");
    item.dataset.key = record.key;
    item.tabIndex = -1;
    item.classList.toggle("done", record.flag === true);
    item.classList.toggle("fresh", view.fresh.has(record.key));
    item.classList.toggle("focused", view.focused === record.key);

    if (record.flag !== null) {
      const check = el("input");
      check.type = "checkbox";
      check.checked = record.flag;
      check.disabled = !view.writable;
      check.setAttribute("aria-label", `Done: ${record.title}`);
      check.addEventListener("change", () => on.toggle(record.key, check.checked));
      item.append(check);
    }

    const body = el("div", "body");
    body.append(el("span", "name", record.title));
    const last = view.lastChange.get(record.key);
    if (last) body.append(changeLine(last, "meta"));
    item.append(body);

    if (view.writable) {
      const remove = el("button", "delete", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", `Delete: ${record.title}`);
      remove.addEventListener("click", () => on.remove(record.key));
      item.append(remove);
    }
    return item;
  });
  list.replaceChildren(...items);
}

/** A message feed's messages, newest first. */
export function renderMessages(list: HTMLElement, messages: Change[]): void {
  const items = messages.map((message, index) => {
    const item = el("li", "message");
    item.tabIndex = -1;
    item.dataset.index = String(index);
    if (message.priority !== null) item.dataset.priority = String(message.priority);
    item.append(el("div", "title", message.title));
    if (message.body !== null && message.body !== message.title) item.append(el("div", "text", message.body));
    if (message.tags.length > 0) item.append(el("div", "meta", message.tags.join(" · ")));
    // Shown as text: Herald opens no link from the window.
    if (message.click !== null) item.append(el("div", "link", message.click));
    const when = el("div", "meta");
    when.dataset.at = String(message.at);
    when.dataset.summary = message.missed ? "missed" : "";
    when.textContent = ago(message.at, Date.now());
    item.append(when);
    return item;
  });
  list.replaceChildren(...items);
}

export function renderActivity(list: HTMLElement, changes: Change[]): void {
  list.replaceChildren(...changes.map((c) => changeLine(c, c.own ? "own" : "other", "li")));
}

/** Rewrites every "· 3 s ago" so relative times stay true. */
export function refreshTimes(root: HTMLElement, now: number): void {
  root.querySelectorAll<HTMLElement>("[data-at]").forEach((node) => {
    const summary = node.dataset.summary;
    const when = ago(Number(node.dataset.at), now);
    node.textContent = summary ? `${summary} · ${when}` : when;
  });
}

/** A feed's connection, as one word, and the reason when there is one. */
export function phaseLabel(state: FeedState): { label: string; reason: string } {
  if (state.paused) return { label: "Paused", reason: "" };
  const phase = state.connection.phase;
  switch (phase.phase) {
    case "connecting":
      return { label: "Connecting…", reason: "" };
    case "open":
      return { label: "Live", reason: `Connected since ${new Date(phase.since).toLocaleTimeString()}` };
    case "retrying":
      return { label: "Reconnecting…", reason: phase.reason };
    case "stopped": {
      const r = phase.reason;
      if (r.kind === "needsAuthentication") return { label: "Sign-in needed", reason: `The server answered ${r.status}` };
      if (r.kind === "gone") return { label: "Gone", reason: `The server answered ${r.status}` };
      if (r.kind === "failed") return { label: "Stopped", reason: r.message };
      return { label: "Stopped", reason: r.kind };
    }
  }
}

export function renderPicker(select: HTMLSelectElement, feeds: FeedState[], selected: string | null): void {
  const options = feeds.map((feed) => {
    const option = el("option", undefined, `${feed.name} · ${phaseLabel(feed).label}`);
    option.value = feed.name;
    option.selected = feed.name === selected;
    return option;
  });
  select.replaceChildren(...options);
}

export function renderFeed(pill: HTMLElement, source: HTMLElement, problem: HTMLElement, state: FeedState): void {
  const { label, reason } = phaseLabel(state);
  pill.dataset.phase = state.paused ? "stopped" : state.connection.phase.phase;
  pill.textContent = label;
  pill.title = reason;
  // A stream recycled for silence is health worth seeing, not an error.
  const recycled = state.recycled > 0 ? ` · recycled ${state.recycled}× after silence` : "";
  source.textContent = `${state.url}${recycled}`;
  showNotice(problem, state.problem ?? (state.connection.phase.phase === "stopped" ? reason : null));
}

export function showNotice(notice: HTMLElement, text: string | null): void {
  notice.textContent = text ?? "";
  notice.hidden = !text;
}
