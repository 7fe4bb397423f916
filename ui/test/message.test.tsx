// @vitest-environment jsdom
// DOMPurify sanitises wrongly under happy-dom (it kept a <script> and dropped
// an <h1> there), so this file runs in jsdom, which DOMPurify is tested on.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@solidjs/testing-library";
import axe from "axe-core";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../src/app/App";
import { renderMarkdown } from "../src/lib/markdown";
import { change, entries, FakeApi, feed } from "./fake";

// jsdom's <dialog> is not the browser's: these open and close it as the
// webview does, without the focus trap.
HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
  this.setAttribute("open", "");
};
HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
  this.removeAttribute("open");
  this.dispatchEvent(new Event("close"));
};

afterEach(() => {
  cleanup();
  delete (window as unknown as { __pwned?: number }).__pwned;
});

const HOSTILE_MARKDOWN = [
  "# Deploy **done**",
  "<script>window.__pwned = 1</script>",
  '<img src=x onerror="window.__pwned = 2">',
  "[click me](javascript:window.__pwned=3) and [the log](https://ci.example/log/7)",
  "![passwd](file:///etc/passwd)",
  '<a href="https://ok.example" onclick="window.__pwned = 4">raw</a>',
  "<style>body { display: none }</style><iframe src=https://evil.example></iframe>",
].join("\n\n");

function withMessage(over: Parameters<typeof entries>[2]) {
  const api = new FakeApi([feed("alerts")], entries("alerts", ["Front door"], over));
  render(() => <App api={api} />);
  return api;
}

describe("a message in full", () => {
  it("renders markdown through a sanitiser: no script, handler, image, frame or non-http link", () => {
    const html = renderMarkdown(HOSTILE_MARKDOWN);
    const box = document.createElement("div");
    box.innerHTML = html;
    expect(box.querySelector("h1")?.textContent).toBe("Deploy done");
    expect(box.querySelectorAll("script, img, iframe, style").length).toBe(0);
    const hrefs = [...box.querySelectorAll("a")].map((a) => a.getAttribute("href"));
    expect(hrefs.every((h) => h === null || h.startsWith("https://"))).toBe(true);
    expect(hrefs).toContain("https://ci.example/log/7");
    expect(html).not.toMatch(/onerror|onclick|javascript:/i);
    const huge = renderMarkdown("word ".repeat(300_000));
    expect(huge.length).toBeLessThan(70 * 1024);
  });

  it("opens a rich message, follows its links through the browser, and says why a picture is not shown", async () => {
    const api = withMessage({
      body: HOSTILE_MARKDOWN,
      extras: {
        markdown: true,
        attachment: { name: "door.png", claimedType: "image/png", url: "https://cams.example/door.png", size: 1 << 30 },
      },
    });
    api.pictures["https://cams.example/door.png"] = {
      kind: "refused",
      refusal: { kind: "tooLarge", size: 1 << 30, max: 5 * 1024 * 1024 },
    };
    (await screen.findByText("Front door", { selector: ".summary" })).click();
    const view = await screen.findByRole("region", { name: "Message" });
    expect(view.querySelectorAll("script, img[onerror], iframe").length).toBe(0);
    expect((await screen.findByRole("note")).textContent).toBe("Not shown: it is 1024.0 MB, over the 5.0 MB limit");
    fireEvent.click(screen.getByRole("link", { name: "the log" }));
    await waitFor(() => expect(api.called("openLink")).toEqual([["https://ci.example/log/7"]]));
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    // jsdom computes no colours: contrast is checked in the window tests.
    const { violations } = await axe.run(view, { rules: { "color-contrast": { enabled: false } } });
    expect(violations.map((v) => v.id)).toEqual([]);
  });

  it("sends an http action only once it is confirmed, and exactly once", async () => {
    const api = withMessage({
      extras: {
        actions: [
          { action: "http", label: "Close door", url: "https://api.example/door", method: "PUT", headers: { "X-Door": "front" }, body: '{"open":false}', clear: false, allowed: false },
          { action: "unavailable", label: "Take photo", kind: "broadcast" },
        ],
      },
    });
    api.pressed = { label: "Close door", ok: true, outcome: "PUT https://api.example/door answered 200 OK", at: Date.now() };
    (await screen.findByText("Front door", { selector: ".summary" })).click();
    const view = within(await screen.findByRole("region", { name: "Message" }));
    view.getByRole("button", { name: "Close door" }).click();
    const dialog = document.querySelector("dialog.confirm-http")!;
    expect(dialog.textContent).toContain("PUT");
    expect(dialog.textContent).toContain("https://api.example/door");
    expect(dialog.textContent).toContain("X-Door");
    expect(dialog.textContent).toContain('{"open":false}');
    expect(api.called("pressButton")).toEqual([]);
    view.getByRole("button", { name: "Cancel" }).click();
    expect(api.called("pressButton")).toEqual([]);
    view.getByRole("button", { name: "Close door" }).click();
    view.getByRole("button", { name: "Send" }).click();
    await waitFor(() => expect(api.called("pressButton")).toEqual([[1, 0]]));
    expect((await view.findByRole("list", { name: "What the buttons did" })).textContent).toContain("answered 200 OK");
    expect((view.getByRole("button", { name: /Take photo/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("lists an ntfy feed's scheduled messages above its timeline", async () => {
    const api = new FakeApi([feed("alerts", { preset: "ntfy" })], []);
    api.scheduled = [{ ...change("alerts", "Standup"), at: Date.now() + 3_600_000 }];
    render(() => <App api={api} />);
    const list = await screen.findByRole("region", { name: "Scheduled messages" });
    expect(list.textContent).toContain("Standup");
    expect(api.called("upcoming")).toContainEqual(["alerts"]);
  });
});
