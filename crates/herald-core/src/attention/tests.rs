//! The decisions, on an injected clock: every test drives [`Attention`] as
//! the shell does, calling `tick` whenever `next_wake` says.

use std::time::Duration;

use super::*;
use crate::engine::{Condition, FeedKind, FeedState, Health};
use crate::feed::{Action, Level, Preset};
use crate::sse::{ConnectionState, Failure, Phase, StopReason};

const SEC: EpochMs = 1000;
const T0: EpochMs = 1_800_000_000_000;

fn utc() -> TimeZone {
    TimeZone::UTC
}

fn change(feed: &str, key: &str, actor: &str) -> Change {
    let mut change = Change::new(feed, Action::Created, &format!("task {key}"), T0);
    change.key = Some(key.into());
    change.actor = Some(actor.into());
    change.summary = format!("{actor} added 'task {key}'");
    change
}

/// A feed's state as the engine publishes it, for the tests of this crate.
pub(crate) fn state(feed: &str, phase: Phase) -> FeedState {
    let mut state = FeedState {
        name: feed.into(),
        url: format!("http://127.0.0.1/{feed}"),
        preset: Preset::Generic,
        kind: FeedKind::Record,
        connection: ConnectionState { opened: 1, ..ConnectionState::new(phase, Duration::from_secs(45), None) },
        paused: false,
        writable: false,
        problem: None,
        disk_full: false,
        unreadable: None,
        recycled: 0,
        signs_in: false,
        route: None,
        last_error: None,
        unread: 0,
        coalesce: Coalesce::default(),
        me: None,
        present: Vec::new(),
        health: Health::default(),
    };
    state.health = state.health_now();
    state
}

/// Drives `attention` through `arrivals` (each a time and its changes), as
/// the shell does: ticking whenever it asks to, and on until it asks no
/// more. Every alert shown, with its time.
fn run(attention: &mut Attention, arrivals: Vec<(EpochMs, Vec<Change>)>) -> Vec<(EpochMs, Slot, Alert)> {
    let mut shown = Vec::new();
    let mut now = T0;
    let mut arrivals = arrivals.into_iter().peekable();
    loop {
        let wake = attention.next_wake(now);
        let next = arrivals.peek().map(|(at, _)| *at);
        match (wake, next) {
            (Some(wake), Some(at)) if wake < at => {
                now = wake.max(now);
                shown.extend(attention.tick(now).into_iter().map(|(s, a)| (now, s, a)));
            }
            (_, Some(at)) => {
                now = at;
                let (_, changes) = arrivals.next().unwrap();
                shown.extend(attention.changes(&changes, now).into_iter().map(|(s, a)| (now, s, a)));
            }
            (Some(wake), None) => {
                assert!(wake < T0 + 24 * 3600 * SEC, "it never settles");
                now = wake.max(now);
                shown.extend(attention.tick(now).into_iter().map(|(s, a)| (now, s, a)));
            }
            (None, None) => return shown,
        }
    }
}

#[test]
fn a_burst_of_300_changes_is_at_most_three_notifications_in_one_slot() {
    let mut attention = Attention::new(utc(), Quiet::default());
    attention.state(&state("tasks", Phase::Open { since: T0 }), T0);
    // 300 new tasks from one importer over 3 seconds.
    let arrivals = (0..300).map(|i| (T0 + i * 10, vec![change("tasks", &i.to_string(), "Ana")])).collect();
    let shown = run(&mut attention, arrivals);
    assert!(shown.len() <= 3, "{} notifications: {shown:#?}", shown.len());
    assert!(shown.iter().all(|(_, slot, _)| *slot == shown[0].1), "the later ones replace the first");
    assert_eq!(shown[0].2.summary, "Ana added 'task 0'", "the first is shown at once");
    assert_eq!(shown[0].0, T0);
    let last = &shown.last().unwrap().2;
    assert_eq!(last.summary, "300 changes to tasks by Ana");
    assert_eq!(last.body.lines().count(), 5, "four named, the rest counted: {}", last.body);
    assert!(last.body.ends_with("and 296 more"), "{}", last.body);
    assert_eq!(last.target, Target { feed: "tasks".into(), key: None, click: None, since: None });
}

/// A message of an ntfy feed: `id`, in `sequence` when it names one.
fn message(id: &str, sequence: Option<&str>, text: &str) -> Change {
    let mut change = Change::new("alerts", Action::Message, text, T0);
    change.event_id = id.into();
    change.extras.sequence = sequence.map(str::to_owned);
    change
}

