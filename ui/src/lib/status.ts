// What a feed's state means to a person: one of a few words, a detail, and
// a tone for its badge. Herald's engine decides the feed's condition (its
// `health`); this only puts it in words, and never reads a reason's text
// to decide anything.
import type { Condition } from "../bindings/Condition";
import type { FeedState } from "../bindings/FeedState";
import type { RouteUsed } from "../bindings/RouteUsed";
import { until } from "./time";

export type Tone = "good" | "busy" | "bad" | "idle";

export interface Status {
  label: string;
  detail: string;
  tone: Tone;
}

const words: Record<Condition, { label: string; tone: Tone }> = {
  live: { label: "Connected", tone: "good" },
  connecting: { label: "Connecting…", tone: "busy" },
  paused: { label: "Paused", tone: "idle" },
  retrying: { label: "Retrying", tone: "busy" },
  offline: { label: "Offline", tone: "bad" },
  needsAuthentication: { label: "Needs authentication", tone: "bad" },
  needsSignIn: { label: "Needs you to sign in", tone: "bad" },
  diskFull: { label: "Paused: the disk is full", tone: "bad" },
  certificateRefused: { label: "Certificate refused", tone: "bad" },
  identityRefused: { label: "Client certificate refused", tone: "bad" },
  ended: { label: "Stopped", tone: "idle" },
  stopped: { label: "Stopped", tone: "bad" },
};

/** Which way a feed goes to its server, and who chose it: the feed, the
 * environment (HTTPS_PROXY, NO_PROXY), or the desktop's proxy setting. */
export function routeText(route: RouteUsed | null): string {
  if (route === null) return "not yet set up";
  const way = route.proxy === null ? "straight to the server" : `through the proxy ${route.proxy}`;
  switch (route.source) {
    case "feed":
      return `${way} (the feed's own setting)`;
    case "environment":
      return route.proxy === null ? `${way} (the environment's NO_PROXY)` : `${way} (from the environment's HTTPS_PROXY and the rest)`;
    case "desktop":
      return `${way} (the desktop's proxy setting)`;
    case "default":
      return way;
  }
}

export function feedStatus(state: FeedState, now: number): Status {
  const { condition, reason } = state.health;
  const { label, tone } = words[condition];
  const phase = state.connection.phase;
  let detail = reason ?? "";
  if (condition === "paused") detail = "Not following until resumed";
  else if (phase.phase === "open") detail = `since ${new Date(phase.since).toLocaleTimeString()}`;
  else if (phase.phase === "retrying") detail = `next attempt ${until(phase.at, now)} · ${detail}`;
  else if (phase.phase === "stopped" && phase.reason.kind === "noContent") detail = "The server asked Herald to stop";
  return { label, detail, tone };
}
