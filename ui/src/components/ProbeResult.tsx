// What "Test connection" found: the status and Content-Type, the first
// events (as text), whether they carry ids and which server it looks like,
// or the exact failure, with "Trust this certificate" when it is one.
import { For, Show } from "solid-js";
import type { Preset } from "../bindings/Preset";
import type { ProbeReport } from "../bindings/ProbeReport";

export const PRESETS: [Preset, string][] = [
  ["herald-hub", "Herald hub"],
  ["task-list", "REST task list"],
  ["ntfy", "ntfy topic"],
  ["nchan", "nginx Nchan"],
  ["mercure", "Mercure hub"],
  ["generic", "Plain event stream"],
];

export const presetName = (preset: Preset) => PRESETS.find(([p]) => p === preset)?.[1] ?? preset;

interface Props {
  report: ProbeReport;
  onTrust(fingerprint: string): void;
}

export function ProbeResult(props: Props) {
  const r = () => props.report;
  return (
    <section class="probe" aria-label="Connection test" aria-live="polite">
      <dl>
        <dt>Status</dt>
        <dd class="probe-status">{r().status ?? "no answer"}</dd>
        <dt>Content-Type</dt>
        <dd class="probe-type">{r().contentType ?? "none"}</dd>
        <Show when={r().looksLike}>
          {(preset) => (
            <>
              <dt>Looks like</dt>
              <dd class="probe-kind">{presetName(preset())}</dd>
            </>
          )}
        </Show>
        <Show when={r().events.length > 0}>
          <dt>Event ids</dt>
          <dd class="probe-ids">{r().ids ? "yes: Herald resumes where it left off" : "none: Herald resyncs on every reconnection"}</dd>
        </Show>
      </dl>
      <Show when={r().identityAccepted === true}>
        <p class="hint probe-identity">The server accepted the client certificate.</p>
      </Show>
      <Show when={r().problem === null && r().events.length === 0}>
        <p class="hint probe-quiet">Connected; no events arrived while testing. Choose the kind of server if you know it.</p>
      </Show>
      <Show when={r().problem}>
        <p class="notice probe-problem" role="alert">
          {r().problem}
        </p>
      </Show>
      <Show when={r().certificate}>
        {(fingerprint) => (
          <div class="trust">
            <p>
              Compare this SHA-256 fingerprint with the server's own before you trust it:
              <code class="fingerprint">{fingerprint()}</code>
            </p>
            <button type="button" class="trust-button" onClick={() => props.onTrust(fingerprint())}>
              Trust this certificate
            </button>
          </div>
        )}
      </Show>
      <Show when={r().events.length > 0}>
        <h3>First events</h3>
        <ol class="probe-events">
          <For each={r().events}>
            {(event) => (
              <li>
                <span class="meta">
                  {event.event}
                  {event.id ? ` · id ${event.id}` : ""}
                </span>
                <pre>{event.data}</pre>
              </li>
            )}
          </For>
        </ol>
      </Show>
    </section>
  );
}