#[test]
fn a_message_updated_five_times_is_one_notification_updated_in_place_then_withdrawn() {
    let mut attention = Attention::new(utc(), Quiet::default());
    let mut arrivals = vec![(T0, vec![message("m0", Some("backup"), "Backup: 0%")])];
    arrivals.extend(
        (1..=5)
            .map(|i| (T0 + i * 300, vec![message(&format!("m{i}"), Some("backup"), &format!("Backup: {}%", i * 20))])),
    );
    // An older server's messages: each one its own.
    arrivals.push((T0 + 90 * SEC, vec![message("x1", None, "Disk at 91%")]));
    let shown = run(&mut attention, arrivals);
    let backup: Vec<&(EpochMs, Slot, Alert)> =
        shown.iter().filter(|(_, _, a)| a.summary.starts_with("Backup")).collect();
    assert!(backup.iter().all(|(_, slot, _)| *slot == backup[0].1), "one slot: {shown:#?}");
    let last = &backup.last().unwrap().2;
    assert_eq!(last.summary, "Backup: 100%", "the latest update is what shows");
    assert!(!last.body.contains("earlier"), "an update is not one more change: {}", last.body);
    assert_eq!(last.kind, AlertKind::Message);
    let disk = shown.iter().find(|(_, _, a)| a.summary == "Disk at 91%").expect("the other message");
    assert_ne!(disk.1, backup[0].1);

    let mut withdrawn = Change::new("alerts", Action::Withdrawn, "backup", T0);
    withdrawn.extras.sequence = Some("backup".into());
    let shows = attention.changes(&[withdrawn], T0 + 100 * SEC);
    assert!(shows.is_empty(), "a withdrawal shows nothing: {shows:#?}");
    assert_eq!(attention.take_closed(), vec![backup[0].1], "it closes the notification");
    assert!(attention.take_closed().is_empty());
    let mut cleared = Change::new("alerts", Action::Cleared, "x1", T0);
    cleared.extras.sequence = Some("x1".into());
    attention.changes(&[cleared], T0 + 101 * SEC);
    assert_eq!(attention.take_closed(), vec![disk.1], "a message's own id is its sequence");
}

#[test]
fn changes_to_one_record_update_one_notification() {
    let mut attention = Attention::new(utc(), Quiet::default());
    let arrivals = vec![
        (T0, vec![change("tasks", "4", "Ana")]),
        (T0 + 5 * SEC, vec![Change { summary: "Ana completed 'task 4'".into(), ..change("tasks", "4", "Ana") }]),
        // Past the record window: a notification of its own.
        (T0 + 60 * SEC, vec![change("tasks", "4", "Luis")]),
    ];
    let shown = run(&mut attention, arrivals);
    let slots: Vec<Slot> = shown.iter().map(|(_, s, _)| *s).collect();
    assert_eq!(slots.len(), 3, "{shown:#?}");
    assert_eq!(slots[0], slots[1], "the second change updates the first in place");
    assert_ne!(slots[1], slots[2]);
    assert_eq!(shown[1].2.summary, "Ana completed 'task 4'");
    assert!(shown[1].2.body.ends_with("1 earlier change to it"), "{}", shown[1].2.body);
    assert_eq!(shown[1].0, T0 + 5 * SEC, "an update waits only for the slot's pace (2 s)");
}

#[test]
fn a_few_changes_to_different_records_each_get_their_own_at_the_feeds_pace() {
    let mut attention = Attention::new(utc(), Quiet::default());
    let arrivals = vec![
        (T0, vec![change("tasks", "1", "Ana")]),
        (T0 + 100, vec![change("tasks", "2", "Luis")]),
        (T0 + 200, vec![change("tasks", "3", "Ana")]),
    ];
    let shown = run(&mut attention, arrivals);
    let at: Vec<EpochMs> = shown.iter().map(|(t, _, _)| t - T0).collect();
    assert_eq!(at, [0, 2000, 4000], "one new notification per 2 s: {shown:#?}");
    let mut slots: Vec<Slot> = shown.iter().map(|(_, s, _)| *s).collect();
    slots.dedup();
    assert_eq!(slots.len(), 3);
}

