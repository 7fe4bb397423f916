import { describe, expect, it } from "vitest";
import { MARK_END, MARK_START, runs } from "../src/lib/marks";
import { feedStatus, routeText } from "../src/lib/status";
import { ago, dayLabel, until } from "../src/lib/time";
import type { Condition } from "../src/bindings/Condition";
import type { FeedState } from "../src/bindings/FeedState";
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
  const connection = (phase: FeedState["connection"]["phase"]) => ({
    phase,
    lastHeard: null,
    opened: 1,
    stallTimeoutMs: 45_000,
    keepaliveMs: null,
  });
  it("puts the condition the engine decided in words, and never reads the reason to decide", () => {
    const retrying = (condition: Condition, reason: string) =>
      feedStatus(
        feed("f", {
          connection: connection({ phase: "retrying", attempt: 2, at: now + 12_000, reason: { kind: "status", status: 503 } }),
          health: { condition, reason },
        }),
        now,
      );
    const busy = retrying("retrying", "the server answered 503");
    expect(busy).toMatchObject({ label: "Retrying", tone: "busy" });
    expect(busy.detail).toBe("next attempt in 12 s · the server answered 503");
    expect(retrying("offline", "connection refused")).toMatchObject({ label: "Offline", tone: "bad" });
    // A reason that reads like a certificate is still what the engine said.
    expect(retrying("retrying", "certificate of the day").label).toBe("Retrying");
    const stopped = (condition: Condition, reason: string | null) =>
      feedStatus(
        feed("f", {
          connection: connection({ phase: "stopped", reason: { kind: "needsAuthentication", status: 401 } }),
          health: { condition, reason },
        }),
        now,
      );
    expect(stopped("needsAuthentication", "authentication needed (401)")).toEqual({
      label: "Needs authentication",
      detail: "authentication needed (401)",
      tone: "bad",
    });
    expect(stopped("certificateRefused", "UnknownIssuer").label).toBe("Certificate refused");
    const full = feedStatus(
      feed("f", {
        connection: connection({ phase: "stopped", reason: { kind: "closed" } }),
        diskFull: true,
        health: { condition: "diskFull", reason: "the disk is full: its events cannot be stored" },
      }),
      now,
    );
    expect(full).toEqual({ label: "Paused: the disk is full", detail: "the disk is full: its events cannot be stored", tone: "bad" });
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

describe("routeText", () => {
  it("says the way and who chose it", () => {
    expect(routeText(null)).toBe("not yet set up");
    expect(routeText({ proxy: null, source: "default" })).toBe("straight to the server");
    expect(routeText({ proxy: null, source: "environment" })).toBe("straight to the server (the environment's NO_PROXY)");
    expect(routeText({ proxy: "socks5h://p:1080", source: "feed" })).toBe("through the proxy socks5h://p:1080 (the feed's own setting)");
    expect(routeText({ proxy: "http://p:3128", source: "environment" })).toBe(
      "through the proxy http://p:3128 (from the environment's HTTPS_PROXY and the rest)",
    );
  });
});
