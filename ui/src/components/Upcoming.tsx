// An ntfy feed's scheduled messages, not yet delivered: asked of the
// server while this is shown (every 30 s), and listed soonest first. Not
// news until they come, so never stored.
import { createResource, For, onCleanup, Show } from "solid-js";
import type { Api } from "../api";

/** How often the server is asked again while the feed is shown. */
const EVERY_MS = 30_000;

const when = (at: number) => new Date(at).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });

export function Upcoming(props: { api: Api; feed: string }) {
  // A server that cannot say shows nothing here: the feed's health says why.
  const [upcoming, { refetch }] = createResource(
    () => props.feed,
    (feed) => props.api.upcoming(feed).catch(() => []),
  );
  const timer = setInterval(() => void refetch(), EVERY_MS);
  onCleanup(() => clearInterval(timer));
  return (
    <Show when={(upcoming() ?? []).length > 0}>
      <section class="upcoming" aria-label="Scheduled messages">
        <h2>Upcoming</h2>
        <ul>
          <For each={upcoming()}>
            {(message) => (
              <li>
                <bdi>{message.title}</bdi> · <time dateTime={new Date(message.at).toISOString()}>{when(message.at)}</time>
              </li>
            )}
          </For>
        </ul>
      </section>
    </Show>
  );
}
