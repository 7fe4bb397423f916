// What a feed's state means to a person: one of a few words, a detail, and
// a tone for its badge.
import type { FeedState } from "../bindings/FeedState";
import { until } from "./time";

export type Tone = "good" | "busy" | "bad" | "idle";

export interface Status {
  label: string;
  detail: string;
  tone: Tone;
}

const certificate = /certificate|UnknownIssuer|self.signed|tls/i;
const offline = /connect|dns|resolve|unreachable|network|timed out|connection refused|error sending request/i;

export function feedStatus(state: FeedState, now: number): Status {
  if (state.paused) return { label: "Paused", detail: "Not following until resumed", tone: "idle" };
  const phase = state.connection.phase;
  switch (phase.phase) {
    case "connecting":
      return { label: "Connecting…", detail: "", tone: "busy" };
    case "open":
      return { label: "Connected", detail: `since ${new Date(phase.since).toLocaleTimeString()}`, tone: "good" };
    case "retrying": {
      const next = `next attempt ${until(phase.at, now)}`;
      if (certificate.test(phase.reason)) return { label: "Certificate refused", detail: phase.reason, tone: "bad" };
      if (offline.test(phase.reason)) return { label: "Offline", detail: `${next} · ${phase.reason}`, tone: "bad" };
      return { label: "Retrying", detail: `${next} · ${phase.reason}`, tone: "busy" };
    }
    case "stopped": {
      const r = phase.reason;
      if (r.kind === "needsAuthentication")
        return { label: "Needs authentication", detail: `The server answered ${r.status}`, tone: "bad" };
      if (r.kind === "gone") return { label: "Gone", detail: `The server answered ${r.status}`, tone: "bad" };
      if (r.kind === "failed") {
        const label = certificate.test(r.message) ? "Certificate refused" : "Stopped";
        return { label, detail: r.message, tone: "bad" };
      }
      if (r.kind === "noContent") return { label: "Stopped", detail: "The server asked Herald to stop", tone: "idle" };
      return { label: "Stopped", detail: "", tone: "idle" };
    }
  }
}
