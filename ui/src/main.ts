import * as api from "./api";
import type { ChangeNotice } from "./bindings/ChangeNotice";
import { refreshTimes, renderActivity, renderStatus, renderTasks, showNotice } from "./render";

/** How long a teammate's change stays highlighted. */
const FRESH_MS = 6000;
/** How many changes the activity list keeps. */
const ACTIVITY_LENGTH = 6;

const byId = (id: string) => document.getElementById(id) as HTMLElement;
const list = byId("tasks");
const empty = byId("empty");
const activity = byId("activity");
const notice = byId("notice");
const form = byId("add-form") as HTMLFormElement;
const input = byId("new-task") as HTMLInputElement;

const fresh = new Map<number, number>(); // task id -> highlighted until
const recent: ChangeNotice[] = [];
let focused: number | null = null;

const fail = (e: unknown) => showNotice(notice, String(e));

const handlers = {
  toggle: (id: number, done: boolean) => api.setTaskDone(id, done).catch(fail),
  remove: (id: number) => api.deleteTask(id).catch(fail),
};

async function reload(): Promise<void> {
  const tasks = await api.listTasks();
  const now = Date.now();
  for (const [id, until] of fresh) if (until <= now) fresh.delete(id);
  renderTasks(list, tasks, new Set(fresh.keys()), focused, handlers);
  empty.hidden = tasks.length > 0;
}

function focusTask(id: number): void {
  focused = id;
  const item = list.querySelector<HTMLElement>(`li[data-task-id="${id}"]`);
  list.querySelectorAll(".focused").forEach((n) => n.classList.remove("focused"));
  if (!item) return;
  item.classList.add("focused");
  item.scrollIntoView({ block: "center" });
  item.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = input.value.trim();
  if (!name) return;
  api
    .addTask(name)
    .then(() => {
      input.value = "";
      showNotice(notice, null);
    })
    .catch(fail);
});

list.addEventListener("click", (event) => {
  const item = (event.target as HTMLElement).closest<HTMLElement>("li.task");
  if (item && focused !== Number(item.dataset.taskId)) {
    focused = null;
    item.parentElement?.querySelectorAll(".focused").forEach((n) => n.classList.remove("focused"));
  }
});

async function start(): Promise<void> {
  await api.onChange((change) => {
    if (!change.own) fresh.set(change.taskId, Date.now() + FRESH_MS);
    recent.unshift(change);
    recent.length = Math.min(recent.length, ACTIVITY_LENGTH);
    renderActivity(activity, recent);
    reload().catch(fail);
  });
  await api.onStatus((status) => renderStatus(byId("connection"), byId("source"), notice, status));
  await api.onFocus(focusTask);
  renderStatus(byId("connection"), byId("source"), notice, await api.feedStatus());
  await reload();
  const wanted = await api.takeFocus();
  if (wanted !== null) focusTask(wanted);
  setInterval(() => {
    refreshTimes(document.body, Date.now());
    if ([...fresh.values()].some((until) => until <= Date.now())) reload().catch(fail);
  }, 1000);
}

start().catch(fail);
