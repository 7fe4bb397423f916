// Settings kept in this webview's local storage: the default retention
// that a new feed's form starts with.

const RETENTION = "herald.defaultKeepDays";

/** Days a new feed keeps its history; null keeps everything. */
export function defaultKeepDays(): number | null {
  const saved = Number(globalThis.localStorage?.getItem(RETENTION));
  return Number.isInteger(saved) && saved > 0 ? saved : null;
}

export function setDefaultKeepDays(days: number | null): void {
  if (days === null) globalThis.localStorage?.removeItem(RETENTION);
  else globalThis.localStorage?.setItem(RETENTION, String(days));
}