#[test]
fn without_coalescing_every_change_shows_at_once() {
    let mut attention = Attention::new(utc(), Quiet::default());
    let mut open = state("tasks", Phase::Open { since: T0 });
    open.coalesce.enabled = false;
    attention.state(&open, T0);
    let arrivals = (0..10).map(|i| (T0 + i, vec![change("tasks", "1", "Ana")])).collect();
    let shown = run(&mut attention, arrivals);
    assert_eq!(shown.len(), 10);
    assert!(shown.iter().enumerate().all(|(i, (at, _, _))| *at == T0 + i as EpochMs));
}

#[test]
fn own_missed_and_timeline_only_changes_raise_nothing() {
    let mut attention = Attention::new(utc(), Quiet::default());
    let own = Change { own: true, ..change("tasks", "1", "me") };
    let missed = Change { missed: true, ..change("tasks", "2", "Ana") };
    let quiet = Change { level: Level::Timeline, ..change("tasks", "3", "Ana") };
    let ignored = Change { level: Level::Ignore, ..change("tasks", "4", "Ana") };
    assert_eq!(run(&mut attention, vec![(T0, vec![own, missed, quiet, ignored])]), []);
}

#[test]
fn do_not_disturb_holds_20_changes_for_one_digest_when_it_ends() {
    let tz = utc();
    let quiet = Quiet { do_not_disturb: DoNotDisturbFor::Hour.from(T0, &tz), ..Quiet::default() };
    let mut attention = Attention::new(tz, quiet);
    attention.state(&state("tasks", Phase::Open { since: T0 }), T0);
    let arrivals = (0..20).map(|i| (T0 + i * 60 * SEC, vec![change("tasks", &i.to_string(), "Ana")])).collect();
    let shown = run(&mut attention, arrivals);
    assert_eq!(shown.len(), 1, "{shown:#?}");
    let (at, _, digest) = &shown[0];
    assert_eq!(*at, T0 + 3600 * SEC, "when do not disturb ends");
    assert_eq!(digest.summary, "While you were away: 20 changes to tasks");
    assert!(
        digest.body.starts_with("Ana added &#39;task 0&#39;\n") && digest.body.ends_with("and 15 more"),
        "escaped: {}",
        digest.body
    );
    assert_eq!(digest.target, Target { feed: "tasks".into(), key: None, click: None, since: Some(T0) });
}

#[test]
fn turning_do_not_disturb_off_tells_what_it_held_at_once() {
    let tz = utc();
    let mut attention = Attention::new(tz.clone(), Quiet { do_not_disturb: DoNotDisturb::On, ..Quiet::default() });
    assert_eq!(attention.changes(&[change("tasks", "1", "Ana"), change("alerts", "2", "bot")], T0), []);
    assert_eq!(attention.next_wake(T0), None, "nothing ends it but the user");
    let shown = attention.set_quiet(Quiet::default(), T0 + SEC);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].1.summary, "While you were away: 2 changes to alerts and tasks");
    assert_eq!(shown[0].1.target.feed, "", "every feed's timeline");
    assert_eq!(attention.tick(T0 + 2 * SEC), [], "told once");
}

#[test]
fn urgent_changes_break_through_every_quiet() {
    let mut attention = Attention::new(utc(), Quiet { do_not_disturb: DoNotDisturb::On, ..Quiet::default() });
    attention.mute("alerts", T0 + 3600 * SEC);
    let by_rule = Change { level: Level::Urgent, ..change("tasks", "1", "Ana") };
    let by_priority = Change { priority: Some(4), ..change("alerts", "2", "bot") };
    let low = Change { priority: Some(3), ..change("alerts", "3", "bot") };
    let shown = attention.changes(&[by_rule, by_priority, low], T0);
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(shown.iter().all(|(_, a)| a.urgency == Urgency::Critical));
    assert_ne!(shown[0].0, shown[1].0, "each in its own slot");
}

