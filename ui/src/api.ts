// Typed calls into the Rust core. The types are generated from Rust (ts-rs),
// so the two sides cannot drift.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Change } from "./bindings/Change";
import type { FeedState } from "./bindings/FeedState";
import type { FeedRecord } from "./bindings/FeedRecord";
import type { Target } from "./bindings/Target";
import type { Write } from "./bindings/Write";

export interface AppStatus {
  notificationsError: string | null;
}

export const feeds = () => invoke<FeedState[]>("feeds");
export const records = (feed: string) => invoke<FeedRecord[]>("records", { feed });
export const recent = (feed: string) => invoke<Change[]>("recent", { feed });
export const write = (feed: string, write: Write) => invoke<void>("write", { feed, write });
export const markRead = (feed: string | null) => invoke<void>("mark_read", { feed });
export const takeFocus = () => invoke<Target | null>("take_focus");
export const appStatus = () => invoke<AppStatus>("app_status");

export const onChanges = (f: (changes: Change[]) => void): Promise<UnlistenFn> =>
  listen<Change[]>("herald://changes", (e) => f(e.payload));
export const onFeed = (f: (state: FeedState) => void): Promise<UnlistenFn> =>
  listen<FeedState>("herald://feed", (e) => f(e.payload));
export const onRemoved = (f: (feed: string) => void): Promise<UnlistenFn> =>
  listen<string>("herald://removed", (e) => f(e.payload));
export const onStatus = (f: (s: AppStatus) => void): Promise<UnlistenFn> =>
  listen<AppStatus>("herald://status", (e) => f(e.payload));
export const onFocus = (f: (target: Target) => void): Promise<UnlistenFn> =>
  listen<Target>("herald://focus", (e) => f(e.payload));
