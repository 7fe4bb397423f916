// Others are here: presence on the feed and on records, the open record
// that changes in place while keeping the user's text, and the conflict
// view with both of its choices.
import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { createSignal } from "solid-js";
import { afterEach, describe, expect, it } from "vitest";
import type { Conflict } from "../src/bindings/Conflict";
import type { FeedRecord } from "../src/bindings/FeedRecord";
import type { FeedState } from "../src/bindings/FeedState";
import { RecordView } from "../src/components/RecordView";
import { initials } from "../src/lib/people";
import { change, FakeApi, feed } from "./fake";

afterEach(() => {
  document.body.innerHTML = "";
});

function milk(over: Partial<FeedRecord> = {}, value: Record<string, unknown> = {}): FeedRecord {
  return {
    key: "1",
    title: "Buy milk",
    flag: false,
    value: { id: 1, name: "Buy milk", done: false, version: 1, ...value },
    lastChange: null,
    ...over,
  };
}

function tasks(over: Partial<FeedState> = {}): FeedState {
  return feed("tasks", { kind: "record", writable: true, preset: "herald-hub", me: "You", ...over });
}

/** The record view, with its feed and news as signals a test can move. */
function view(api: FakeApi, state: FeedState) {
  const [current, setFeed] = createSignal(state);
  const [news, setNews] = createSignal(0);
  const fail = (message: string) => {
    throw new Error(message);
  };
  render(() => <RecordView api={api} feed={current()} now={Date.now()} news={news()} focus={null} onError={fail} />);
  return { setFeed, bump: () => setNews((n) => n + 1) };
}

describe("others are here", () => {
  it("shows who else is here and what they look at, never the user", async () => {
    const api = new FakeApi([], []);
    api.recordList = [milk()];
    const present = [
      { actor: "You", viewing: null },
      { actor: "Ana Lima", viewing: "1" },
      { actor: "Bob", viewing: null },
    ];
    view(api, tasks({ present }));
    const here = await screen.findByRole("list", { name: "Here now" });
    expect([...here.querySelectorAll(".face")].map((f) => f.getAttribute("title"))).toEqual([
      "Ana Lima is looking at 'Buy milk'",
      "Bob is here",
    ]);
    const onRecord = await screen.findByRole("list", { name: "Looking at Buy milk" });
    expect(onRecord.textContent).toContain("AL");
    expect(initials("  bob  ")).toBe("B");
  });

  it("says which record is open, renews it, and says none once closed", async () => {
    const api = new FakeApi([], []);
    api.recordList = [milk()];
    view(api, tasks());
    (await screen.findByRole("button", { name: "Buy milk" })).click();
    await screen.findByRole("heading", { name: "Buy milk", level: 2 });
    await waitFor(() => expect(api.called("view").at(-1)).toEqual(["tasks", "1"]));
    screen.getByRole("button", { name: "Close the record" }).click();
    await waitFor(() => expect(api.called("view").at(-1)).toEqual(["tasks", null]));
  });

  it("keeps the record open as the feed's state changes, and tells it once", async () => {
    const api = new FakeApi([], []);
    api.recordList = [milk()];
    const { setFeed } = view(api, tasks());
    (await screen.findByRole("button", { name: "Buy milk" })).click();
    await waitFor(() => expect(api.called("view")).toEqual([["tasks", null], ["tasks", "1"]]));
    setFeed(tasks({ present: [{ actor: "Ana", viewing: "1" }] }));
    await screen.findByRole("list", { name: "Also looking at this" });
    expect(screen.getByLabelText("Name")).toBeTruthy();
    expect(api.called("view")).toEqual([["tasks", null], ["tasks", "1"]]);
  });

  it("updates the open record in place and keeps the text being typed", async () => {
    const api = new FakeApi([], []);
    api.recordList = [milk()];
    const { bump } = view(api, tasks());
    (await screen.findByRole("button", { name: "Buy milk" })).click();
    const name = (await screen.findByLabelText("Name")) as HTMLInputElement;
    fireEvent.input(name, { target: { value: "Buy oat milk" } });

    // Ana completes it while the user types.
    const done = change("tasks", "Buy milk", { action: "updated", verb: "completed", actor: "Ana", key: "1" });
    api.recordList = [milk({ flag: true, lastChange: done }, { done: true, version: 2 })];
    bump();
    await screen.findByText(/^Ana completed this · just now$/);
    expect((screen.getByRole("checkbox", { name: "Done" }) as HTMLInputElement).checked).toBe(true);
    expect(name.value).toBe("Buy oat milk");

    // The save is made against what the user now sees: Ana's change is kept.
    screen.getByRole("button", { name: "Save" }).click();
    await waitFor(() => expect(api.called("write").length).toBe(1));
    const [, sent] = api.called("write")[0] as [string, { fields: unknown; base: Record<string, unknown> }];
    expect(sent.fields).toEqual({ title: "Buy oat milk" });
    expect(sent.base.version).toBe(2);
  });

  it("shows a refused edit as a conflict, and keeps theirs", async () => {
    const api = await saveRenamed(conflict({ name: "Buy soy milk" }));
    const dialog = await screen.findByRole("alertdialog", { name: /^Ana changed this/ });
    expect(dialog.querySelector(".mine")?.textContent).toContain("Buy oat milk");
    expect(dialog.querySelector(".theirs")?.textContent).toContain("Buy soy milk");
    screen.getByRole("button", { name: "Keep theirs" }).click();
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("Buy milk");
    expect(api.called("write").length).toBe(1);
  });

  it("applies mine as a new write against what is there now", async () => {
    const api = await saveRenamed(conflict({ name: "Buy soy milk" }));
    (await screen.findByRole("button", { name: "Apply mine" })).click();
    await waitFor(() => expect(api.called("write").length).toBe(2));
    const [, again] = api.called("write")[1] as [string, { fields: unknown; base: Record<string, unknown> }];
    expect(again.fields).toEqual({ title: "Buy oat milk" });
    expect(again.base).toEqual({ id: 1, name: "Buy soy milk", done: false, version: 2 });
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
  });

  it("offers to add again a record someone deleted while it was being edited", async () => {
    const api = await saveRenamed({ ...conflict({}), current: null });
    await screen.findByRole("alertdialog", { name: /^Ana deleted this/ });
    screen.getByRole("button", { name: "Add it again" }).click();
    await waitFor(() => expect(api.called("write").length).toBe(2));
    expect(api.called("write")[1]).toEqual(["tasks", { op: "create", fields: { title: "Buy oat milk" } }]);
  });
});

/** Opens "Buy milk", types a new name, and saves it, answered `answer`. */
async function saveRenamed(answer: Conflict) {
  const api = new FakeApi([], []);
  api.recordList = [milk()];
  view(api, tasks());
  (await screen.findByRole("button", { name: "Buy milk" })).click();
  fireEvent.input(await screen.findByLabelText("Name"), { target: { value: "Buy oat milk" } });
  api.writeAnswers = [answer];
  screen.getByRole("button", { name: "Save" }).click();
  return api;
}

/** The hub's answer to a stale rename: Ana changed it first. */
function conflict(now: Record<string, unknown>): Conflict {
  return {
    tried: { op: "update", key: "1", fields: { title: "Buy oat milk" }, base: milk().value },
    current: { id: 1, name: "Buy milk", done: false, version: 2, ...now },
    actor: "Ana",
    at: Date.now(),
  };
}
