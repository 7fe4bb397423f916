// People as small round faces: initials on their colour, the name (and
// what they are looking at) for the pointer and for screen readers.
import { For, Show } from "solid-js";
import type { Present } from "../bindings/Present";
import { hue, initials } from "../lib/people";

interface Props {
  people: Present[];
  /** What each is looking at, as people read it; null when nothing. */
  looking?: (person: Present) => string | null;
  label: string;
}

export function Faces(props: Props) {
  const says = (p: Present) => {
    const at = props.looking?.(p);
    return at ? `${p.actor} is looking at ${at}` : `${p.actor} is here`;
  };
  return (
    <Show when={props.people.length > 0}>
      <ul class="faces" aria-label={props.label}>
        <For each={props.people}>
          {(person) => (
            <li class="face" title={says(person)} style={{ "background-color": `hsl(${hue(person.actor)} 55% 42%)` }}>
              <span aria-hidden="true">{initials(person.actor)}</span>
              <span class="visually-hidden">{says(person)}</span>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
