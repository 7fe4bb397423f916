// One message in full: its title and body (markdown rendered and
// sanitised), its icon and attachment (pictures come from the tray
// process's bounded cache, or say why they are not shown), its buttons,
// and what came of them. An http button shows its request, method, URL,
// headers and body, and is sent only when the user says so.
import { createResource, createSignal, For, Show } from "solid-js";
import type { Api } from "../api";
import type { Attachment } from "../bindings/Attachment";
import type { MessageAction } from "../bindings/MessageAction";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import { messageOf } from "../lib/errors";
import { renderMarkdown } from "../lib/markdown";
import { ago } from "../lib/time";
import { Pairs } from "./Pairs";

interface Props {
  api: Api;
  entry: TimelineEntry;
  now: number;
  onClose(): void;
}

const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} kB` : `${bytes} B`;

const looksLikeImage = (a: Attachment) =>
  a.claimedType ? a.claimedType.startsWith("image/") : /\.(png|jpe?g|gif|webp)$/i.test(a.name);

/** A picture from the tray process, or what happened to it. */
function Picture(props: { api: Api; url: string; size?: number; alt: string; class: string }) {
  const [picture] = createResource(() => props.api.picture(props.url, props.size ?? null));
  return (
    <Show when={picture()} fallback={<span class="picture-loading">Loading picture…</span>}>
      {(p) => {
        const shown = p();
        return shown.kind === "shown" ? (
          <img class={props.class} src={shown.dataUrl} alt={props.alt} />
        ) : (
          <span class="picture-refused" role="note">
            Not shown: {refusalText(shown.refusal)}
          </span>
        );
      }}
    </Show>
  );
}

function refusalText(refusal: import("../bindings/Refusal").Refusal): string {
  switch (refusal.kind) {
    case "notHttp":
      return "only http(s) links are fetched";
    case "redirectNotHttp":
      return `it redirects to ${refusal.to}, which is not http(s)`;
    case "tooManyRedirects":
      return `it redirects more than ${refusal.max} times`;
    case "tooLarge":
      return `it is ${size(refusal.size)}, over the ${size(refusal.max)} limit`;
    case "notAPicture":
      return `it says it is ${refusal.claimed}, but it is not a picture`;
    case "status":
      return `the server answered ${refusal.status}`;
    case "unreachable":
      return `it could not be fetched (${refusal.reason})`;
  }
}

export function MessageView(props: Props) {
  const change = () => props.entry.change;
  const extras = () => change().extras ?? {};
  const [confirming, setConfirming] = createSignal<{ at: number; action: Extract<MessageAction, { action: "http" }> } | null>(null);
  const [problem, setProblem] = createSignal<string | null>(null);
  // What the buttons did: what the store kept, then what was pressed here.
  const [results, setResults] = createSignal(props.entry.results);
  let dialog: HTMLDialogElement | undefined;

  const press = (at: number) => {
    setProblem(null);
    props.api.pressButton(props.entry.id, at).then(
      (result) => {
        if (!result.ok) setProblem(result.outcome);
        setResults([...results(), result]);
      },
      (e) => setProblem(messageOf(e)),
    );
  };
  const ask = (at: number, action: MessageAction) => {
    if (action.action === "http") {
      setConfirming({ at, action });
      dialog?.showModal();
    } else {
      press(at);
    }
  };
  const send = () => {
    const asked = confirming();
    dialog?.close();
    setConfirming(null);
    if (asked) press(asked.at);
  };
  // Links in rendered markdown go to the system browser, never the webview.
  const followLink = (e: MouseEvent) => {
    const link = (e.target as Element | null)?.closest("a");
    if (!link) return;
    e.preventDefault();
    const href = link.getAttribute("href");
    if (href) props.api.openLink(href).catch((err) => setProblem(messageOf(err)));
  };

  return (
    <section class="message-view" aria-label="Message">
      <header>
        <Show when={extras().icon}>
          {(icon) => <Picture api={props.api} url={icon()} alt="" class="message-icon" />}
        </Show>
        <h2>
          <bdi>{change().title}</bdi>
        </h2>
        <button type="button" class="close" onClick={() => props.onClose()}>
          Close
        </button>
      </header>
      <p class="meta">
        <bdi class="feed-name">{change().feed}</bdi> · <time dateTime={new Date(change().at).toISOString()}>{ago(change().at, props.now)}</time>
      </p>
      <Show when={props.entry.withdrawn}>
        <p class="withdrawn" role="note">
          Its sender withdrew this message.
        </p>
      </Show>
      <Show when={change().body}>
        {(body) => (
          <Show when={extras().markdown} fallback={<p class="message-body">{body()}</p>}>
            {/* The one place the window sets HTML: DOMPurify's output (see lib/markdown). */}
            <div class="message-body markdown" onClick={followLink} innerHTML={renderMarkdown(body())} />
          </Show>
        )}
      </Show>
      <Show when={extras().attachment}>
        {(attachment) => (
          <figure class="attachment">
            <Show when={looksLikeImage(attachment())}>
              <Picture
                api={props.api}
                url={attachment().url}
                size={attachment().size}
                alt={attachment().name}
                class="attachment-image"
              />
            </Show>
            <figcaption>
              <bdi>{attachment().name}</bdi>
              <Show when={attachment().claimedType}>{(t) => <span> · {t()}</span>}</Show>
              <Show when={attachment().size !== undefined}> · {size(attachment().size!)}</Show>{" "}
              <button type="button" onClick={() => props.api.openLink(attachment().url).catch((e) => setProblem(messageOf(e)))}>
                Open in browser
              </button>
            </figcaption>
          </figure>
        )}
      </Show>
      <div class="message-actions">
        <Show when={change().click}>
          {(link) => (
            <button type="button" onClick={() => props.api.openLink(link()).catch((e) => setProblem(messageOf(e)))}>
              Open link
            </button>
          )}
        </Show>
        <For each={extras().actions ?? []}>
          {(action, at) => (
            <Show
              when={action.action !== "unavailable"}
              fallback={
                <button type="button" disabled title="This action is for ntfy's Android app">
                  {action.label} (not on a desktop)
                </button>
              }
            >
              <button type="button" data-action={action.action} onClick={() => ask(at(), action)}>
                {action.label}
              </button>
            </Show>
          )}
        </For>
      </div>
      <Show when={problem()}>
        <p class="problem" role="alert">
          {problem()}
        </p>
      </Show>
      <Show when={results().length > 0}>
        <ul class="action-results" aria-label="What the buttons did">
          <For each={results()}>
            {(result) => (
              <li classList={{ failed: !result.ok }}>
                <strong>{result.label}</strong>: {result.outcome} ·{" "}
                <time dateTime={new Date(result.at).toISOString()}>{ago(result.at, props.now)}</time>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <dialog ref={dialog} class="confirm-http" aria-label="Send this request?" onClose={() => setConfirming(null)}>
        <Show when={confirming()}>
          {(asked) => (
            <form method="dialog" onSubmit={(e) => (e.preventDefault(), send())}>
              <h3>Send this request?</h3>
              <p>
                <code class="method">{asked().action.method}</code> <code class="url">{asked().action.url}</code>
              </p>
              <Show when={Object.keys(asked().action.headers).length > 0}>
                <Pairs class="headers" pairs={Object.entries(asked().action.headers)} />
              </Show>
              <Show when={asked().action.body}>{(body) => <pre class="body">{body()}</pre>}</Show>
              <p class="hint">Herald adds the feed's credentials only if this goes to the feed's own server.</p>
              <div class="form-actions">
                <button type="submit" class="primary">
                  Send
                </button>
                <button type="button" onClick={() => dialog?.close()}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </Show>
      </dialog>
    </section>
  );
}
