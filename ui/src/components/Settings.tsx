// Settings: the theme, starting at login, notifications, quiet and sounds, the
// retention a new feed starts with, and the feeds file.
import { createResource, createSignal, For, Show } from "solid-js";
import type { Api } from "../api";
import { messageOf } from "../lib/errors";
import { defaultKeepDays, setDefaultKeepDays } from "../lib/settings";
import { applyTheme, savedTheme, type Theme } from "../lib/theme";
import { AttentionSettings } from "./Attention";
import { SoundSettings } from "./Sounds";

const THEMES: [Theme, string][] = [
  ["system", "Follow the system"],
  ["light", "Light"],
  ["dark", "Dark"],
];

export function Settings(props: { api: Api; feedNames: string[]; onError(message: string): void }) {
  const [theme, setTheme] = createSignal(savedTheme());
  const [keepDays, setKeepDays] = createSignal(defaultKeepDays());
  const [done, setDone] = createSignal<string | null>(null);
  const fail = (e: unknown) => props.onError(messageOf(e));
  const importFile = () =>
    props.api.importFeeds().then((n) => setDone(n === 0 ? null : `Imported ${n} ${n === 1 ? "feed" : "feeds"}.`), fail);
  const exportFile = () => props.api.exportFeeds().then((path) => setDone(path ? `Exported to ${path}.` : null), fail);
  const choose = (next: Theme) => {
    setTheme(next);
    applyTheme(next);
  };
  return (
    <section class="settings-page" aria-label="Settings">
      <fieldset>
        <legend>Theme</legend>
        <For each={THEMES}>
          {([value, label]) => (
            <label class="check">
              <input type="radio" name="theme" value={value} checked={theme() === value} onChange={() => choose(value)} />
              {label}
            </label>
          )}
        </For>
      </fieldset>
      <StartAtLogin api={props.api} onError={fail} />
      <AttentionSettings api={props.api} onError={props.onError} />
      <SoundSettings api={props.api} feedNames={props.feedNames} onError={props.onError} />
      <fieldset>
        <legend>New feeds</legend>
        <label for="default-keep-days">Keep history for (days)</label>
        <input
          id="default-keep-days"
          type="number"
          min="1"
          aria-describedby="default-keep-days-hint"
          value={keepDays() ?? ""}
          onChange={(e) => {
            const days = e.currentTarget.value.trim() === "" ? null : Math.max(1, Math.round(Number(e.currentTarget.value)));
            setKeepDays(days);
            setDefaultKeepDays(days);
          }}
        />
        <p class="hint" id="default-keep-days-hint">
          What a new feed's form starts with. Blank keeps everything.
        </p>
      </fieldset>
      <fieldset>
        <legend>Feeds file</legend>
        <p class="hint">The same TOML as herald-cli feeds import. Secrets stay in the keyring: a file names their entries only.</p>
        <div class="form-actions">
          <button type="button" class="import" onClick={importFile}>
            Import feeds…
          </button>
          <button type="button" class="export" onClick={exportFile}>
            Export feeds…
          </button>
        </div>
        <Show when={done()}>
          <p role="status">{done()}</p>
        </Show>
      </fieldset>
    </section>
  );
}

/** Starting Herald, in the tray, when the user logs in. */
function StartAtLogin(props: { api: Api; onError(e: unknown): void }) {
  const [on, { mutate }] = createResource(() => props.api.autostart().catch((e) => (props.onError(messageOf(e)), false)));
  const toggle = (next: boolean) =>
    props.api.setAutostart(next).then(mutate, (e) => {
      props.onError(messageOf(e));
      mutate(!next);
    });
  return (
    <fieldset>
      <legend>Starting</legend>
      <label class="check">
        <input
          type="checkbox"
          class="autostart"
          aria-describedby="autostart-hint"
          checked={on() ?? false}
          disabled={on.loading}
          onChange={(e) => toggle(e.currentTarget.checked)}
        />
        Start Herald when I log in
      </label>
      <p class="hint" id="autostart-hint">
        In the tray, without opening this window.
      </p>
    </fieldset>
  );
}
