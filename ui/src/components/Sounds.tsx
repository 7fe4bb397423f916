// The sounds notifications make: a name from the desktop's sound theme for
// each priority, for every feed, and for the feeds that want their own.
// The notification server plays them; Herald ships none. The choice is kept
// in the Rust core, which stamps each notification with its sound.
import { createResource, For, Show } from "solid-js";
import type { Api } from "../api";
import type { PrioritySounds } from "../bindings/PrioritySounds";
import type { SoundName } from "../bindings/SoundName";
import type { Sounds } from "../bindings/Sounds";
import { messageOf } from "../lib/errors";

type Priority = keyof PrioritySounds;

const PRIORITIES: [Priority, string][] = [
  ["low", "Low"],
  ["normal", "Normal"],
  ["urgent", "Urgent"],
];

/** Sounds of the freedesktop theme that suit a notification. */
export const THEME_SOUNDS: [SoundName, string][] = [
  ["message-new-instant", "New message"],
  ["message", "Message"],
  ["bell", "Bell"],
  ["complete", "Complete"],
  ["dialog-information", "Information"],
  ["dialog-warning", "Warning"],
  ["window-attention", "Attention"],
  ["alarm-clock-elapsed", "Alarm clock"],
  ["phone-incoming-call", "Phone ringing"],
];

export function SoundSettings(props: { api: Api; feedNames: string[]; onError(message: string): void }) {
  const [sounds, { mutate }] = createResource(() => props.api.sounds());
  const fail = (e: unknown) => props.onError(messageOf(e));
  const save = (next: Sounds) => {
    mutate(next);
    props.api.setSounds(next).catch(fail);
  };
  const ownOf = (s: Sounds, feed: string): PrioritySounds | undefined => s.feeds[feed] ?? undefined;
  const setOwn = (s: Sounds, feed: string, own: PrioritySounds | null) => {
    const feeds = { ...s.feeds };
    if (own === null) delete feeds[feed];
    else feeds[feed] = own;
    save({ ...s, feeds });
  };
  const tryIt = (sound: SoundName | null) => props.api.testNotification(sound).catch(fail);
  const row = (who: string, chosen: () => PrioritySounds, set: (next: PrioritySounds) => void) => (
    <For each={PRIORITIES}>
      {([priority, label]) => (
        <td>
          <SoundPicker
            label={`${label} priority, ${who}`}
            chosen={chosen()[priority]}
            onPick={(sound) => set({ ...chosen(), [priority]: sound })}
            onTry={() => tryIt(chosen()[priority])}
          />
        </td>
      )}
    </For>
  );
  return (
    <Show when={sounds()}>
      {(s) => (
        <fieldset class="sounds">
          <legend>Sounds</legend>
          <p class="hint">
            From your desktop's sound theme. "Desktop's own" leaves the sound to your desktop's settings. A notification
            that comes through while Herald keeps quiet makes none.
          </p>
          <table class="sound-table">
            <thead>
              <tr>
                <th scope="col">Feeds</th>
                <For each={PRIORITIES}>{([, label]) => <th scope="col">{label}</th>}</For>
              </tr>
            </thead>
            <tbody>
              <tr data-sounds="every">
                <th scope="row">Every feed</th>
                {row("every feed", () => s().every, (every) => save({ ...s(), every }))}
              </tr>
              <For each={props.feedNames}>
                {(feed) => (
                  <tr data-sounds={feed}>
                    <th scope="row">
                      <label class="check">
                        <input
                          type="checkbox"
                          class="own-sounds"
                          aria-label={`Own sounds for ${feed}`}
                          checked={ownOf(s(), feed) !== undefined}
                          onChange={(e) => setOwn(s(), feed, e.currentTarget.checked ? { ...s().every } : null)}
                        />
                        <bdi>{feed}</bdi>
                      </label>
                    </th>
                    <Show
                      when={ownOf(s(), feed)}
                      fallback={
                        <td colspan={3} class="hint">
                          As every feed
                        </td>
                      }
                    >
                      {(own) => row(feed, own, (next) => setOwn(s(), feed, next))}
                    </Show>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </fieldset>
      )}
    </Show>
  );
}

/** A sound for one priority, and a button to hear it in a test notification. */
function SoundPicker(props: {
  label: string;
  chosen: SoundName | null;
  onPick(sound: SoundName | null): void;
  onTry(): void;
}) {
  const known = () => THEME_SOUNDS.some(([name]) => name === props.chosen);
  return (
    <span class="sound-picker">
      <select
        aria-label={props.label}
        value={props.chosen ?? ""}
        onChange={(e) => props.onPick(e.currentTarget.value === "" ? null : e.currentTarget.value)}
      >
        <option value="">Desktop's own</option>
        <For each={THEME_SOUNDS}>{([name, label]) => <option value={name}>{label}</option>}</For>
        <Show when={props.chosen !== null && !known()}>
          <option value={props.chosen ?? ""}>{props.chosen}</option>
        </Show>
      </select>
      <button type="button" class="try-sound" aria-label={`Try: ${props.label}`} title="Try it" onClick={() => props.onTry()}>
        ▶
      </button>
    </span>
  );
}
