import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import axe from "axe-core";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../src/app/App";
import { entries, FakeApi, feed, HOSTILE } from "./fake";

declare global {
  interface Window {
    __pwned?: number;
  }
}

afterEach(() => {
  document.body.innerHTML = "";
  delete window.__pwned;
});

function app(api: FakeApi) {
  return render(() => <App api={api} />);
}

describe("the window", () => {
  it("lists every feed with its state and unread count, and all activity newest first", async () => {
    const api = new FakeApi(
      [feed("alerts", { unread: 2 }), feed("tasks", { kind: "record", unread: 0, paused: true })],
      entries("alerts", ["Disk full", "CPU hot"]),
    );
    app(api);
    const alerts = await screen.findByRole("button", { name: /^alerts/ });
    expect(alerts.textContent).toContain("Connected");
    expect(alerts.textContent).toContain("last heard 12 s ago");
    expect(alerts.querySelector("[data-unread]")?.textContent).toBe("2");
    expect((await screen.findByRole("button", { name: /^tasks/ })).textContent).toContain("Paused");
    const rows = await screen.findAllByRole("button", { name: /Disk full|CPU hot/ });
    expect(rows.map((r) => r.querySelector(".summary")?.textContent)).toEqual(["Disk full", "CPU hot"]);
    expect(screen.getByText("2 events")).toBeTruthy();
  });

  it("takes each feed state as it comes, its unread count included", async () => {
    const api = new FakeApi([feed("alerts", { unread: 2 })], []);
    app(api);
    const badge = async () => (await screen.findByRole("button", { name: /^alerts/ })).querySelector("[data-unread]");
    expect((await badge())?.textContent).toBe("2");
    api.emit("feed", feed("alerts", { unread: 5 }));
    await waitFor(async () => expect((await badge())?.textContent).toBe("5"));
    api.emit("feed", feed("alerts", { unread: 0 }));
    await waitFor(async () => expect(await badge()).toBeNull());
  });

  it("moves between feeds with the arrow keys and opens one with Enter", async () => {
    const api = new FakeApi([feed("a"), feed("b")], []);
    app(api);
    await screen.findByRole("button", { name: /^b/ });
    const all = screen.getByRole("button", { name: /All activity/ });
    all.focus();
    fireEvent.keyDown(all, { key: "ArrowDown" });
    expect(document.activeElement?.getAttribute("data-feed")).toBe("a");
    fireEvent.keyDown(document.activeElement!, { key: "ArrowDown" });
    expect(document.activeElement?.getAttribute("data-feed")).toBe("b");
    (document.activeElement as HTMLButtonElement).click();
    expect(await screen.findByRole("heading", { level: 1, name: "b" })).toBeTruthy();
  });

  it("opening an entry marks it read, and mark all read reads the rest", async () => {
    const api = new FakeApi([feed("alerts")], entries("alerts", ["one", "two"]));
    app(api);
    const one = await screen.findByRole("button", { name: /^one/ });
    expect(one.classList.contains("unread")).toBe(true);
    one.click();
    await waitFor(() => expect(api.called("markRead")).toEqual([[null, [1]]]));
    await waitFor(() => expect(screen.getByRole("button", { name: /^one/ }).classList.contains("unread")).toBe(false));
    screen.getByRole("button", { name: "Mark all read" }).click();
    await waitFor(() => expect(api.called("markRead")[1]).toEqual([null, []]));
  });

  it("a message's link opens through the app, which allows only http(s)", async () => {
    const api = new FakeApi([feed("alerts")], entries("alerts", ["deploy"], { click: "https://ci.example.com/1" }));
    app(api);
    (await screen.findByRole("button", { name: /^deploy/ })).click();
    await waitFor(() => expect(api.called("openLink")).toEqual([["https://ci.example.com/1"]]));
  });

  it("searching asks the store, and marks come back highlighted as text", async () => {
    const api = new FakeApi([feed("alerts")], entries("alerts", ["Disk full", "CPU hot"]));
    api.entries[0].marked = "\uE000Disk\uE001 <b>full</b>";
    app(api);
    const search = await screen.findByRole("searchbox");
    fireEvent.input(search, { target: { value: "disk" } });
    await waitFor(() => expect(api.called("timeline").some(([q]) => (q as { text?: string }).text === "disk")).toBe(true));
    const mark = await screen.findByText("Disk", { selector: "mark" });
    expect(mark.parentElement?.textContent).toBe("Disk <b>full</b>");
    expect(document.querySelector(".summary b")).toBeNull();
  });

  it("hostile payloads stay inert text in every field", async () => {
    const hostile = HOSTILE.flatMap((text, i) =>
      entries("evil", [text], { body: text, click: null, tags: [text], actor: text }).map((e) => ({ ...e, id: i + 1 })),
    );
    const api = new FakeApi([feed("evil", { url: HOSTILE[1], problem: HOSTILE[0], lastError: HOSTILE[1] })], hostile);
    app(api);
    await screen.findAllByRole("button", { name: /pwned|evil|xxxx/ });
    expect(document.querySelectorAll("main img, main script").length).toBe(0);
    expect(window.__pwned).toBeUndefined();
    const longest = Math.max(...[...document.querySelectorAll(".summary")].map((s) => s.textContent!.length));
    expect(longest).toBeLessThanOrEqual(401);
    (await screen.findByRole("button", { name: /^evil/ })).click();
    (await screen.findByRole("button", { name: "Health" })).click();
    expect((await screen.findByText(HOSTILE[1], { selector: ".last-error" })).children.length).toBe(0);
    expect(document.querySelectorAll("img, script").length).toBe(0);
  });

  it("a record feed lists what was deleted, and what was deleted while you were away", async () => {
    const gone = entries("tasks", ["Ana deleted 'Old invoice'"], { action: "deleted", missed: true, key: "7" });
    const api = new FakeApi([feed("tasks", { kind: "record" }), feed("other")], gone);
    app(api);
    (await screen.findByRole("button", { name: /^tasks/ })).click();
    const list = await screen.findByRole("list", { name: "Recently deleted" });
    expect(list.textContent).toContain("deleted while you were away");
    expect(list.textContent).toContain("Ana deleted 'Old invoice'");
    expect(api.called("timeline").some(([q]) => (q as { action?: string }).action === "deleted")).toBe(true);
  });

  it("health shows the store's figures and reconnects and pauses", async () => {
    const connection = { ...feed("alerts").connection, stallTimeoutMs: 100_000, keepaliveMs: 45_020 };
    const unreadable = "update: undefined (not readable: the data is not JSON)";
    const route = { proxy: "http://proxy.corp:3128", source: "desktop" as const };
    const api = new FakeApi([feed("alerts", { lastError: "the server answered 503", connection, unreadable, route })], []);
    app(api);
    (await screen.findByRole("button", { name: /^alerts/ })).click();
    (await screen.findByRole("button", { name: "Health" })).click();
    expect((await screen.findByText("41")).className).toBe("last-id");
    expect(screen.getByText("3").className).toBe("today");
    expect(document.querySelector(".stall")!.textContent).toBe("100 s (the server's keepalive was seen to take up to 45 s)");
    expect(document.querySelector(".unreadable")!.textContent).toBe(unreadable);
    expect(document.querySelector(".route")!.textContent).toBe("through the proxy http://proxy.corp:3128 (the desktop's proxy setting)");
    screen.getByRole("button", { name: "Reconnect now" }).click();
    screen.getByRole("button", { name: "Pause" }).click();
    await waitFor(() => expect(api.called("pauseFeed")).toEqual([["alerts", true]]));
    expect(api.called("reconnectNow")).toEqual([["alerts"]]);
  });

  it("health offers a sign-in to a feed that needs one, and a sign-out to one signed in", async () => {
    const needs = { condition: "needsSignIn" as const, reason: "not signed in to https://id.corp.example: sign in" };
    const api = new FakeApi([feed("tasks", { signsIn: true, health: needs }), feed("alerts", { signsIn: true })], []);
    app(api);
    (await screen.findByRole("button", { name: /^tasks/ })).click();
    (await screen.findByRole("button", { name: "Health" })).click();
    expect(screen.queryByRole("button", { name: "Sign out" })).toBeNull();
    (await screen.findByRole("button", { name: "Sign in…" })).click();
    await waitFor(() => expect(api.called("signIn")).toEqual([["tasks"]]));
    (await screen.findByRole("button", { name: /^alerts/ })).click();
    (await screen.findByRole("button", { name: "Health" })).click();
    (await screen.findByRole("button", { name: "Sign out" })).click();
    await waitFor(() => expect(api.called("signOut")).toEqual([["alerts"]]));
  });

  it("has no serious or critical accessibility violations on any page", async () => {
    const api = new FakeApi([feed("alerts", { unread: 1 }), feed("tasks", { kind: "record" })], entries("alerts", ["one"]));
    app(api);
    const check = async (page: string) => {
      const result = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
      const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(bad.map((v) => `${page}: ${v.id}: ${v.nodes.map((n) => n.html).join(" | ")}`)).toEqual([]);
    };
    await screen.findByRole("button", { name: /^one/ });
    await check("all activity");
    (await screen.findByRole("button", { name: /^tasks/ })).click();
    await screen.findByRole("heading", { level: 1, name: "tasks" });
    await check("records");
    screen.getByRole("button", { name: "Health" }).click();
    await screen.findByText("Reconnect now");
    await check("health");
    screen.getByRole("button", { name: "Settings" }).click();
    await screen.findByRole("radio", { name: "Dark" });
    await check("settings");
  });

  it("reads everything afresh when the window fell behind", async () => {
    const api = new FakeApi([feed("tasks", { kind: "record" })], []);
    app(api);
    await screen.findByRole("heading", { level: 1, name: "tasks" });
    await waitFor(() => expect(api.called("records").length).toBeGreaterThan(0));
    const [feedsBefore, recordsBefore] = [api.called("feeds").length, api.called("records").length];
    api.emit("lagged", 12);
    await waitFor(() => expect(api.called("feeds").length).toBeGreaterThan(feedsBefore));
    await waitFor(() => expect(api.called("records").length).toBeGreaterThan(recordsBefore));
  });

  it("turns starting at login on and off", async () => {
    const api = new FakeApi([feed("tasks")], []);
    app(api);
    (await screen.findByRole("button", { name: "Settings" })).click();
    const box = (await screen.findByRole("checkbox", { name: "Start Herald when I log in" })) as HTMLInputElement;
    await waitFor(() => expect(box.disabled).toBe(false));
    expect(box.checked).toBe(false);
    box.click();
    await waitFor(() => expect(api.called("setAutostart")).toEqual([[true]]));
    expect(api.startsAtLogin).toBe(true);
    box.click();
    await waitFor(() => expect(api.called("setAutostart")).toEqual([[true], [false]]));
  });

  it("says once the store was damaged and moved aside, as an alert that can be dismissed", async () => {
    const api = new FakeApi([feed("tasks")], []);
    app(api);
    await screen.findByRole("heading", { level: 1, name: "tasks" });
    expect(screen.queryByText(/store was damaged/)).toBeNull();
    api.emit("status", {
      notificationsError: null,
      desktopQuiet: null,
      storeRecovery: {
        reason: "file is not a database",
        movedTo: "/home/ana/.local/share/herald/herald.damaged-2026-12-08-023105.db",
        feeds: 3,
        feedsFrom: "backup",
      },
    });
    const alert = await screen.findByText(/store was damaged/);
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toContain("(file is not a database)");
    expect(alert.textContent).toContain("moved aside to /home/ana/.local/share/herald/herald.damaged-2026-12-08-023105.db");
    expect(alert.textContent).toContain("keeping its 3 feeds (restored from their backup)");
    fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    await waitFor(() => expect(screen.queryByText(/store was damaged/)).toBeNull());
  });

  it("says in Settings when the desktop's own do not disturb keeps Herald quiet", async () => {
    const api = new FakeApi([feed("tasks")], []);
    api.status = { notificationsError: null, desktopQuiet: "gnome", storeRecovery: null };
    app(api);
    (await screen.findByRole("button", { name: "Settings" })).click();
    expect((await screen.findByText(/GNOME's Do Not Disturb is on/)).textContent).toContain("urgent ones still come through");
  });

  it("chooses sounds per priority and per feed, and plays one in a test notification", async () => {
    const api = new FakeApi([feed("alerts"), feed("tasks")], []);
    app(api);
    (await screen.findByRole("button", { name: "Settings" })).click();
    const pick = (label: string, value: string) => {
      const select = screen.getByRole("combobox", { name: label }) as HTMLSelectElement;
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    };
    await screen.findByRole("combobox", { name: "Urgent priority, every feed" });
    expect(screen.queryByRole("combobox", { name: "Normal priority, alerts" })).toBeNull();
    pick("Urgent priority, every feed", "alarm-clock-elapsed");
    await waitFor(() => expect(api.soundsNow.every.urgent).toBe("alarm-clock-elapsed"));

    const own = await screen.findByRole("checkbox", { name: "Own sounds for alerts" });
    own.click();
    await waitFor(() => expect(api.soundsNow.feeds.alerts?.urgent).toBe("alarm-clock-elapsed"));
    pick("Normal priority, alerts", "message-new-instant");
    await waitFor(() =>
      expect(api.soundsNow.feeds.alerts).toEqual({ low: null, normal: "message-new-instant", urgent: "alarm-clock-elapsed" }),
    );
    expect(api.soundsNow.every.normal, "every feed is as it was").toBeNull();
    screen.getByRole("button", { name: "Try: Normal priority, alerts" }).click();
    await waitFor(() => expect(api.called("testNotification")).toEqual([["message-new-instant"]]));
    own.click();
    await waitFor(() => expect(api.soundsNow.feeds.alerts).toBeUndefined());
  });

  it("opens a digest's click on the timeline of what came since, and shows everything on request", async () => {
    const api = new FakeApi([feed("alerts"), feed("tasks", { kind: "record" })], entries("tasks", ["One", "Two"]));
    app(api);
    await screen.findByRole("button", { name: /^alerts/ });
    api.emit("focus", { feed: "tasks", key: null, click: null, since: 1_700_000_000_000 });
    expect((await screen.findByText(/^Since /)).querySelector("button")?.textContent).toBe("Show everything");
    await waitFor(() =>
      expect(api.called("timeline").some(([q]) => (q as { since?: number; feed?: string }).since === 1_700_000_000_000 && (q as { feed?: string }).feed === "tasks")).toBe(true),
    );
    screen.getByRole("button", { name: "Show everything" }).click();
    await waitFor(() => expect(screen.queryByText(/^Since /)).toBeNull());
    const last = api.called("timeline").at(-1)?.[0] as { since?: number };
    expect(last.since).toBeUndefined();
  });
});
