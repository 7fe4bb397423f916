// Text with search matches highlighted. Every run is a text node, so
// payload text is never read as markup, whatever it holds.
import { For } from "solid-js";
import { runs } from "../lib/marks";

export function Marked(props: { text: string }) {
  return <For each={runs(props.text)}>{(run) => (run.marked ? <mark>{run.text}</mark> : run.text)}</For>;
}
