/** "just now", "12 s ago", "3 min ago", "2 h ago", or a date. */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ago`;
  return new Date(at).toLocaleDateString();
}

/** "in 12 s", "in 3 min", or "now" for a time that has come. */
export function until(at: number, now: number): string {
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return "now";
  if (s < 60) return `in ${s} s`;
  return `in ${Math.ceil(s / 60)} min`;
}

/** Local midnight of the day `at` falls in. */
export function dayStart(at: number): number {
  const day = new Date(at);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

/** "Today", "Yesterday", or the date, for a timeline's day headings. */
export function dayLabel(at: number, now: number): string {
  const today = dayStart(now);
  const day = dayStart(at);
  if (day === today) return "Today";
  if (day === dayStart(today - 1)) return "Yesterday";
  return new Date(at).toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}
