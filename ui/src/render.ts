// Builds the DOM from data. Every piece of payload text goes in through
// textContent or an attribute, never as HTML, so a task named "<img onerror=…>"
// is shown as those characters.
import type { ChangeNotice } from "./bindings/ChangeNotice";
import type { FeedStatus } from "./bindings/FeedStatus";
import type { TaskView } from "./bindings/TaskView";
import { ago } from "./time";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export interface Handlers {
  toggle(id: number, done: boolean): void;
  remove(id: number): void;
}

/** A line that says who did what, and when; kept current by `refreshTimes`. */
function changeLine(notice: ChangeNotice, className: string, tag: "span" | "li" = "span"): HTMLElement {
  const line = el(tag, className);
  line.dataset.at = String(notice.at);
  line.dataset.summary = notice.summary;
  line.textContent = `${notice.summary} · ${ago(notice.at, Date.now())}`;
  return line;
}

export function renderTasks(list: HTMLElement, tasks: TaskView[], fresh: Set<number>, focused: number | null, on: Handlers): void {
  const items = tasks.map((task) => {
    const item = el("li", "task");
    item.dataset.taskId = String(task.id);
    item.tabIndex = -1;
    item.classList.toggle("done", task.done);
    item.classList.toggle("fresh", fresh.has(task.id));
    item.classList.toggle("focused", focused === task.id);

    const check = el("input");
    check.type = "checkbox";
    check.checked = task.done;
    check.setAttribute("aria-label", `Done: ${task.name}`);
    check.addEventListener("change", () => on.toggle(task.id, check.checked));

    const body = el("div", "body");
    body.append(el("span", "name", task.name));
    if (task.lastChange) body.append(changeLine(task.lastChange, "meta"));

    const remove = el("button", "delete", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete: ${task.name}`);
    remove.addEventListener("click", () => on.remove(task.id));

    item.append(check, body, remove);
    return item;
  });
  list.replaceChildren(...items);
}

export function renderActivity(list: HTMLElement, notices: ChangeNotice[]): void {
  list.replaceChildren(...notices.map((n) => changeLine(n, n.own ? "own" : "other", "li")));
}

/** Rewrites every "· 3 s ago" so relative times stay true. */
export function refreshTimes(root: HTMLElement, now: number): void {
  root.querySelectorAll<HTMLElement>("[data-at]").forEach((node) => {
    node.textContent = `${node.dataset.summary} · ${ago(Number(node.dataset.at), now)}`;
  });
}

export function renderStatus(pill: HTMLElement, source: HTMLElement, notice: HTMLElement, status: FeedStatus): void {
  const phase = status.connection.phase;
  pill.dataset.phase = phase.phase;
  switch (phase.phase) {
    case "connecting":
      pill.textContent = "Connecting…";
      pill.title = "";
      break;
    case "open":
      pill.textContent = "Live";
      pill.title = `Connected since ${new Date(phase.since).toLocaleTimeString()}`;
      break;
    case "retrying":
      pill.textContent = "Reconnecting…";
      pill.title = phase.reason;
      break;
    case "stopped": {
      const reason = phase.reason;
      pill.textContent = reason.kind === "needsAuthentication" ? "Sign-in needed" : "Stopped";
      pill.title = reason.kind === "failed" ? reason.message : reason.kind;
      break;
    }
  }
  source.textContent = status.source;
  showNotice(notice, status.notificationsError);
}

export function showNotice(notice: HTMLElement, text: string | null): void {
  notice.textContent = text ?? "";
  notice.hidden = !text;
}
