// Typed calls into the Rust core. The types are generated from Rust (ts-rs),
// so the two sides cannot drift.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ChangeNotice } from "./bindings/ChangeNotice";
import type { FeedStatus } from "./bindings/FeedStatus";
import type { TaskView } from "./bindings/TaskView";

export const listTasks = () => invoke<TaskView[]>("list_tasks");
export const addTask = (name: string) => invoke<void>("add_task", { name });
export const setTaskDone = (id: number, done: boolean) => invoke<void>("set_task_done", { id, done });
export const deleteTask = (id: number) => invoke<void>("delete_task", { id });
export const takeFocus = () => invoke<number | null>("take_focus");
export const feedStatus = () => invoke<FeedStatus>("feed_status");

export const onChange = (f: (n: ChangeNotice) => void): Promise<UnlistenFn> =>
  listen<ChangeNotice>("herald://change", (e) => f(e.payload));
export const onStatus = (f: (s: FeedStatus) => void): Promise<UnlistenFn> =>
  listen<FeedStatus>("herald://status", (e) => f(e.payload));
export const onFocus = (f: (taskId: number) => void): Promise<UnlistenFn> =>
  listen<number>("herald://focus", (e) => f(e.payload));