#[test]
fn the_desktops_do_not_disturb_holds_a_burst_for_one_digest_and_urgent_breaks_through() {
    for desktop in [DesktopQuiet::Gnome, DesktopQuiet::Inhibited] {
        let mut attention = Attention::new(utc(), Quiet::default());
        let bell = SoundName::try_from("bell".to_owned()).unwrap();
        attention.set_sounds(Sounds {
            every: PrioritySounds { normal: Some(bell.clone()), urgent: Some(bell.clone()), low: None },
            feeds: Default::default(),
        });
        assert_eq!(attention.set_desktop(Some(desktop), T0), []);
        assert_eq!(attention.hush("tasks", T0), Some(Hush::Desktop(desktop)));
        let burst: Vec<Change> = (0..20).map(|i| change("tasks", &i.to_string(), "Ana")).collect();
        assert_eq!(attention.changes(&burst, T0), [], "held");
        let urgent = Change { level: Level::Urgent, ..change("tasks", "99", "Ana") };
        let shown = attention.changes(&[urgent], T0 + SEC);
        assert_eq!(shown.len(), 1, "urgent breaks through");
        assert_eq!(attention.sound(&shown[0].1, T0 + SEC), Sound::Silent, "and makes no sound, chosen or not");
        let released = attention.set_desktop(None, T0 + 60 * SEC);
        let summaries: Vec<&str> = released.iter().map(|(_, a)| a.summary.as_str()).collect();
        assert_eq!(summaries, ["While you were away: 20 changes to tasks"]);
        assert_eq!(attention.sound(&released[0].1, T0 + 60 * SEC), Sound::Named(bell), "the sound chosen");
    }
}

#[test]
fn a_muted_feed_is_held_and_told_when_the_mute_ends_while_others_go_on() {
    let mut attention = Attention::new(utc(), Quiet::default());
    attention.mute("alerts", T0 + 3600 * SEC);
    let arrivals = vec![(T0, vec![change("alerts", "1", "bot")]), (T0 + 10 * SEC, vec![change("tasks", "2", "Ana")])];
    let shown = run(&mut attention, arrivals);
    let summaries: Vec<(EpochMs, &str)> = shown.iter().map(|(t, _, a)| (t - T0, a.summary.as_str())).collect();
    assert_eq!(summaries, [(10 * SEC, "Ana added 'task 2'"), (3600 * SEC, "While you were away: 1 change to alerts")]);
    assert!(attention.quiet().mutes.is_empty(), "the mute is forgotten once over");
}

#[test]
fn quiet_hours_across_midnight_hold_the_night_and_tell_it_in_the_morning() {
    let tz = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
    let hours = QuietHours { from: "22:00".parse().unwrap(), to: "07:00".parse().unwrap() };
    let mut attention = Attention::new(tz.clone(), Quiet { hours: Some(hours), ..Quiet::default() });
    let local = |text: &str| {
        let civil: jiff::civil::DateTime = text.parse().unwrap();
        civil.to_zoned_datetime(tz.clone()).unwrap().timestamp().as_millisecond()
    };
    let night = local("2026-12-04T23:30:00");
    assert_eq!(attention.changes(&[change("tasks", "1", "Ana")], night), []);
    assert_eq!(attention.changes(&[change("tasks", "2", "Ana")], local("2026-12-05T03:00:00")), []);
    assert_eq!(attention.next_wake(night), Some(local("2026-12-05T07:00:00")));
    let shown = attention.tick(local("2026-12-05T07:00:00"));
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].1.summary, "While you were away: 2 changes to tasks");
    let day = local("2026-12-05T09:00:00");
    assert_eq!(attention.changes(&[change("tasks", "3", "Ana")], day).len(), 1, "the day is not quiet");
}

#[test]
fn a_resync_digest_is_shown_at_once_or_held_with_the_rest() {
    let mut attention = Attention::new(utc(), Quiet::default());
    let missed: Vec<Change> =
        (0..3).map(|i| Change { missed: true, ..change("tasks", &i.to_string(), "Ana") }).collect();
    let shown = attention.missed(&Digest::new("tasks", missed.clone()), T0);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].1.summary, "You missed 3 changes");
    attention.set_quiet(Quiet { do_not_disturb: DoNotDisturb::On, ..Quiet::default() }, T0);
    assert_eq!(attention.missed(&Digest::new("tasks", missed), T0 + SEC), []);
    let after = attention.set_quiet(Quiet::default(), T0 + 2 * SEC);
    assert_eq!(after[0].1.summary, "While you were away: 3 changes to tasks");
}

#[test]
fn an_urgent_missed_change_breaks_through_in_a_digest_of_its_own() {
    let mut attention = Attention::new(utc(), Quiet { do_not_disturb: DoNotDisturb::On, ..Quiet::default() });
    let mut missed: Vec<Change> =
        (0..3).map(|i| Change { missed: true, ..change("tasks", &i.to_string(), "Ana") }).collect();
    missed[1].level = Level::Urgent;
    missed[1].summary = "Urgent: server down".into();
    let shown = attention.missed(&Digest::new("tasks", missed), T0);
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(
        (shown[0].1.summary.as_str(), shown[0].1.urgency),
        ("You missed: Urgent: server down", Urgency::Critical)
    );
    let after = attention.set_quiet(Quiet::default(), T0 + SEC);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].1.summary, "While you were away: 2 changes to tasks", "the rest waited");
    assert_eq!(after[0].1.urgency, Urgency::Normal);
}

