// A fake of the window's Api for component tests: canned feeds and a
// timeline that honours offset, limit and a text filter, with every call
// recorded. Events can be pushed as the engine would send them.
import type { Api, AppStatus } from "../src/api";
import type { Change } from "../src/bindings/Change";
import type { Conflict } from "../src/bindings/Conflict";
import type { FeedRecord } from "../src/bindings/FeedRecord";
import type { FeedForm } from "../src/bindings/FeedForm";
import type { HeraldError } from "../src/bindings/HeraldError";
import type { ProbeReport } from "../src/bindings/ProbeReport";
import type { FeedState } from "../src/bindings/FeedState";
import type { DoNotDisturbFor } from "../src/bindings/DoNotDisturbFor";
import type { ClientKey } from "../src/bindings/ClientKey";
import type { Quiet } from "../src/bindings/Quiet";
import type { SoundName } from "../src/bindings/SoundName";
import type { Sounds } from "../src/bindings/Sounds";
import type { Target } from "../src/bindings/Target";
import type { ActionResult } from "../src/bindings/ActionResult";
import type { Picture } from "../src/bindings/Picture";
import type { TimelineEntry } from "../src/bindings/TimelineEntry";

export const HOSTILE = [
  "<script>window.__pwned = 1</script>",
  '<img src=x onerror="window.__pwned = 2">',
  "javascript:window.__pwned = 3",
  "\u202Eevil\u200B\u200Dtext",
  "x".repeat(100_000),
];

export function feed(name: string, over: Partial<FeedState> = {}): FeedState {
  return {
    name,
    url: `http://127.0.0.1:9/${name}`,
    preset: "generic",
    kind: "message",
    connection: { phase: { phase: "open", since: 0 }, lastHeard: Date.now() - 12_000, opened: 1, stallTimeoutMs: 45_000, keepaliveMs: null },
    paused: false,
    writable: false,
    problem: null,
    diskFull: false,
    unreadable: null,
    recycled: 0,
    signsIn: false,
    route: { proxy: null, source: "default" },
    lastError: null,
    unread: 0,
    coalesce: {
      record_window_secs: 30,
      burst_count: 3,
      burst_window_secs: 10,
      update_secs: 2,
      offline_after_secs: 300,
      enabled: true,
    },
    me: null,
    present: [],
    // The engine derives it; here it follows the pause unless a test says.
    health: { condition: over.paused ? "paused" : "live", reason: null },
    ...over,
  };
}

export function change(feed: string, title: string, over: Partial<Change> = {}): Change {
  return {
    feed,
    eventId: "",
    action: "message",
    verb: null,
    key: null,
    title,
    previousTitle: null,
    body: title,
    actor: null,
    own: false,
    at: Date.now(),
    missed: false,
    priority: null,
    click: null,
    tags: [],
    record: null,
    summary: title,
    level: "notify",
    ...over,
  };
}

type Handler = (value: never) => void;

export class FakeApi implements Api {
  calls: [string, unknown[]][] = [];
  handlers = new Map<string, Handler[]>();
  constructor(
    public feedList: FeedState[],
    public entries: TimelineEntry[],
  ) {}

