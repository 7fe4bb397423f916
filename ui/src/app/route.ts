// Where the window is: every feed's timeline, one feed's page, or settings.
export type Tab = "records" | "timeline" | "health";

export type Route =
  | { page: "all" }
  | { page: "feed"; feed: string; tab: Tab; focus?: string | null }
  | { page: "settings" }
  | { page: "add" }
  | { page: "edit"; feed: string };