#[test]
fn a_feed_offline_past_its_threshold_says_so_once_and_once_more_when_back() {
    let mut attention = Attention::new(utc(), Quiet::default());
    attention.state(&state("tasks", Phase::Open { since: T0 }), T0);
    let reason = Failure::Unreachable { detail: "connection refused".into() };
    let retrying = Phase::Retrying { attempt: 1, at: T0 + 5 * SEC, reason };
    assert_eq!(attention.state(&state("tasks", retrying.clone()), T0), []);
    assert_eq!(attention.next_wake(T0), Some(T0 + 300 * SEC), "the default threshold, 5 minutes");
    assert_eq!(attention.tick(T0 + 299 * SEC), []);
    // Still retrying, and connecting between attempts: the clock runs on.
    attention.state(&state("tasks", Phase::Connecting), T0 + 100 * SEC);
    attention.state(&state("tasks", retrying), T0 + 101 * SEC);
    let told = attention.tick(T0 + 300 * SEC);
    assert_eq!(told.len(), 1);
    let (slot, alert) = &told[0];
    assert_eq!(alert.summary, "tasks is offline");
    assert!(alert.body.contains("connection refused") && alert.body.contains("Check the server"), "{}", alert.body);
    assert_eq!(attention.tick(T0 + 900 * SEC), [], "once");
    let back = attention.state(&state("tasks", Phase::Open { since: T0 + 901 * SEC }), T0 + 901 * SEC);
    assert_eq!(back.len(), 1);
    assert_eq!((back[0].0, back[0].1.summary.as_str()), (*slot, "tasks is back"), "in place of the offline notice");
    assert_eq!(attention.state(&state("tasks", Phase::Open { since: T0 }), T0 + 902 * SEC), [], "once");
}

#[test]
fn trouble_that_passes_before_the_threshold_is_never_told() {
    let mut attention = Attention::new(utc(), Quiet::default());
    let reason = Failure::Ended { detail: "reset".into() };
    let mut short = state("tasks", Phase::Retrying { attempt: 1, at: T0, reason });
    short.coalesce.offline_after_secs = 10;
    attention.state(&short, T0);
    assert_eq!(attention.state(&state("tasks", Phase::Open { since: T0 }), T0 + 9 * SEC), []);
    assert_eq!(attention.next_wake(T0 + 9 * SEC), None);
}

#[test]
fn each_kind_of_trouble_says_what_to_do() {
    let auth = state("hub", Phase::Stopped { reason: StopReason::NeedsAuthentication { status: 401 } });
    assert_eq!(trouble(&auth).map(|t| t.0), Some(Condition::NeedsAuthentication));
    let refused = StopReason::CertificateRefused { message: "invalid peer certificate: UnknownIssuer".into() };
    let cert = state("list", Phase::Stopped { reason: refused });
    assert_eq!(trouble(&cert).map(|t| t.0), Some(Condition::CertificateRefused));
    let mut paused = auth.clone();
    paused.paused = true;
    paused.health = paused.health_now();
    assert_eq!(trouble(&paused), None);
    let busy = state("list", Phase::Retrying { attempt: 2, at: T0, reason: Failure::Status { status: 503 } });
    assert_eq!(trouble(&busy), Some((Condition::Retrying, "the server answered 503".into())));
    let done = state("x", Phase::Stopped { reason: StopReason::NoContent });
    assert_eq!(trouble(&done), None);
    let mut attention = Attention::new(utc(), Quiet::default());
    let mut quick = auth;
    quick.coalesce.offline_after_secs = 0;
    let told = attention.state(&quick, T0);
    assert_eq!(told[0].1.summary, "hub needs you to sign in again");
    assert!(told[0].1.body.contains("token or password"), "{}", told[0].1.body);
}

/// A feed paused by a full disk, as the engine publishes it.
fn disk_full(feed: &str) -> FeedState {
    let mut full = state(feed, Phase::Stopped { reason: StopReason::Closed });
    full.disk_full = true;
    full.health = full.health_now();
    full
}