  private record(name: string, ...args: unknown[]) {
    this.calls.push([name, args]);
  }
  called(name: string) {
    return this.calls.filter(([n]) => n === name).map(([, args]) => args);
  }
  emit(event: string, value: unknown) {
    for (const f of this.handlers.get(event) ?? []) (f as (v: unknown) => void)(value);
  }
  private listen(event: string) {
    return async (f: Handler) => {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), f]);
      return () => {};
    };
  }

  feeds = async () => (this.record("feeds"), structuredClone(this.feedList));
  records = async (feed: string) => (this.record("records", feed), structuredClone(this.recordList));
  timeline = async (query: Parameters<Api["timeline"]>[0]) => {
    this.record("timeline", query);
    const matching = this.entries.filter(
      (e) =>
        (!query.feed || e.change.feed === query.feed) &&
        (!query.text || e.change.summary.toLowerCase().includes(query.text.toLowerCase())) &&
        (!query.unread || !e.read) &&
        (!query.action || e.change.action === query.action),
    );
    const offset = query.offset ?? 0;
    const total = offset === 0 ? matching.length : null;
    return { total, entries: matching.slice(offset, offset + (query.limit ?? 100)) };
  };
  activity = async (feed: string, since: number) => (
    this.record("activity", feed, since), { since: 3, stored: 10, lastEventAt: null, lastEventId: "41" }
  );
  /** What the next writes answer: a conflict (rejected with it, as Herald
   * does), or null (written). */
  writeAnswers: (Conflict | null)[] = [];
  write = async (...args: unknown[]) => {
    this.record("write", ...args);
    const conflict = this.writeAnswers.shift() ?? null;
    if (conflict !== null) throw { kind: "conflict", conflict } satisfies HeraldError;
  };
  view = async (feed: string, key: string | null) => this.record("view", feed, key);
  recordList: FeedRecord[] = [];
  markRead = async (feed: string | null, rows: number[]) => {
    this.record("markRead", feed, rows);
    for (const e of this.entries) if ((rows.length === 0 && (!feed || e.change.feed === feed)) || rows.includes(e.id)) e.read = true;
  };
  reconnectNow = async (feed: string | null) => this.record("reconnectNow", feed);
  signIn = async (feed: string) => {
    this.record("signIn", feed);
    return "Ana";
  };
  signOut = async (feed: string) => this.record("signOut", feed);
  pauseFeed = async (feed: string, paused: boolean) => this.record("pauseFeed", feed, paused);
  openLink = async (url: string) => this.record("openLink", url);
  pressed: ActionResult = { label: "", ok: true, outcome: "Done", at: 0 };
  pressButton = async (row: number, at: number): Promise<ActionResult> => {
    this.record("pressButton", row, at);
    return this.pressed;
  };
  scheduled: Change[] = [];
  upcoming = async (feed: string): Promise<Change[]> => {
    this.record("upcoming", feed);
    return this.scheduled;
  };
  pictures: Record<string, Picture> = {};
  picture = async (url: string, size: number | null): Promise<Picture> => {
    this.record("picture", url, size);
    return this.pictures[url] ?? { kind: "refused", refusal: { kind: "unreachable", reason: "no such picture in the test" } };
  };
  /** What the fake's probe answers, and the feeds it holds by name. */
  probeAnswers: ProbeReport[] = [];
  forms = new Map<string, FeedForm>();
  feedForm = async (name: string) => {
    this.record("feedForm", name);
    const form = this.forms.get(name);
    if (!form) throw { kind: "notFound", message: `there is no feed named "${name}"` } satisfies HeraldError;
    return structuredClone(form);
  };
  validateFeed = async (form: FeedForm) => {
    this.record("validateFeed", form);
    if (!/^https?:\/\//.test(form.url)) throw { kind: "invalid", field: "url", message: `"${form.url}" is not an http(s) URL` } satisfies HeraldError;
    if (form.headers.some((h) => h.name.toLowerCase() === "authorization"))
      throw { kind: "invalid", field: "headers", message: "use the token field" } satisfies HeraldError;
  };
  probeFeed = async (form: FeedForm, secret: string | null, clientKey: ClientKey | null = null) => {
    this.record("probeFeed", form, secret, clientKey);
    await this.validateFeed(form);
    return this.probeAnswers.shift()!;
  };
  trustCertificate = async (fingerprint: string) => (this.record("trustCertificate", fingerprint), `/certs/${fingerprint}.pem`);
  /** What the next save is refused with, as Herald would refuse it. */
  saveRefusals: HeraldError[] = [];
  saveFeed = async (form: FeedForm, secret: string | null, clientKey: ClientKey | null = null) => {
    this.record("saveFeed", form, secret, clientKey);
    const refused = this.saveRefusals.shift();
    if (refused) throw refused;
    await this.validateFeed(form);
    this.forms.set(form.name, structuredClone(form));
  };
  /** What the next file dialogs pick, in order. */
  picks: (string | null)[] = [];
  chooseCertificateFile = async (which: "certificate" | "key") => (this.record("chooseCertificateFile", which), this.picks.shift() ?? null);
  removeFeed = async (name: string) => this.record("removeFeed", name);
  importFeeds = async () => (this.record("importFeeds"), 2);
  exportFeeds = async () => (this.record("exportFeeds"), "/home/u/feeds.toml");
  quietNow: Quiet = { doNotDisturb: { kind: "off" }, hours: null, mutes: {} };
  quiet = async (): Promise<Quiet> => (this.record("quiet"), structuredClone(this.quietNow));
  setQuiet = async (quiet: Quiet): Promise<void> => {
    this.record("setQuiet", quiet);
    this.quietNow = quiet;
  };
  doNotDisturb = async (span: DoNotDisturbFor | null): Promise<Quiet> => {
    this.record("doNotDisturb", span);
    const doNotDisturb: Quiet["doNotDisturb"] =
      span === null ? { kind: "off" } : span === "untilOff" ? { kind: "on" } : { kind: "until", at: Date.now() + 3_600_000 };
    this.quietNow = { ...this.quietNow, doNotDisturb };
    return this.quietNow;
  };
  soundsNow: Sounds = { every: { low: null, normal: null, urgent: null }, feeds: {} };
  sounds = async (): Promise<Sounds> => (this.record("sounds"), structuredClone(this.soundsNow));
  setSounds = async (sounds: Sounds): Promise<void> => {
    this.record("setSounds", sounds);
    this.soundsNow = sounds;
  };
  testNotification = async (sound?: SoundName | null): Promise<void> => {
    this.record("testNotification", sound ?? null);
  };
  takeFocus = async (): Promise<Target | null> => null;
  status: AppStatus = { notificationsError: null, desktopQuiet: null, storeRecovery: null };
  appStatus = async (): Promise<AppStatus> => this.status;
  startsAtLogin = false;
  autostart = async (): Promise<boolean> => this.startsAtLogin;
  setAutostart = async (on: boolean): Promise<boolean> => {
    this.record("setAutostart", on);
    this.startsAtLogin = on;
    return on;
  };
  onChanges = this.listen("changes") as Api["onChanges"];
  onFeed = this.listen("feed") as Api["onFeed"];
  onRemoved = this.listen("removed") as Api["onRemoved"];
  onStatus = this.listen("status") as Api["onStatus"];
  onFocus = this.listen("focus") as Api["onFocus"];
  onLagged = this.listen("lagged") as Api["onLagged"];
}

export function entries(feed: string, titles: string[], over: Partial<Change> = {}): TimelineEntry[] {
  return titles.map((title, i) => ({
    id: i + 1,
    read: false,
    withdrawn: false,
    results: [],
    change: change(feed, title, over),
    marked: null,
    snippet: null,
  }));
}
