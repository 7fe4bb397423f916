// What Herald did about a damaged store, in the window's words: the same
// facts as the tray process's log line and notification.
import type { StoreRecovery } from "../bindings/StoreRecovery";

export function recoveryText(r: StoreRecovery): string {
  const kept =
    r.feedsFrom === "nowhere"
      ? "with no feeds, since neither it nor their backup could be read"
      : `keeping ${r.feeds === 1 ? "its one feed" : `its ${r.feeds} feeds`} (${
          r.feedsFrom === "damagedStore" ? "read from the damaged store" : "restored from their backup"
        })`;
  return `Herald's store was damaged (${r.reason}): it was moved aside to ${r.movedTo}, and Herald started a new one from the servers, ${kept}.`;
}