#[test]
fn a_full_disk_is_one_notification_for_every_feed_it_paused_and_one_when_there_is_room() {
    let mut attention = Attention::new(utc(), Quiet::default());
    for feed in ["tasks", "alerts", "tickets", "builds"] {
        attention.state(&state(feed, Phase::Open { since: T0 }), T0);
    }
    let mut told = Vec::new();
    for (n, feed) in ["tasks", "alerts", "tickets"].into_iter().enumerate() {
        told.extend(attention.state(&disk_full(feed), T0 + n as EpochMs * SEC));
    }
    assert_eq!(told.len(), 1, "one notification, told at once: {told:?}");
    let (slot, alert) = &told[0];
    assert_eq!(alert.summary, "The disk is full");
    assert_eq!(alert.kind, AlertKind::Store);
    assert!(alert.body.contains("paused tasks"), "{}", alert.body);
    assert!(alert.body.contains("resume by themselves"), "{}", alert.body);
    assert_eq!(attention.tick(T0 + 3600 * SEC), [], "never told again while it lasts");
    assert_eq!(attention.state(&disk_full("builds"), T0 + 5 * SEC), [], "a feed paused later joins it");
    let live = |feed| state(feed, Phase::Open { since: T0 + 60 * SEC });
    for feed in ["tasks", "alerts", "tickets"] {
        assert_eq!(attention.state(&live(feed), T0 + 60 * SEC), [], "{feed} is back, others still wait");
    }
    let back = attention.state(&live("builds"), T0 + 61 * SEC);
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].1.summary, "There is room on the disk again");
    assert_eq!(back[0].0, *slot, "it replaces the full disk's notification in place");
    assert_eq!(attention.state(&disk_full("tasks"), T0 + 90 * SEC).len(), 1, "a second time is told again");
}

#[test]
fn trouble_waits_for_the_end_of_do_not_disturb() {
    let mut attention = Attention::new(
        utc(),
        Quiet { do_not_disturb: DoNotDisturb::Until { at: T0 + 3600 * SEC }, ..Quiet::default() },
    );
    let reason = Failure::Unreachable { detail: "refused".into() };
    let mut quick = state("tasks", Phase::Retrying { attempt: 1, at: T0, reason });
    quick.coalesce.offline_after_secs = 1;
    assert_eq!(attention.state(&quick, T0), []);
    assert_eq!(attention.next_wake(T0 + 2 * SEC), Some(T0 + 3600 * SEC), "not a busy loop while quiet");
    let told = attention.tick(T0 + 3600 * SEC);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].1.summary, "tasks is offline");
}

#[test]
fn after_a_wake_what_the_feeds_replay_is_one_digest() {
    let mut attention = Attention::new(utc(), Quiet::default());
    attention.state(&state("tasks", Phase::Open { since: T0 }), T0);
    assert_eq!(attention.woke(T0), []);
    let replay: Vec<Change> = (0..4).map(|i| change("tasks", &i.to_string(), "Ana")).collect();
    assert_eq!(attention.changes(&replay, T0 + 2 * SEC), [], "held while catching up");
    let mut urgent = change("tasks", "9", "Ana");
    urgent.level = Level::Urgent;
    assert_eq!(attention.changes(&[urgent], T0 + 3 * SEC).len(), 1, "urgent breaks through");
    assert_eq!(attention.next_wake(T0 + 3 * SEC), Some(T0 + WAKE_SETTLE_MS));
    let shown = attention.tick(T0 + WAKE_SETTLE_MS);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].1.summary, "While you were away: 4 changes to tasks");
    let later = T0 + WAKE_SETTLE_MS + 60 * SEC;
    assert_eq!(attention.changes(&[change("tasks", "10", "Ana")], later).len(), 1, "awake again");
}

/// The driver, on a wall clock that runs with tokio's (paused) clock but
/// can jump ahead alone, as it does across a sleep.
mod driver_clock {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::{Arc, Mutex};

    use tokio::sync::watch;
    use tokio::time::timeout;

    use super::*;
    use crate::attention::driver::{self, Input};
    use crate::engine::EngineEvent;

    /// Far longer than any wait here; on tokio's paused clock it passes at
    /// once when nothing else can happen, so a test that would hang fails.
    const WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

    struct WallClock {
        start: tokio::time::Instant,
        jumped: AtomicI64,
    }

