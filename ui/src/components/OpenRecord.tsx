// The record the user has open. It changes in place when others change
// it ("Ana completed this · just now"), the name the user is typing keeps
// their text through those changes, and every save is made against what
// the user saw: if someone changed it first, the conflict is shown, and
// nothing is overwritten until the user chooses.
import { createEffect, createSignal, on, Show } from "solid-js";
import type { Change } from "../bindings/Change";
import type { Conflict } from "../bindings/Conflict";
import type { FeedRecord } from "../bindings/FeedRecord";
import type { Present } from "../bindings/Present";
import type { Write } from "../bindings/Write";
import { ago } from "../lib/time";
import { ConflictView } from "./ConflictView";
import { Faces } from "./Faces";

interface Props {
  recordKey: string;
  /** The record as Herald knows it now; undefined once it is gone. */
  record: FeedRecord | undefined;
  writable: boolean;
  now: number;
  /** Others looking at this record. */
  viewers: Present[];
  conflict: Conflict | null;
  /** Sends a write; true when it was written. */
  onWrite(write: Write): Promise<boolean>;
  /** Applies the user's side of the conflict; true when it was written. */
  onApplyMine(conflict: Conflict): Promise<boolean>;
  onKeepTheirs(): void;
  onClose(): void;
}

const DID: Record<string, string> = { created: "added", updated: "changed", renamed: "renamed", deleted: "deleted" };

/** "Ana completed this · just now". */
export function lastly(change: Change, now: number): string {
  const who = change.own ? "You" : (change.actor ?? "Someone");
  return `${who} ${change.verb ?? DID[change.action] ?? "changed"} this · ${ago(change.at, now)}`;
}

export function OpenRecord(props: Props) {
  // What the user is typing (null: not editing), and the record as it was
  // when they began: the save is made against it.
  const [draft, setDraft] = createSignal<string | null>(null);
  const [base, setBase] = createSignal<FeedRecord | null>(null);
  const [saving, setSaving] = createSignal(false);
  const settle = () => (setDraft(null), setBase(null));

  createEffect(on(() => props.recordKey, settle, { defer: true }));
  // Someone else's change to another field is taken in: the user sees it
  // here, so the save is made against it. A change to the name itself is
  // not: saving over it is a conflict, for the user to choose.
  createEffect(() => {
    const now = props.record;
    const was = base();
    if (now && was && draft() !== null && now.title === was.title && now.value !== was.value) setBase(now);
  });

  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    const text = draft()?.trim();
    const seen = base();
    if (!text || !seen) return;
    setSaving(true);
    try {
      if (await props.onWrite({ op: "update", key: props.recordKey, fields: { title: text }, base: seen.value })) settle();
    } finally {
      setSaving(false);
    }
  };
  const type = (text: string) => {
    if (base() === null && props.record) setBase(props.record);
    setDraft(text);
  };

  return (
    <section class="open-record" aria-labelledby="open-record-title">
      <header>
        <h2 id="open-record-title">{props.record?.title ?? "Deleted"}</h2>
        <Faces people={props.viewers} label="Also looking at this" />
        <button type="button" class="close" aria-label="Close the record" onClick={() => props.onClose()}>
          ×
        </button>
      </header>
      <Show when={props.record?.lastChange}>{(change) => <p class="lastly">{lastly(change(), props.now)}</p>}</Show>
      <Show when={props.record}>
        {(record) => (
          <form class="record-editor" autocomplete="off" onSubmit={save}>
            <label for="record-name">Name</label>
            <input
              id="record-name"
              name="name"
              type="text"
              maxLength={500}
              disabled={!props.writable}
              value={draft() ?? record().title}
              onInput={(e) => type(e.currentTarget.value)}
            />
            <Show when={record().flag !== null}>
              <label class="check">
                <input
                  type="checkbox"
                  name="done"
                  checked={record().flag === true}
                  disabled={!props.writable}
                  onChange={(e) => {
                    const box = e.currentTarget;
                    const write: Write = {
                      op: "update",
                      key: props.recordKey,
                      fields: { flag: box.checked },
                      base: record().value,
                    };
                    // Refused, the box shows what is there, not what was tried.
                    void props.onWrite(write).then((written) => written || (box.checked = record().flag === true));
                  }}
                />
                Done
              </label>
            </Show>
            <Show when={props.writable}>
              <div class="form-actions">
                <button type="submit" class="save" disabled={draft() === null || saving()}>
                  Save
                </button>
                <Show when={draft() !== null}>
                  <button type="button" onClick={settle}>
                    Discard
                  </button>
                </Show>
              </div>
            </Show>
          </form>
        )}
      </Show>
      <Show when={props.conflict}>
        {(conflict) => (
          <ConflictView
            conflict={conflict()}
            now={props.now}
            onKeepTheirs={() => (settle(), props.onKeepTheirs())}
            onApplyMine={async () => {
              if (await props.onApplyMine(conflict())) settle();
            }}
          />
        )}
      </Show>
    </section>
  );
}
