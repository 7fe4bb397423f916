// When Herald keeps quiet: do not disturb, a daily schedule of quiet
// hours, muted feeds, and a test notification. What is quiet is kept in
// the Rust core, which decides every notification; this only shows and
// sets it.
import { createResource, For, Show, createSignal } from "solid-js";
import type { Api } from "../api";
import type { DesktopQuiet } from "../bindings/DesktopQuiet";
import type { DoNotDisturbFor } from "../bindings/DoNotDisturbFor";
import type { Quiet } from "../bindings/Quiet";
import { messageOf } from "../lib/errors";

const SPANS: [DoNotDisturbFor, string][] = [
  ["hour", "For 1 hour"],
  ["tomorrow", "Until tomorrow"],
  ["untilOff", "Until I turn it off"],
];

const clock = (at: number) => new Date(at).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
/** "22:00:00" as the core keeps it, "22:00" as a time input shows it. */
const hhmm = (time: string) => time.slice(0, 5);

/** Which of the desktop's own do-not-disturbs is on, as people know it. */
export function desktopQuietLabel(quiet: DesktopQuiet): string {
  return quiet === "gnome" ? "GNOME's Do Not Disturb" : "your desktop's Do not disturb";
}

export function dndLabel(quiet: Quiet): string {
  const dnd = quiet.doNotDisturb;
  if (dnd.kind === "on") return "On until you turn it off";
  if (dnd.kind === "until") return `On until ${clock(dnd.at)}`;
  return "Off";
}

export function AttentionSettings(props: { api: Api; onError(message: string): void }) {
  const [quiet, { mutate }] = createResource(() => props.api.quiet());
  const [status] = createResource(() => props.api.appStatus());
  const [tested, setTested] = createSignal<string | null>(null);
  const fail = (e: unknown) => props.onError(messageOf(e));
  const save = (next: Quiet) => {
    mutate(next);
    props.api.setQuiet(next).catch(fail);
  };
  const dnd = (span: DoNotDisturbFor | null) => props.api.doNotDisturb(span).then(mutate, fail);
  const test = () => {
    setTested(null);
    props.api.testNotification().then(() => setTested("Sent. If none appeared, check your desktop's notification settings."), (e) => setTested(messageOf(e)));
  };
  return (
    <Show when={quiet()}>
      {(q) => (
        <fieldset class="attention">
          <legend>Notifications</legend>
          <p class="dnd-state" role="status">
            Do not disturb: <strong>{dndLabel(q())}</strong>
          </p>
          <Show when={status()?.desktopQuiet}>
            {(desktop) => (
              <p class="desktop-quiet" role="status">
                {desktopQuietLabel(desktop())} is on, so Herald keeps quiet too: changes wait for one digest when it
                ends, and urgent ones still come through.
              </p>
            )}
          </Show>
          <div class="form-actions">
            <For each={SPANS}>
              {([span, label]) => (
                <button type="button" data-dnd={span} onClick={() => dnd(span)}>
                  {label}
                </button>
              )}
            </For>
            <Show when={q().doNotDisturb.kind !== "off"}>
              <button type="button" data-dnd="off" onClick={() => dnd(null)}>
                Turn off
              </button>
            </Show>
          </div>
          <label class="check">
            <input
              type="checkbox"
              name="quiet-hours"
              checked={q().hours !== null}
              onChange={(e) =>
                save({ ...q(), hours: e.currentTarget.checked ? { from: "22:00", to: "07:00" } : null })
              }
            />
            Quiet hours every day
          </label>
          <Show when={q().hours}>
            {(hours) => (
              <div class="quiet-hours">
                <label for="quiet-from">From</label>
                <input
                  id="quiet-from"
                  type="time"
                  value={hhmm(hours().from)}
                  onChange={(e) => save({ ...q(), hours: { ...hours(), from: e.currentTarget.value } })}
                />
                <label for="quiet-to">to</label>
                <input
                  id="quiet-to"
                  type="time"
                  value={hhmm(hours().to)}
                  onChange={(e) => save({ ...q(), hours: { ...hours(), to: e.currentTarget.value } })}
                />
              </div>
            )}
          </Show>
          <p class="hint">
            While quiet, changes go to the timeline, and one notification tells what you missed when it ends. Urgent
            ones (ntfy priority 4 and 5, or a rule marked urgent) still come through.
          </p>
          <Show when={Object.keys(q().mutes).length > 0}>
            <ul class="mutes" aria-label="Muted feeds">
              <For each={Object.entries(q().mutes)}>
                {([feed, until]) => (
                  <li>
                    <bdi>{feed}</bdi> muted until {clock(until)}{" "}
                    <button
                      type="button"
                      onClick={() => {
                        const mutes = { ...q().mutes };
                        delete mutes[feed];
                        save({ ...q(), mutes });
                      }}
                    >
                      Unmute
                    </button>
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <div class="form-actions">
            <button type="button" class="test-notification" onClick={test}>
              Send a test notification
            </button>
          </div>
          <Show when={tested()}>
            <p role="status" class="tested">
              {tested()}
            </p>
          </Show>
        </fieldset>
      )}
    </Show>
  );
}
