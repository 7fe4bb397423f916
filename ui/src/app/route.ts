// Where the window is: every feed's timeline, one feed's page, or settings.
export type Tab = "records" | "timeline" | "health";

export type Route =
  | { page: "all" }
  | { page: "feed"; feed: string; tab: Tab; focus?: string | null }
  | { page: "settings" };

export const sameRoute = (a: Route, b: Route): boolean =>
  a.page === b.page && (a.page !== "feed" || (b.page === "feed" && a.feed === b.feed && a.tab === b.tab));
