// The window's only way to Herald: typed calls into the Rust core and the
// events it sends. The types are generated from Rust (ts-rs), so the two
// sides cannot drift. Every call rejects with a `HeraldError`, whose kind
// the page reads (lib/errors.ts). Components take an `Api`, so tests give
// them a fake.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Activity } from "./bindings/Activity";
import type { FeedForm } from "./bindings/FeedForm";
import type { FeedRecord } from "./bindings/FeedRecord";
import type { DoNotDisturbFor } from "./bindings/DoNotDisturbFor";
import type { ProbeReport } from "./bindings/ProbeReport";
import type { ActionResult } from "./bindings/ActionResult";
import type { Change } from "./bindings/Change";
import type { Picture } from "./bindings/Picture";
import type { ClientKey } from "./bindings/ClientKey";
import type { Quiet } from "./bindings/Quiet";
import type { SoundName } from "./bindings/SoundName";
import type { Sounds } from "./bindings/Sounds";
import type { Status } from "./bindings/Status";
import type { FeedState } from "./bindings/FeedState";
import type { Target } from "./bindings/Target";
import type { TimelinePage } from "./bindings/TimelinePage";
import type { TimelineQuery } from "./bindings/TimelineQuery";
import type { Write } from "./bindings/Write";

/** Herald's own status, as the tray process keeps it. */
export type AppStatus = Status;

/** Changes were stored: how many, of which feed. The window reads them
 * from the store; the event only says that there is news. */
export interface News {
  feed: string;
  count: number;
}

type Listen<T> = (f: (value: T) => void) => Promise<UnlistenFn>;

export interface Api {
  feeds(): Promise<FeedState[]>;
  records(feed: string): Promise<FeedRecord[]>;
  timeline(query: TimelineQuery): Promise<TimelinePage>;
  activity(feed: string, since: number): Promise<Activity>;
  /** Writes the roles set (title, flag); the feed places them. Rejects
   * with kind "conflict" when the record moved on from the write's base,
   * and nothing was written. */
  write(feed: string, write: Write): Promise<void>;
  /** Says which record the window has open (null: none), for presence. */
  view(feed: string, key: string | null): Promise<void>;
  /** Marks `rows` read, or all of a feed's events (or every feed's) when empty. */
  markRead(feed: string | null, rows: number[]): Promise<void>;
  reconnectNow(feed: string | null): Promise<void>;
  /** Signs the feed in through the browser; who signed in. */
  signIn(feed: string): Promise<string>;
  signOut(feed: string): Promise<void>;
  pauseFeed(feed: string, paused: boolean): Promise<void>;
  /** Opens an http(s) link in the system browser; anything else is refused. */
  openLink(url: string): Promise<void>;
  /** Presses button `at` of the message in timeline row `row`. */
  pressButton(row: number, at: number): Promise<ActionResult>;
  /** An ntfy feed's scheduled messages, soonest first. */
  upcoming(feed: string): Promise<Change[]>;
  /** A message's picture, or why it is not shown. */
  picture(url: string, size: number | null): Promise<Picture>;
  /** A feed's form, to edit it; its secret stays in the keyring. */
  feedForm(name: string): Promise<FeedForm>;
  /** Rejects with kind "invalid", naming the first field that is wrong. */
  validateFeed(form: FeedForm): Promise<void>;
  probeFeed(form: FeedForm, secret: string | null, clientKey: ClientKey | null): Promise<ProbeReport>;
  /** Trusts the certificate a probe was refused; the file it was saved to. */
  trustCertificate(fingerprint: string): Promise<string>;
  saveFeed(form: FeedForm, secret: string | null, clientKey: ClientKey | null): Promise<void>;
  /** A file the user picks for a client certificate (or its key); null when cancelled. */
  chooseCertificateFile(which: "certificate" | "key"): Promise<string | null>;
  removeFeed(name: string): Promise<void>;
  /** How many feeds the picked file held (0 when none was picked). */
  importFeeds(): Promise<number>;
  /** Where the feeds were written, or null when no file was picked. */
  exportFeeds(): Promise<string | null>;
  /** Do not disturb, quiet hours and muted feeds. */
  quiet(): Promise<Quiet>;
  setQuiet(quiet: Quiet): Promise<void>;
  /** Turns do not disturb on for a while, or off (null). */
  doNotDisturb(span: DoNotDisturbFor | null): Promise<Quiet>;
  /** The sounds notifications make, per priority and per feed. */
  sounds(): Promise<Sounds>;
  setSounds(sounds: Sounds): Promise<void>;
  /** Sends a test notification making `sound` (none: the desktop's own);
   *  rejects with what is wrong, and the fix. */
  testNotification(sound?: SoundName | null): Promise<void>;
  takeFocus(): Promise<Target | null>;
  appStatus(): Promise<AppStatus>;
  /** Whether Herald starts at login. */
  autostart(): Promise<boolean>;
  /** Starts Herald at login, or stops; the setting now in force. */
  setAutostart(on: boolean): Promise<boolean>;
  onChanges: Listen<News>;
  /** A feed's whole state, its unread count included, whenever it changes. */
  onFeed: Listen<FeedState>;
  onRemoved: Listen<string>;
  onStatus: Listen<AppStatus>;
  onFocus: Listen<Target>;
  /** The window fell behind and lost this many pushes: read everything afresh. */
  onLagged: Listen<number>;
}

