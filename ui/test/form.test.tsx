import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import axe from "axe-core";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../src/app/App";
import type { FeedForm } from "../src/bindings/FeedForm";
import { blankForm } from "../src/components/FeedEditor";
import { FakeApi, feed } from "./fake";

afterEach(() => {
  document.body.innerHTML = "";
  localStorage.clear();
});

async function openAdd(api: FakeApi) {
  render(() => <App api={api} />);
  (await screen.findByRole("button", { name: "Add a feed" })).click();
  return screen.findByRole("form", { name: "Add a feed" });
}

const type = (label: string, value: string) => {
  const input = screen.getByLabelText(label) as HTMLInputElement;
  fireEvent.input(input, { target: { value } });
  fireEvent.change(input, { target: { value } });
};

const SAVE = "Add feed";

describe("the feed form", () => {
  it("shows each field's problem under it, in the core's words", async () => {
    const api = new FakeApi([], []);
    await openAdd(api);
    type("Stream URL", "ftp://example.com/x");
    const error = await screen.findByText('"ftp://example.com/x" is not an http(s) URL');
    const url = screen.getByLabelText("Stream URL");
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(url.getAttribute("aria-describedby")).toBe(error.id);
  });

  it("shows an error by its kind: a field's beside its input, any other above the form", async () => {
    const api = new FakeApi([], []);
    api.saveRefusals = [
      { kind: "invalid", field: "url", message: "the server refused it" },
      { kind: "unavailable", message: "Herald has stopped" },
      { kind: "invalid", field: "secret", message: "no keyring to keep it in" },
    ];
    await openAdd(api);
    type("Name", "alerts");
    type("Stream URL", "https://ntfy.example/alerts/sse");
    const save = () => screen.getByRole("button", { name: SAVE }).click();
    save();
    const beside = await screen.findByText("the server refused it");
    expect(beside.classList.contains("field-error")).toBe(true);
    save();
    const above = await screen.findByText("Herald has stopped");
    expect(above.classList.contains("notice")).toBe(true);
    expect(screen.queryByText("the server refused it")).toBeNull();
    // The secret's input is not on show without an authentication: above.
    save();
    expect((await screen.findByText("no keyring to keep it in")).classList.contains("notice")).toBe(true);
  });

  it("updates a control in place when its error comes, so typing goes on", async () => {
    const api = new FakeApi([], []);
    await openAdd(api);
    const url = screen.getByLabelText("Stream URL");
    url.focus();
    type("Name", "x");
    await screen.findByText('"" is not an http(s) URL');
    expect(screen.getByLabelText("Stream URL")).toBe(url);
  });

  it("tests the connection, detects the server, and trusts a refused certificate by its fingerprint", async () => {
    const api = new FakeApi([], []);
    const fingerprint = "AB:CD:EF";
    api.probeAnswers = [
      { status: null, contentType: null, events: [], ids: false, looksLike: null, problem: `the server's certificate (SHA-256 ${fingerprint}) is not trusted`, certificate: fingerprint, identityAccepted: null },
      { status: 200, contentType: "text/event-stream", events: [{ event: "create", id: "", data: '{"id":1,"name":"<b>x</b>"}' }], ids: false, looksLike: "task-list", problem: null, certificate: null, identityAccepted: null },
    ];
    await openAdd(api);
    type("Name", "list");
    type("Stream URL", "https://127.0.0.1:8443/events");
    screen.getByRole("button", { name: "Test connection" }).click();
    expect((await screen.findByText(fingerprint)).tagName).toBe("CODE");
    screen.getByRole("button", { name: "Trust this certificate" }).click();
    await waitFor(() => expect(api.called("trustCertificate")).toEqual([[fingerprint]]));
    expect(await screen.findByText("REST task list", { selector: ".probe-kind" })).toBeTruthy();
    expect(screen.getByText('{"id":1,"name":"<b>x</b>"}', { selector: "pre" })).toBeTruthy();
    expect(document.querySelector(".probe b")).toBeNull();
    const retested = api.called("probeFeed")[1][0] as FeedForm;
    expect(retested.caCert).toBe(`/certs/${fingerprint}.pem`);
    expect((screen.getByLabelText("Kind of server") as HTMLSelectElement).value).toBe("task-list");
  });

  it("sends the secret to be kept, never shows it again, and refuses an Authorization header", async () => {
    const api = new FakeApi([], []);
    await openAdd(api);
    type("Name", "hub");
    type("Stream URL", "http://127.0.0.1:1/tasks/subscribe");
    fireEvent.change(screen.getByLabelText("Scheme"), { target: { value: "bearer" } });
    type("Token", "t0ken");
    screen.getByRole("button", { name: "Add a header" }).click();
    type("Header 1 name", "Authorization");
    type("Header 1 value", "Bearer t0ken");
    expect(await screen.findByText("use the token field")).toBeTruthy();
    screen.getByRole("button", { name: "Remove header 1" }).click();
    fireEvent.submit(screen.getByRole("form", { name: "Add a feed" }));
    await waitFor(() => expect(api.called("saveFeed").at(-1)?.[1]).toBe("t0ken"));
    const saved = api.called("saveFeed").at(-1)![0] as FeedForm;
    expect(JSON.stringify(saved)).not.toContain("t0ken");
    expect(saved.auth).toBe("bearer");
  });

  it("takes a single sign-on and a proxy, with no secret to type", async () => {
    const api = new FakeApi([], []);
    await openAdd(api);
    type("Name", "incidents");
    type("Stream URL", "https://alerts.corp.example/incidents/sse");
    fireEvent.change(screen.getByLabelText("Scheme"), { target: { value: "signIn" } });
    expect(screen.queryByLabelText("Token")).toBeNull();
    type("Identity provider", "https://id.corp.example/realms/staff");
    type("Client ID", "herald");
    type("Scopes", "alerts");
    type("Proxy", "socks5h://127.0.0.1:1080");
    fireEvent.submit(screen.getByRole("form", { name: "Add a feed" }));
    await waitFor(() => expect(api.called("saveFeed").length).toBe(1));
    const [saved, secret] = api.called("saveFeed")[0] as [FeedForm, string | null];
    expect(secret ?? "").toBe("");
    expect([saved.auth, saved.issuer, saved.clientId, saved.scopes, saved.proxy]).toEqual([
      "signIn",
      "https://id.corp.example/realms/staff",
      "herald",
      "alerts",
      "socks5h://127.0.0.1:1080",
    ]);
  });

  it("takes a client certificate and its key file, tests it, and sends the key to be kept, never in the form", async () => {
    const api = new FakeApi([], []);
    api.picks = ["/home/ana/ana.pem", "/home/ana/ana.key"];
    api.probeAnswers = [
      { status: 400, contentType: "text/html", events: [], ids: false, looksLike: null, problem: "the server refused the client certificate (another issuer, expired, or revoked). Give the feed the certificate its server expects", certificate: null, identityAccepted: false },
      { status: 200, contentType: "text/event-stream", events: [], ids: false, looksLike: null, problem: null, certificate: null, identityAccepted: true },
    ];
    await openAdd(api);
    type("Name", "corp");
    type("Stream URL", "https://door.example/events");
    expect(screen.queryByLabelText("Certificate file")).toBeNull();
    screen.getByRole("checkbox", { name: "The server asks for a client certificate (mutual TLS)" }).click();
    screen.getByRole("button", { name: "Test connection" }).click();
    expect((await screen.findByText(/refused the client certificate/)).getAttribute("role")).toBe("alert");
    screen.getByRole("button", { name: "Choose the certificate file" }).click();
    await waitFor(() => expect((screen.getByLabelText("Certificate file") as HTMLInputElement).value).toBe("/home/ana/ana.pem"));
    screen.getByRole("button", { name: "Choose the private key file" }).click();
    await waitFor(() => expect((screen.getByLabelText("Private key file") as HTMLInputElement).value).toBe("/home/ana/ana.key"));
    screen.getByRole("button", { name: "Test connection" }).click();
    expect(await screen.findByText("The server accepted the client certificate.")).toBeTruthy();
    expect(api.called("probeFeed")[1][2]).toEqual({ kind: "file", path: "/home/ana/ana.key" });
    fireEvent.submit(screen.getByRole("form", { name: "Add a feed" }));
    await waitFor(() => expect(api.called("saveFeed").length).toBe(1));
    const [saved, , key] = api.called("saveFeed")[0] as [FeedForm, string | null, unknown];
    expect(saved.clientCert).toBe("/home/ana/ana.pem");
    expect(key).toEqual({ kind: "file", path: "/home/ana/ana.key" });
    expect(JSON.stringify(saved)).not.toContain("ana.key");
  });

  it("edits a feed without its secret, and removal asks twice", async () => {
    const api = new FakeApi([feed("alerts")], []);
    api.forms.set("alerts", { ...blankForm(), name: "alerts", url: "http://127.0.0.1:1/alerts/sse", auth: "bearer", preset: "ntfy" });
    render(() => <App api={api} />);
    (await screen.findByRole("button", { name: /^alerts/ })).click();
    (await screen.findByRole("button", { name: "Edit" })).click();
    await screen.findByRole("form", { name: "Edit feed" });
    expect((screen.getByLabelText("Token") as HTMLInputElement).value).toBe("");
    expect((screen.getByLabelText("Name") as HTMLInputElement).readOnly).toBe(true);
    screen.getByRole("button", { name: "Remove feed" }).click();
    expect(api.called("removeFeed")).toEqual([]);
    screen.getByRole("button", { name: /Confirm/ }).click();
    await waitFor(() => expect(api.called("removeFeed")).toEqual([["alerts"]]));
  });

  it("starts new feeds with the default retention from settings, and imports and exports", async () => {
    const api = new FakeApi([], []);
    render(() => <App api={api} />);
    (await screen.findByRole("button", { name: "Settings" })).click();
    const days = await screen.findByLabelText("Keep history for (days)");
    fireEvent.change(days, { target: { value: "30" } });
    screen.getByRole("button", { name: "Import feeds…" }).click();
    expect(await screen.findByText("Imported 2 feeds.")).toBeTruthy();
    screen.getByRole("button", { name: "Export feeds…" }).click();
    expect(await screen.findByText("Exported to /home/u/feeds.toml.")).toBeTruthy();
    screen.getByRole("button", { name: "Add a feed" }).click();
    expect(((await screen.findByLabelText("Keep days")) as HTMLInputElement).value).toBe("30");
    const result = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
    expect(result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  });

  it("sets do not disturb, quiet hours and mutes in the core, and sends a test notification", async () => {
    const api = new FakeApi([], []);
    api.quietNow = { doNotDisturb: { kind: "off" }, hours: null, mutes: { alerts: Date.now() + 3_600_000 } };
    render(() => <App api={api} />);
    (await screen.findByRole("button", { name: "Settings" })).click();
    expect((await screen.findByText("Off")).tagName).toBe("STRONG");
    screen.getByRole("button", { name: "Until I turn it off" }).click();
    expect(await screen.findByText("On until you turn it off")).toBeTruthy();
    expect(api.called("doNotDisturb")).toEqual([["untilOff"]]);
    screen.getByRole("button", { name: "Turn off" }).click();
    await waitFor(() => expect(api.called("doNotDisturb")).toEqual([["untilOff"], [null]]));
    fireEvent.click(screen.getByLabelText("Quiet hours every day"));
    const from = (await screen.findByLabelText("From")) as HTMLInputElement;
    expect(from.value).toBe("22:00");
    fireEvent.change(screen.getByLabelText("to"), { target: { value: "06:30" } });
    await waitFor(() => expect(api.quietNow.hours).toEqual({ from: "22:00", to: "06:30" }));
    screen.getByRole("button", { name: "Unmute" }).click();
    await waitFor(() => expect(api.quietNow.mutes).toEqual({}));
    screen.getByRole("button", { name: "Send a test notification" }).click();
    expect(await screen.findByText(/^Sent\./)).toBeTruthy();
    const result = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
    expect(result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  });
});
