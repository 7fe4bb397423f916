//! What the tray says: one icon for every feed together, an unread badge, a
//! tooltip and a status line per feed. Decided here, from the feeds' states
//! and the quiet settings, so the tray of any process (the app's today, the
//! small tray process's later) tells the same truth.
//!
//! The icon is one source image with the state drawn on it: a coloured dot
//! for the state in the lower right, and a badge in the upper right while
//! anything is unread (see [`draw`]).

use super::quiet::Quiet;
use crate::engine::Condition;
use crate::engine::FeedState;
use crate::sse::EpochMs;

/// The state the icon shows, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrayState {
    /// A feed needs the user: its credentials or its certificate were refused,
    /// or it stopped.
    NeedsAttention,
    /// Every followed feed is offline.
    Offline,
    /// Some feed is retrying or connecting.
    Retrying,
    /// Do not disturb is on (and nothing needs the user).
    DoNotDisturb,
    /// Every feed is paused.
    Paused,
    /// Every followed feed is connected.
    Live,
}

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub state: TrayState,
    pub unread: u64,
    /// "3 feeds · last heard 12 s ago · 5 unread"
    pub tooltip: String,
    /// One line per feed: "Tasks: connected".
    pub lines: Vec<String>,
    /// Do not disturb is on (the menu shows it checked).
    pub do_not_disturb: bool,
    /// The feeds that need the user to sign in, and how the menu names
    /// each: by name, then by source.
    pub sign_in: Vec<(String, String)>,
}

/// "12 s ago", "3 min ago", "2 h ago".
pub fn ago(at: EpochMs, now: EpochMs) -> String {
    let secs = (now - at).max(0) / 1000;
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// How much of a reason a menu line shows; the window shows all of it.
const REASON_CHARS: usize = 48;

/// `reason`, cut to [`REASON_CHARS`] with an ellipsis, at a word's end
/// where there is one late enough.
fn brief(reason: &str) -> String {
    let Some((end, _)) = reason.char_indices().nth(REASON_CHARS) else { return reason.to_owned() };
    let cut = &reason[..end];
    let cut = match cut.rfind(' ') {
        Some(space) if space > end / 2 => &cut[..space],
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ':', ';']))
}

fn line(feed: &FeedState) -> String {
    let reason = brief(feed.health.reason.as_deref().unwrap_or_default());
    let status = match feed.health.condition {
        Condition::Paused => "paused".to_owned(),
        Condition::Live => "connected".to_owned(),
        Condition::Connecting => "connecting".to_owned(),
        Condition::Retrying => format!("retrying ({reason})"),
        Condition::Offline => format!("offline ({reason})"),
        Condition::NeedsAuthentication => "needs you to sign in".to_owned(),
        Condition::NeedsSignIn => "needs you to sign in".to_owned(),
        Condition::DiskFull => "paused: the disk is full".to_owned(),
        Condition::CertificateRefused => "certificate refused".to_owned(),
        Condition::IdentityRefused => format!("client certificate refused ({reason})"),
        Condition::Ended => "stopped".to_owned(),
        Condition::Stopped => format!("stopped ({reason})"),
    };
    let unread = if feed.unread > 0 { format!(" · {} unread", feed.unread) } else { String::new() };
    format!("{}: {status}{unread}", feed.source())
}

/// The tray's view of `feeds` at `now`.
pub fn view<'a>(feeds: impl IntoIterator<Item = &'a FeedState>, quiet: &Quiet, now: EpochMs) -> TrayView {
    let feeds: Vec<&FeedState> = feeds.into_iter().collect();
    let followed: Vec<&&FeedState> = feeds.iter().filter(|f| !f.paused).collect();
    let unread: u64 = feeds.iter().map(|f| f.unread).sum();
    let conditions: Vec<Condition> = followed.iter().map(|f| f.health.condition).collect();
    let dnd = quiet.do_not_disturb.is_on(now);
    let state = if conditions.iter().any(|c| c.needs_you()) {
        TrayState::NeedsAttention
    } else if !followed.is_empty() && conditions.iter().all(|c| *c == Condition::Offline) {
        TrayState::Offline
    } else if conditions.iter().any(|c| *c != Condition::Live) {
        TrayState::Retrying
    } else if dnd {
        TrayState::DoNotDisturb
    } else if followed.is_empty() && !feeds.is_empty() {
        TrayState::Paused
    } else {
        TrayState::Live
    };
    let count = feeds.len();
    let mut parts = vec![format!("{count} feed{}", if count == 1 { "" } else { "s" })];
    if let Some(heard) = feeds.iter().filter_map(|f| f.connection.last_heard).max() {
        parts.push(format!("last heard {}", ago(heard, now)));
    }
    if unread > 0 {
        parts.push(format!("{unread} unread"));
    }
    if dnd {
        parts.push("do not disturb".into());
    }
    if conditions.contains(&Condition::DiskFull) {
        parts.push("the disk is full".into());
    }
    let lines = feeds.iter().map(|f| line(f)).collect();
    let sign_in = feeds
        .iter()
        .filter(|f| f.health.condition == Condition::NeedsSignIn)
        .map(|f| (f.name.clone(), f.source()))
        .collect();
    TrayView { state, unread, tooltip: parts.join(" · "), lines, do_not_disturb: dnd, sign_in }
}

