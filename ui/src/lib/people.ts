// Who else is here, as the window shows them: initials and a colour that
// stay the same for a name on every machine, and the user left out.
import type { FeedState } from "../bindings/FeedState";
import type { Present } from "../bindings/Present";

/** Up to two initials: "Ana Lima" → "AL", "bob" → "B". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => [...w][0] ?? "");
  return letters.join("").toUpperCase() || "?";
}

/** A hue from the name, so that Ana is the same colour for everyone. */
export function hue(name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)!) % 360;
  return h;
}

/** Everyone with the feed open but the user. */
export function others(feed: FeedState): Present[] {
  return feed.present.filter((p) => p.actor !== feed.me);
}
