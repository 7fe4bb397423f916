// A write that was refused because someone changed the record first: what
// the user tried beside what is there now, who changed it and when, and
// the user's choice. Nothing was written; nothing is lost.
import { Show } from "solid-js";
import type { Conflict } from "../bindings/Conflict";
import { Pairs } from "./Pairs";
import { ago } from "../lib/time";

interface Props {
  conflict: Conflict;
  now: number;
  onKeepTheirs(): void;
  onApplyMine(): void;
}

/** Fields people read: not the id, version, or who and when. */
const HIDDEN = new Set(["id", "version", "actor", "at"]);

function fields(value: Record<string, unknown> | null | undefined): [string, string][] {
  return Object.entries(value ?? {})
    .filter(([name]) => !HIDDEN.has(name))
    .map(([name, v]) => [name, typeof v === "string" ? v : JSON.stringify(v)]);
}

function Fields(props: { of: Record<string, unknown> | null | undefined }) {
  return <Pairs pairs={fields(props.of)} />;
}

export function ConflictView(props: Props) {
  const c = () => props.conflict;
  const who = () => c().actor ?? "Someone";
  const when = () => (c().at === null ? "" : ` ${ago(c().at!, props.now)}`);
  const tried = () => c().tried;
  const mine = () => (tried().op === "delete" ? null : (tried() as { fields: Record<string, unknown> }).fields);
  const apply = () => {
    if (c().current === null) return tried().op === "delete" ? null : "Add it again";
    return tried().op === "delete" ? "Delete it anyway" : "Apply mine";
  };
  return (
    <section class="conflict" role="alertdialog" aria-labelledby="conflict-title" aria-describedby="conflict-why">
      <h3 id="conflict-title">
        {who()} {c().current === null ? "deleted" : "changed"} this{when()}
      </h3>
      <p id="conflict-why" class="hint">
        Your change was not saved, so that nothing of theirs is overwritten. Choose which to keep.
      </p>
      <div class="sides">
        <div class="mine">
          <h4>What you tried</h4>
          <Show when={tried().op !== "delete"} fallback={<p>Delete it</p>}>
            <Fields of={mine()} />
          </Show>
        </div>
        <div class="theirs">
          <h4>What is there now</h4>
          <Show when={c().current !== null} fallback={<p>Deleted by {who()}</p>}>
            <Fields of={c().current} />
          </Show>
        </div>
      </div>
      <div class="form-actions">
        <button type="button" class="keep-theirs" onClick={() => props.onKeepTheirs()}>
          Keep theirs
        </button>
        <Show when={apply()}>
          {(label) => (
            <button type="button" class="apply-mine" onClick={() => props.onApplyMine()}>
              {label()}
            </button>
          )}
        </Show>
      </div>
    </section>
  );
}
