// Adding or editing a feed. Each field is checked by herald-core's one
// check of a feed (the same words as `herald-cli feeds import`), the secret
// goes straight to the OS keyring and is never shown again, and "Test
// connection" tries the feed exactly as Herald would follow it.
import { createSignal, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { createStore, unwrap } from "solid-js/store";
import type { Api } from "../api";
import type { ClientKey } from "../bindings/ClientKey";
import type { FeedForm } from "../bindings/FeedForm";
import type { HeraldError } from "../bindings/HeraldError";
import type { Preset } from "../bindings/Preset";
import type { ProbeReport } from "../bindings/ProbeReport";
import { asHeraldError, fieldOf, messageOf } from "../lib/errors";
import { defaultKeepDays } from "../lib/settings";
import { PRESETS, ProbeResult } from "./ProbeResult";

interface Props {
  api: Api;
  /** The feed's form when editing; a new feed when absent. */
  initial?: FeedForm;
  onSaved(name: string): void;
  onRemoved(): void;
}

export function blankForm(): FeedForm {
  return {
    name: "",
    url: "",
    preset: null,
    headers: [],
    snapshotUrl: "",
    keyField: "",
    me: "",
    auth: "none",
    username: "",
    issuer: "",
    clientId: "",
    scopes: "",
    proxy: "",
    caCert: null,
    clientCert: null,
    keepDays: defaultKeepDays(),
    keepCount: null,
    paused: false,
  };
}

const numberOrNull = (text: string) => (text.trim() === "" ? null : Number(text));

export function FeedEditor(props: Props) {
  const editing = props.initial !== undefined;
  const [form, setForm] = createStore<FeedForm>(structuredClone(props.initial ?? blankForm()));
  const [secret, setSecret] = createSignal("");
  // The client certificate's key: a PEM key file, or a PKCS#12 passphrase.
  const [keyFile, setKeyFile] = createSignal("");
  const [passphrase, setPassphrase] = createSignal("");
  const [presents, setPresents] = createSignal(props.initial?.clientCert != null);
  const [error, setError] = createSignal<HeraldError | null>(null);
  const [report, setReport] = createSignal<ProbeReport | null>(null);
  const [busy, setBusy] = createSignal<string | null>(null);
  const [removing, setRemoving] = createSignal(false);

  const current = () => structuredClone(unwrap(form)) as FeedForm;
  const secretOrNull = () => (secret() === "" ? null : secret());
  const clientKey = (): ClientKey | null =>
    !presents() ? null : keyFile().trim() !== "" ? { kind: "file", path: keyFile().trim() } : passphrase() !== "" ? { kind: "passphrase", passphrase: passphrase() } : null;
  const choose = async (which: "certificate" | "key") => {
    const path = await props.api.chooseCertificateFile(which).catch((e) => (setError(asHeraldError(e)), null));
    if (path === null) return;
    if (which === "certificate") setForm("clientCert", path);
    else setKeyFile(path);
  };
  // The inputs on show now (some come and go with the authentication).
  const [shown, setShown] = createSignal<ReadonlySet<string>>(new Set(["headers"]));
  // An invalid field is told beside its input; anything else, or a field
  // not on show, above the form.
  const errorFor = (field: string) => (fieldOf(error()) === field ? messageOf(error()) : null);
  const general = () => {
    const field = fieldOf(error());
    return error() !== null && (field === null || !shown().has(field)) ? messageOf(error()) : null;
  };
  const validate = () => props.api.validateFeed(current()).then(() => setError(null), (e) => setError(asHeraldError(e)));

  const test = async () => {
    setBusy("Testing…");
    try {
      const found = await props.api.probeFeed(current(), secretOrNull(), clientKey());
      setReport(found);
      setError(null);
      if (form.preset === null && found.looksLike && found.problem === null) setForm("preset", found.looksLike);
    } catch (e) {
      setError(asHeraldError(e));
    } finally {
      setBusy(null);
    }
  };
  const trust = async (fingerprint: string) => {
    try {
      setForm("caCert", await props.api.trustCertificate(fingerprint));
      await test();
    } catch (e) {
      setError(asHeraldError(e));
    }
  };
  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    setBusy("Saving…");
    try {
      await props.api.saveFeed(current(), secretOrNull(), clientKey());
      setSecret("");
      setKeyFile("");
      setPassphrase("");
      props.onSaved(form.name.trim());
    } catch (e) {
      setError(asHeraldError(e));
    } finally {
      setBusy(null);
    }
  };
  const remove = async () => {
    if (!removing()) return setRemoving(true);
    try {
      await props.api.removeFeed(form.name);
      props.onRemoved();
    } catch (e) {
      setError(asHeraldError(e));
    }
  };

  /** A labelled control with its error, if the last check named it. */
  // `control` is called once: its attributes read `describedBy()`, so a
  // new error updates them without making the control again (which would
  // take the focus, and the text being typed, away from the user).
  const field = (name: string, label: string, control: (id: string, describedBy: () => string | undefined) => JSX.Element, hint?: string) => {
    const id = `feed-${name}`;
    onMount(() => setShown((names) => new Set(names).add(name)));
    onCleanup(() => setShown((names) => new Set([...names].filter((n) => n !== name))));
    const describedBy = () => (errorFor(name) !== null ? `${id}-error` : hint ? `${id}-hint` : undefined);
    const made = control(id, describedBy);
    return (
      <div class="field" classList={{ invalid: errorFor(name) !== null }}>
        <label for={id}>{label}</label>
        {made}
        <Show when={hint && errorFor(name) === null}>
          <p class="hint" id={`${id}-hint`}>
            {hint}
          </p>
        </Show>
        <Show when={errorFor(name)}>
          {(message) => (
            <p class="field-error" id={`${id}-error`} role="alert">
              {message()}
            </p>
          )}
        </Show>
      </div>
    );
  };
  const text = (name: keyof FeedForm & string, label: string, hint?: string, type = "text") =>
    field(name, label, (id, describedBy) => (
      <input
        id={id}
        name={name}
        type={type}
        value={(form[name] as string | null) ?? ""}
        aria-invalid={errorFor(name) !== null}
        aria-describedby={describedBy()}
        readOnly={editing && name === "name"}
        onInput={(e) => setForm(name, e.currentTarget.value as never)}
        onChange={validate}
      />
    ), hint);

  return (
    <form class="feed-editor" aria-label={editing ? "Edit feed" : "Add a feed"} onSubmit={save} novalidate>
      <Show when={general()}>
        {(message) => (
          <p class="notice" classList={{ [error()!.kind]: true }} role="alert">
            {message()}
          </p>
        )}
      </Show>
      {text("name", "Name", editing ? "A feed's name cannot change." : "How Herald names it in the sidebar and notifications.")}
      {text("url", "Stream URL", "The text/event-stream address.", "url")}
      {field("preset", "Kind of server", (id, describedBy) => (
        <select
          id={id}
          name="preset"
          aria-describedby={describedBy()}
          value={form.preset ?? ""}
          onChange={(e) => setForm("preset", (e.currentTarget.value || null) as Preset | null)}
        >
          <option value="">Detect when testing</option>
          <For each={PRESETS}>{([value, label]) => <option value={value}>{label}</option>}</For>
        </select>
      ))}
      <div class="form-actions">
        <button type="button" class="test" onClick={test} disabled={busy() !== null}>
          Test connection
        </button>
        <Show when={busy() === "Testing…"}>
          <span class="busy">Testing…</span>
        </Show>
      </div>
      <Show when={report()}>{(found) => <ProbeResult report={found()} onTrust={trust} />}</Show>
      <fieldset class="auth">
        <legend>Authentication</legend>
        {field("auth", "Scheme", (id) => (
          <select id={id} name="auth" value={form.auth} onChange={(e) => setForm("auth", e.currentTarget.value as FeedForm["auth"])}>
            <option value="none">None</option>
            <option value="bearer">Bearer token</option>
            <option value="basic">User name and password</option>
            <option value="signIn">Single sign-on (OpenID Connect)</option>
          </select>
        ))}
        <Show when={form.auth === "basic"}>{text("username", "User name")}</Show>
        <Show when={form.auth === "signIn"}>
          {text("issuer", "Identity provider", "Its issuer's address: https://id.example.com/realms/staff")}
          {text("clientId", "Client ID", "Herald's client there: a public client, allowed to redirect to http://127.0.0.1/callback")}
          {text("scopes", "Scopes", "Besides openid and offline_access, separated by spaces")}
          <p class="hint">Once saved, sign in from the feed's Health page: your browser opens the provider's page.</p>
        </Show>
        <Show when={form.auth !== "none" && form.auth !== "signIn"}>
          {field("secret", form.auth === "basic" ? "Password" : "Token", (id, describedBy) => (
            <input
              id={id}
              name="secret"
              type="password"
              autocomplete="off"
              aria-describedby={describedBy()}
              value={secret()}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          ), editing ? "Kept in the OS keyring. Leave blank to keep the stored one." : "Kept in the OS keyring, never in a file.")}
        </Show>
      </fieldset>
      <fieldset class="network">
        <legend>Network</legend>
        {text("proxy", "Proxy", "http://proxy:3128, socks5h://proxy:1080, or none. Blank: the environment's or the desktop's proxy setting")}
      </fieldset>
      <fieldset class="client-certificate">
        <legend>Client certificate</legend>
        <label class="check">
          <input
            type="checkbox"
            name="presents"
            checked={presents()}
            onChange={(e) => {
              setPresents(e.currentTarget.checked);
              if (!e.currentTarget.checked) setForm("clientCert", null);
            }}
          />
          The server asks for a client certificate (mutual TLS)
        </label>
        <Show when={presents()}>
          {field("clientCert", "Certificate file", (id, describedBy) => (
            <div class="file-row">
              <input
                id={id}
                name="clientCert"
                value={form.clientCert ?? ""}
                aria-invalid={errorFor("clientCert") !== null}
                aria-describedby={describedBy()}
                onInput={(e) => setForm("clientCert", e.currentTarget.value || null)}
                onChange={validate}
              />
              <button type="button" class="choose" aria-label="Choose the certificate file" onClick={() => choose("certificate")}>
                Choose…
              </button>
            </div>
          ), "PEM (with its chain), or PKCS#12 (.p12, .pfx). The file stays where it is.")}
          {field("clientKey", "Private key file", (id, describedBy) => (
            <div class="file-row">
              <input id={id} name="clientKey" value={keyFile()} aria-describedby={describedBy()} onInput={(e) => setKeyFile(e.currentTarget.value)} />
              <button type="button" class="choose" aria-label="Choose the private key file" onClick={() => choose("key")}>
                Choose…
              </button>
            </div>
          ), editing ? "For a PEM certificate. Its contents go to the OS keyring; leave blank to keep the stored key." : "For a PEM certificate. Its contents go to the OS keyring, never to a Herald file.")}
          {field("passphrase", "Or its passphrase", (id, describedBy) => (
            <input id={id} name="passphrase" type="password" autocomplete="off" aria-describedby={describedBy()} value={passphrase()} onInput={(e) => setPassphrase(e.currentTarget.value)} />
          ), "For a PKCS#12 file. Kept in the OS keyring.")}
        </Show>
      </fieldset>
      <fieldset class="headers">
        <legend>Headers</legend>
        <For each={form.headers}>
          {(header, at) => (
            <div class="header-row">
              <input
                aria-label={`Header ${at() + 1} name`}
                value={header.name}
                onInput={(e) => setForm("headers", at(), "name", e.currentTarget.value)}
                onChange={validate}
              />
              <input
                aria-label={`Header ${at() + 1} value`}
                value={header.value}
                onInput={(e) => setForm("headers", at(), "value", e.currentTarget.value)}
                onChange={validate}
              />
              <button type="button" aria-label={`Remove header ${at() + 1}`} onClick={() => setForm("headers", (h) => h.filter((_, i) => i !== at()))}>
                ×
              </button>
            </div>
          )}
        </For>
        <Show when={errorFor("headers")}>
          {(message) => (
            <p class="field-error" role="alert">
              {message()}
            </p>
          )}
        </Show>
        <button type="button" class="add-header" onClick={() => setForm("headers", (h) => [...h, { name: "", value: "" }])}>
          Add a header
        </button>
      </fieldset>
      <fieldset class="records-settings">
        <legend>Records and identity</legend>
        {text("snapshotUrl", "Snapshot URL", "A REST GET of the whole collection, to resync after a gap.", "url")}
        {text("keyField", "Key field", "The field that identifies a record (id when blank).")}
        {text("me", "You are", "Your name on this server, or an http(s) URL that says it: your own changes stay silent.")}
      </fieldset>
      <fieldset class="retention">
        <legend>Retention</legend>
        {field("keepDays", "Keep days", (id, describedBy) => (
          <input id={id} name="keepDays" type="number" min="1" aria-describedby={describedBy()} value={form.keepDays ?? ""} onInput={(e) => setForm("keepDays", numberOrNull(e.currentTarget.value))} onChange={validate} />
        ), "Blank keeps everything.")}
        {field("keepCount", "Keep events", (id, describedBy) => (
          <input id={id} name="keepCount" type="number" min="1" aria-describedby={describedBy()} value={form.keepCount ?? ""} onInput={(e) => setForm("keepCount", numberOrNull(e.currentTarget.value))} onChange={validate} />
        ), "Blank keeps everything.")}
      </fieldset>
      <Show when={form.caCert}>
        <p class="hint trusted">Trusts exactly the certificate saved in {form.caCert}</p>
      </Show>
      <div class="form-actions">
        <button type="submit" class="save" disabled={busy() !== null}>
          {editing ? "Save" : "Add feed"}
        </button>
        <Show when={editing}>
          <button type="button" class="remove" onClick={remove}>
            {removing() ? "Confirm: remove it and its history" : "Remove feed"}
          </button>
        </Show>
        <span class="busy" aria-live="polite">
          {busy() ?? ""}
        </span>
      </div>
    </form>
  );
}
