// Names and their values, as a description list: a record's fields, a
// request's headers. Values are text, never markup.
import { For } from "solid-js";

export function Pairs(props: { pairs: [string, string][]; class?: string }) {
  return (
    <dl class={props.class}>
      <For each={props.pairs}>
        {([name, value]) => (
          <>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </>
        )}
      </For>
    </dl>
  );
}