impl TrayView {
    /// The view when notifications cannot be shown (`error` says why): the
    /// icon asks for the user, the tooltip says so, and the menu's first
    /// line says what is wrong, since nothing else on the desktop will.
    pub fn with_notifications_error(mut self, error: Option<&str>) -> TrayView {
        let Some(error) = error else { return self };
        self.state = TrayState::NeedsAttention;
        self.tooltip.push_str(" · notifications unavailable");
        self.lines.insert(0, format!("Notifications unavailable: {}", brief(error)));
        self
    }
}

/// The dot's colour for each state (RGBA).
fn colour(state: TrayState) -> [u8; 4] {
    match state {
        TrayState::NeedsAttention => [0xd9, 0x30, 0x25, 0xff],
        TrayState::Offline => [0x80, 0x80, 0x80, 0xff],
        TrayState::Retrying => [0xf2, 0xa1, 0x1a, 0xff],
        TrayState::DoNotDisturb => [0x6b, 0x4f, 0xd8, 0xff],
        TrayState::Paused => [0xb0, 0xb0, 0xb0, 0xff],
        TrayState::Live => [0x2e, 0xa0, 0x43, 0xff],
    }
}

const BADGE: [u8; 4] = [0x1f, 0x6f, 0xeb, 0xff];

/// Draws a filled disc with a white ring, centred at (`cx`, `cy`).
fn disc(rgba: &mut [u8], width: u32, height: u32, (cx, cy, r): (f32, f32, f32), fill: [u8; 4]) {
    let ring = (r * 0.22).max(1.0);
    for y in 0..height {
        for x in 0..width {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let d = (dx * dx + dy * dy).sqrt();
            let pixel = if d <= r - ring {
                fill
            } else if d <= r {
                [0xff, 0xff, 0xff, 0xff]
            } else {
                continue;
            };
            let at = ((y * width + x) * 4) as usize;
            if let Some(slot) = rgba.get_mut(at..at + 4) {
                slot.copy_from_slice(&pixel);
            }
        }
    }
}

