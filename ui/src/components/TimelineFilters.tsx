// The timeline's search box and filters. Each control has a label.
import { For, Show } from "solid-js";
import type { Action } from "../bindings/Action";

export interface Filters {
  text: string;
  feed: string;
  actor: string;
  action: Action | "";
  missed: boolean;
  unread: boolean;
}

export const noFilters: Filters = { text: "", feed: "", actor: "", action: "", missed: false, unread: false };

const ACTIONS: [Action, string][] = [
  ["created", "Created"],
  ["updated", "Updated"],
  ["renamed", "Renamed"],
  ["deleted", "Deleted"],
  ["message", "Messages"],
  ["unreadable", "Unreadable"],
];

interface Props {
  filters: Filters;
  feeds: string[] | null;
  onChange(filters: Filters): void;
}

export function TimelineFilters(props: Props) {
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => props.onChange({ ...props.filters, [key]: value });
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <label class="search">
        <span class="visually-hidden">Search</span>
        <input
          type="search"
          name="search"
          placeholder="Search titles, changes and data"
          value={props.filters.text}
          onInput={(e) => set("text", e.currentTarget.value)}
        />
      </label>
      <Show when={props.feeds}>
        {(feeds) => (
          <label>
            Feed
            <select name="feed" value={props.filters.feed} onChange={(e) => set("feed", e.currentTarget.value)}>
              <option value="">All feeds</option>
              <For each={feeds()}>{(name) => <option value={name}>{name}</option>}</For>
            </select>
          </label>
        )}
      </Show>
      <label>
        Who
        <input
          type="text"
          name="actor"
          size="10"
          value={props.filters.actor}
          onChange={(e) => set("actor", e.currentTarget.value.trim())}
        />
      </label>
      <label>
        Kind
        <select
          name="action"
          value={props.filters.action}
          onChange={(e) => set("action", e.currentTarget.value as Action | "")}
        >
          <option value="">Any</option>
          <For each={ACTIONS}>{([value, label]) => <option value={value}>{label}</option>}</For>
        </select>
      </label>
      <label class="check">
        <input type="checkbox" name="missed" checked={props.filters.missed} onChange={(e) => set("missed", e.currentTarget.checked)} />
        Missed
      </label>
      <label class="check">
        <input type="checkbox" name="unread" checked={props.filters.unread} onChange={(e) => set("unread", e.currentTarget.checked)} />
        Unread
      </label>
    </form>
  );
}
