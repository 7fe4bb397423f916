// Search matches come from the store between two private-use characters
// (see `MARK_START` in herald-core's timeline). They are split here into
// plain and marked runs, which the window renders as text nodes, so a match
// can be highlighted without any payload text ever being read as markup.

export const MARK_START = "\uE000";
export const MARK_END = "\uE001";

export interface Run {
  text: string;
  marked: boolean;
}

export function runs(text: string): Run[] {
  const out: Run[] = [];
  let marked = false;
  let current = "";
  const flush = () => {
    if (current) out.push({ text: current, marked });
    current = "";
  };
  for (const ch of text) {
    if (ch === MARK_START || ch === MARK_END) {
      flush();
      marked = ch === MARK_START;
    } else {
      current += ch;
    }
  }
  flush();
  return out;
}