    impl crate::sse::Clock for WallClock {
        fn now_ms(&self) -> EpochMs {
            T0 + self.start.elapsed().as_millis() as EpochMs + self.jumped.load(Ordering::SeqCst)
        }
    }

    struct Shown {
        alerts: Mutex<Vec<Alert>>,
        count: watch::Sender<usize>,
    }

    impl Notifier for Shown {
        fn show(&self, _slot: Slot, alert: Alert) -> Result<(), NotifyError> {
            let mut alerts = self.alerts.lock().unwrap();
            alerts.push(alert);
            self.count.send_replace(alerts.len());
            Ok(())
        }

        fn close(&self, _slot: Slot) {}
    }

    #[tokio::test(start_paused = true)]
    async fn the_driver_sees_a_sleep_and_holds_the_replay_for_one_digest() {
        let clock = Arc::new(WallClock { start: tokio::time::Instant::now(), jumped: AtomicI64::new(0) });
        let shown = Arc::new(Shown { alerts: Mutex::new(Vec::new()), count: watch::Sender::new(0) });
        let mut count = shown.count.subscribe();
        let handle = driver::spawn(Attention::new(utc(), Quiet::default()), shown.clone(), clock.clone(), None);
        let open = state("tasks", Phase::Open { since: T0 });
        handle.send(Input::Engine(EngineEvent::State { state: Box::new(open) }));
        handle.send(Input::Engine(EngineEvent::Changes { changes: vec![change("tasks", "1", "Ana")] }));
        timeout(WITHIN, count.wait_for(|n| *n == 1)).await.expect("the change, at once").unwrap();

        // The lid closes for two hours: the wall clock runs, the monotonic one does not.
        clock.jumped.fetch_add(2 * 3600 * SEC, Ordering::SeqCst);
        let replay = (2..6).map(|i| change("tasks", &i.to_string(), "Ana")).collect();
        handle.send(Input::Engine(EngineEvent::Changes { changes: replay }));
        let mut status = handle.status();
        timeout(WITHIN, status.wait_for(|s| s.held == 4)).await.expect("the replay held").unwrap();
        assert_eq!(*count.borrow(), 1, "no popup for the replay");
        timeout(WITHIN, count.wait_for(|n| *n == 2)).await.expect("the digest").unwrap();
        let alerts = shown.alerts.lock().unwrap();
        assert_eq!(alerts[1].summary, "While you were away: 4 changes to tasks");
    }

    #[tokio::test(start_paused = true)]
    async fn the_driver_sounds_each_alert_as_chosen_and_keeps_the_choice_for_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(WallClock { start: tokio::time::Instant::now(), jumped: AtomicI64::new(0) });
        let shown = Arc::new(Shown { alerts: Mutex::new(Vec::new()), count: watch::Sender::new(0) });
        let mut count = shown.count.subscribe();
        let kept = driver::Kept(dir.path().to_owned());
        let handle = driver::spawn(Attention::new(utc(), Quiet::default()), shown.clone(), clock, Some(kept));
        let name = |n: &str| SoundName::try_from(n.to_owned()).unwrap();
        let mut sounds = Sounds::default();
        sounds.feeds.insert("alerts".into(), PrioritySounds { normal: Some(name("message")), ..Default::default() });
        handle.send(Input::SetSounds(sounds.clone()));
        handle.send(Input::Engine(EngineEvent::Changes { changes: vec![change("alerts", "1", "bot")] }));
        handle.send(Input::Engine(EngineEvent::Changes { changes: vec![change("tasks", "2", "Ana")] }));
        timeout(WITHIN, count.wait_for(|n| *n == 2)).await.expect("both alerts").unwrap();
        {
            let alerts = shown.alerts.lock().unwrap();
            assert_eq!(alerts[0].sound, Sound::Named(name("message")), "the feed's own");
            assert_eq!(alerts[1].sound, Sound::Desktop, "none chosen for the others");
        }
        assert_eq!(handle.sounds(), sounds);
        let (_, kept) = driver::Kept(dir.path().to_owned()).load();
        assert_eq!(kept, sounds, "read back as the next run starts");
        handle.send(Input::Engine(EngineEvent::Removed { feed: "alerts".into() }));
        let mut status = handle.status();
        timeout(WITHIN, status.wait_for(|s| s.sounds.feeds.is_empty())).await.expect("forgotten").unwrap();
        assert_eq!(driver::Kept(dir.path().to_owned()).load().1, Sounds::default(), "and kept so");
    }
}