/// Draws the state's dot (lower right) and, if anything is unread, the
/// badge (upper right) on an RGBA image of the source icon.
pub fn draw(rgba: &mut [u8], width: u32, height: u32, state: TrayState, unread: u64) {
    let size = width.min(height) as f32;
    let r = size * 0.2;
    disc(rgba, width, height, (width as f32 - r, height as f32 - r, r), colour(state));
    if unread > 0 {
        disc(rgba, width, height, (width as f32 - r, r, r), BADGE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::DoNotDisturb;
    use crate::sse::{Failure, Phase, StopReason};

    const NOW: EpochMs = 1_800_000_000_000;

    fn feed(name: &str, phase: Phase) -> FeedState {
        let mut state = super::super::tests::state(name, phase);
        state.connection.last_heard = Some(NOW - 12_000);
        state
    }

    fn open(name: &str) -> FeedState {
        feed(name, Phase::Open { since: NOW })
    }

    fn failing(name: &str, reason: Failure) -> FeedState {
        feed(name, Phase::Retrying { attempt: 2, at: NOW + 5000, reason })
    }

    /// A feed whose server cannot be reached.
    fn retrying(name: &str, detail: &str) -> FeedState {
        failing(name, Failure::Unreachable { detail: detail.into() })
    }

    fn paused(mut state: FeedState) -> FeedState {
        state.paused = true;
        state.health = state.health_now();
        state
    }

    #[test]
    fn a_full_disk_needs_the_user_and_says_so_in_the_menu_and_the_tooltip() {
        let mut full = feed("tasks", Phase::Stopped { reason: StopReason::Closed });
        full.disk_full = true;
        full.health = full.health_now();
        let v = view(&[open("alerts"), full], &Quiet::default(), NOW);
        assert_eq!(v.state, TrayState::NeedsAttention);
        assert_eq!(v.lines[1], "tasks: paused: the disk is full");
        assert!(v.tooltip.ends_with("the disk is full"), "{}", v.tooltip);
    }

    #[test]
    fn the_icon_shows_the_most_pressing_state() {
        let quiet = Quiet::default();
        let state = |feeds: &[FeedState]| view(feeds, &quiet, NOW).state;
        assert_eq!(state(&[open("a"), open("b")]), TrayState::Live);
        let reset = failing("b", Failure::Ended { detail: "reset by peer".into() });
        assert_eq!(state(&[open("a"), reset]), TrayState::Retrying, "one of two is away");
        assert_eq!(state(&[failing("a", Failure::Status { status: 503 })]), TrayState::Retrying, "a 503 is no outage");
        assert_eq!(state(&[open("a"), feed("b", Phase::Connecting)]), TrayState::Retrying);
        assert_eq!(state(&[retrying("a", "refused"), retrying("b", "refused")]), TrayState::Offline);
        let auth = feed("c", Phase::Stopped { reason: StopReason::NeedsAuthentication { status: 401 } });
        assert_eq!(state(&[retrying("a", "refused"), auth.clone()]), TrayState::NeedsAttention);
        let refused = StopReason::CertificateRefused { message: "invalid peer certificate: UnknownIssuer".into() };
        assert_eq!(state(&[open("a"), feed("d", Phase::Stopped { reason: refused })]), TrayState::NeedsAttention);
        let paused = paused(auth);
        assert_eq!(state(std::slice::from_ref(&paused)), TrayState::Paused);
        assert_eq!(state(&[open("a"), paused]), TrayState::Live, "a paused feed beside a live one");
        assert_eq!(state(&[]), TrayState::Live);
        let dnd = Quiet { do_not_disturb: DoNotDisturb::On, ..Quiet::default() };
        assert_eq!(view(&[open("a")], &dnd, NOW).state, TrayState::DoNotDisturb);
        assert_eq!(view(&[retrying("a", "x"), open("b")], &dnd, NOW).state, TrayState::Retrying, "trouble first");
        let ended = Quiet { do_not_disturb: DoNotDisturb::Until { at: NOW }, ..Quiet::default() };
        assert_eq!(view(&[open("a")], &ended, NOW).state, TrayState::Live);
        // The menu reads the same decision: an hour that has run out is off
        // there too, though the settings still say "until".
        assert!(!view(&[open("a")], &ended, NOW).do_not_disturb);
        assert!(view(&[open("a")], &dnd, NOW).do_not_disturb);
    }

    #[test]
    fn the_tooltip_and_lines_say_what_each_feed_is_doing() {
        let mut tasks = open("tasks");
        tasks.unread = 5;
        let down = retrying("alerts", "connection refused");
        let busy = failing("list", Failure::Status { status: 503 });
        let v = view(&[tasks, down, open("demo"), busy], &Quiet::default(), NOW);
        assert_eq!(v.tooltip, "4 feeds · last heard 12 s ago · 5 unread");
        assert_eq!(v.unread, 5);
        let lines = [
            "tasks: connected · 5 unread",
            "alerts: offline (connection refused)",
            "demo: connected",
            "list: retrying (the server answered 503)",
        ];
        assert_eq!(v.lines, lines);
        let dnd = Quiet { do_not_disturb: DoNotDisturb::On, ..Quiet::default() };
        assert_eq!(view(&[open("a")], &dnd, NOW).tooltip, "1 feed · last heard 12 s ago · do not disturb");
        let long =
            retrying("list", "error decoding response body: peer closed connection without sending TLS close_notify");
        assert_eq!(
            view(&[long], &Quiet::default(), NOW).lines,
            ["list: offline (error decoding response body: peer closed…)"],
            "a menu line keeps the start of a long reason"
        );
    }

    #[test]
    fn no_notification_service_shows_on_the_tray() {
        let plain = view(&[open("tasks")], &Quiet::default(), NOW);
        assert_eq!(plain.clone().with_notifications_error(None), plain);
        let v = plain.with_notifications_error(Some("No notification service is running on this desktop."));
        assert_eq!(v.state, TrayState::NeedsAttention);
        assert_eq!(v.tooltip, "1 feed · last heard 12 s ago · notifications unavailable");
        assert_eq!(
            v.lines,
            ["Notifications unavailable: No notification service is running on this…", "tasks: connected"]
        );
    }

    #[test]
    fn ago_reads_as_people_say_it() {
        assert_eq!(ago(NOW - 12_000, NOW), "12 s ago");
        assert_eq!(ago(NOW - 180_000, NOW), "3 min ago");
        assert_eq!(ago(NOW - 7_200_000, NOW), "2 h ago");
        assert_eq!(ago(NOW + 5_000, NOW), "0 s ago", "a clock a little ahead");
    }

    #[test]
    fn the_state_and_the_badge_are_drawn_in_their_corners() {
        let (w, h) = (32u32, 32u32);
        let pixel = |rgba: &[u8], x: u32, y: u32| rgba[((y * w + x) * 4) as usize..][..4].to_vec();
        let mut plain = vec![0u8; (w * h * 4) as usize];
        draw(&mut plain, w, h, TrayState::NeedsAttention, 0);
        assert_eq!(pixel(&plain, 26, 26), colour(TrayState::NeedsAttention), "the dot, lower right");
        assert_eq!(pixel(&plain, 26, 5), [0, 0, 0, 0], "no badge with nothing unread");
        assert_eq!(pixel(&plain, 3, 3), [0, 0, 0, 0], "the rest of the image untouched");
        let mut unread = vec![0u8; (w * h * 4) as usize];
        draw(&mut unread, w, h, TrayState::Live, 3);
        assert_eq!(pixel(&unread, 26, 5), BADGE.to_vec(), "the badge, upper right");
        assert_eq!(pixel(&unread, 26, 26), colour(TrayState::Live));
    }
}
