import { describe, expect, it } from "vitest";
import { MARK_END, MARK_START, runs } from "../src/lib/marks";
import { feedStatus } from "../src/lib/status";
import { ago, dayLabel, until } from "../src/lib/time";
import { feed } from "./fake";

describe("marks", () => {
  it("splits marked text into plain and marked runs", () => {
    expect(runs(`Ana ${MARK_START}completed${MARK_END} 'milk'`)).toEqual([
      { text: "Ana ", marked: false },
      { text: "completed", marked: true },
      { text: " 'milk'", marked: false },
    ]);
  });
  it("keeps markup as text and survives stray markers", () => {
    expect(runs(`<b>${MARK_END}x`)).toEqual([
      { text: "<b>", marked: false },
      { text: "x", marked: false },
    ]);
    expect(runs("")).toEqual([]);
  });
});

describe("feed status", () => {
  const now = 1_000_000;
  it("names each state a person cares about", () => {
    const retrying = (reason: string) =>
      feedStatus(feed("f", { connection: { phase: { phase: "retrying", attempt: 2, at: now + 12_000, reason }, lastHeard: null, opened: 1, stallTimeoutMs: 45_000, keepaliveMs: null } }), now);
    expect(retrying("the server answered 503")).toMatchObject({ label: "Retrying", tone: "busy" });
    expect(retrying("the server answered 503").detail).toContain("next attempt in 12 s");
    expect(retrying("error sending request: connection refused").label).toBe("Offline");
    expect(retrying("invalid peer certificate: UnknownIssuer").label).toBe("Certificate refused");
    const stopped = (reason: never) =>
      feedStatus(feed("f", { connection: { phase: { phase: "stopped", reason }, lastHeard: null, opened: 0, stallTimeoutMs: 45_000, keepaliveMs: null } }), now).label;
    expect(stopped({ kind: "needsAuthentication", status: 401 } as never)).toBe("Needs authentication");
    expect(feedStatus(feed("f", { paused: true }), now).label).toBe("Paused");
    expect(feedStatus(feed("f"), now).label).toBe("Connected");
  });
});

describe("time", () => {
  it("says how long ago and how soon", () => {
    expect(ago(0, 12_000)).toBe("12 s ago");
    expect(ago(0, 1000)).toBe("just now");
    expect(until(12_000, 0)).toBe("in 12 s");
    expect(until(0, 5)).toBe("now");
  });
  it("labels days", () => {
    const now = new Date(2026, 10, 29, 15).getTime();
    expect(dayLabel(now - 3600_000, now)).toBe("Today");
    expect(dayLabel(now - 24 * 3600_000, now)).toBe("Yesterday");
  });
});
