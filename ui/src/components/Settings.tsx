// Settings that work today: the theme. Attention and autostart come with
// the issues that build them; no control here does nothing.
import { createSignal, For } from "solid-js";
import { applyTheme, savedTheme, type Theme } from "../lib/theme";

const THEMES: [Theme, string][] = [
  ["system", "Follow the system"],
  ["light", "Light"],
  ["dark", "Dark"],
];

export function Settings() {
  const [theme, setTheme] = createSignal(savedTheme());
  const choose = (next: Theme) => {
    setTheme(next);
    applyTheme(next);
  };
  return (
    <section class="settings" aria-label="Settings">
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
    </section>
  );
}
