// What went wrong with a call, by its kind: every command rejects with a
// HeraldError (generated from Rust), and the window chooses what to show
// by `kind` and `field`, never by matching the message. Anything else that
// rejects (a bug of the page's own, say) is read as an internal error.
import type { HeraldError } from "../bindings/HeraldError";

const KINDS = new Set(["notFound", "invalid", "conflict", "unavailable", "needsYou", "internal"]);

export function asHeraldError(e: unknown): HeraldError {
  if (typeof e === "object" && e !== null && KINDS.has((e as { kind?: unknown }).kind as string)) return e as HeraldError;
  return { kind: "internal", message: e instanceof Error ? e.message : String(e) };
}

/** What to tell a person. */
export function messageOf(e: unknown): string {
  const error = asHeraldError(e);
  if (error.kind === "conflict") {
    return `${error.conflict.actor ?? "Someone"} changed it first: nothing was written.`;
  }
  return error.message;
}

/** The form input an error is about, if it is about one. */
export function fieldOf(e: HeraldError | null): string | null {
  return e?.kind === "invalid" ? e.field : null;
}