const on =
  <T,>(event: string): Listen<T> =>
  (f) =>
    listen<T>(event, (e) => f(e.payload));

export const tauriApi: Api = {
  feeds: () => invoke("feeds"),
  records: (feed) => invoke("records", { feed }),
  timeline: (query) => invoke("timeline", { query }),
  activity: (feed, since) => invoke("activity", { feed, since }),
  write: (feed, write) => invoke("write", { feed, write }),
  view: (feed, key) => invoke("view", { feed, key }),
  markRead: (feed, rows) => invoke("mark_read", { feed, rows }),
  reconnectNow: (feed) => invoke("reconnect_now", { feed }),
  signIn: (feed) => invoke("sign_in", { feed }),
  signOut: (feed) => invoke("sign_out", { feed }),
  pauseFeed: (feed, paused) => invoke("pause_feed", { feed, paused }),
  openLink: (url) => invoke("open_link", { url }),
  pressButton: (row, at) => invoke("press_button", { row, at }),
  picture: (url, size) => invoke("picture", { url, size }),
  upcoming: (feed) => invoke("upcoming", { feed }),
  feedForm: (name) => invoke("feed_form", { name }),
  validateFeed: (form) => invoke("validate_feed", { form }),
  probeFeed: (form, secret, clientKey) => invoke("probe_feed", { form, secret, clientKey }),
  trustCertificate: (fingerprint) => invoke("trust_certificate", { fingerprint }),
  saveFeed: (form, secret, clientKey) => invoke("save_feed", { form, secret, clientKey }),
  chooseCertificateFile: (which) => invoke("choose_certificate_file", { which }),
  removeFeed: (name) => invoke("remove_feed", { name }),
  importFeeds: () => invoke("import_feeds"),
  exportFeeds: () => invoke("export_feeds"),
  quiet: () => invoke("quiet"),
  setQuiet: (quiet) => invoke("set_quiet", { quiet }),
  doNotDisturb: (span) => invoke("do_not_disturb", { span }),
  sounds: () => invoke("sounds"),
  setSounds: (sounds) => invoke("set_sounds", { sounds }),
  testNotification: (sound) => invoke("test_notification", { sound: sound ?? null }),
  takeFocus: () => invoke("take_focus"),
  appStatus: () => invoke("app_status"),
  autostart: () => invoke("autostart"),
  setAutostart: (on) => invoke("set_autostart", { on }),
  onChanges: on("herald://changes"),
  onFeed: on("herald://feed"),
  onRemoved: on("herald://removed"),
  onStatus: on("herald://status"),
  onFocus: on("herald://focus"),
  onLagged: on("herald://lagged"),
};
