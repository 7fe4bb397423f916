// Where the window is: every feed's timeline, one feed's page, or settings.
export type Tab = "records" | "timeline" | "health";

export type Route =
  // `since`: only what came at or after it, as a digest's click asks.
  | { page: "all"; since?: number }
  | { page: "feed"; feed: string; tab: Tab; focus?: string | null; since?: number }
  | { page: "settings" }
  | { page: "add" }
  | { page: "edit"; feed: string };

