//! How a notification reads: its summary, its escaped body, and what a
//! click on it opens.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Slot, Sound};
use crate::feed::{Action, Change, Digest, Extras, Level};
use crate::markup::{escape_markup, markdown_markup};
use crate::sse::EpochMs;
use crate::store::StoreRecovery;

/// What a click on a notification opens: a feed, at a record or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Target {
    /// The feed; empty for every feed's timeline.
    pub feed: String,
    /// The record to show, for a record feed.
    pub key: Option<String>,
    /// An http(s) link the message carries (ntfy's `click`).
    pub click: Option<String>,
    /// The timeline from this time on: the changes a digest tells of.
    #[ts(type = "number | null")]
    pub since: Option<EpochMs>,
}

/// How loudly a notification asks for attention (the freedesktop urgency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Low,
    Normal,
    /// Breaks through do not disturb, quiet hours and mutes.
    Critical,
}

/// What a notification is about: the desktop's `category` hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A change to shared data, or a burst of them.
    Change,
    /// A message of a message feed.
    Message,
    /// What was missed, or held while quiet, told in one.
    Digest,
    /// A feed is offline, or in trouble.
    Offline,
    /// A feed is back.
    Online,
    /// A feed needs the user to sign in: it offers "Sign in".
    SignIn,
    /// Herald's own store: damaged and started afresh, or full.
    Store,
}

impl AlertKind {
    /// The freedesktop category: the spec's own where one fits, Herald's
    /// (`x-herald.*`) where none does.
    pub fn category(self) -> &'static str {
        match self {
            AlertKind::Change => "x-herald.change",
            AlertKind::Message => "x-herald.message",
            AlertKind::Digest => "x-herald.digest",
            AlertKind::Offline => "network.disconnected",
            AlertKind::Online => "network.connected",
            AlertKind::SignIn => "x-herald.sign-in",
            AlertKind::Store => "x-herald.store",
        }
    }
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Plain text: "Ana completed 'Buy milk'".
    pub summary: String,
    /// Escaped for servers that read the body as markup.
    pub body: String,
    /// What to show when the alert is clicked.
    pub target: Target,
    pub urgency: Urgency,
    /// The feed its "Mark read" and "Mute 1 h" actions act on; none for a
    /// notification about several feeds.
    pub feed: Option<String>,
    pub kind: AlertKind,
    /// The message's buttons, attachment and icon, for a notification
    /// about one message.
    pub extras: Extras,
    /// The event id of that one message, for its buttons to name it.
    pub event_id: Option<String>,
    /// What it sounds like: decided as it is shown, by what is quiet then
    /// and the sounds the user chose.
    pub sound: Sound,
}

/// Shows alerts: the OS notification service in the app, a recorder in
/// tests. An alert in a slot already shown replaces it in place.
pub trait Notifier: Send + Sync + 'static {
    fn show(&self, slot: Slot, alert: Alert) -> Result<(), NotifyError>;
    /// Takes the notification in `slot` off the screen, if it is there.
    fn close(&self, slot: Slot);
}

#[derive(Debug, thiserror::Error)]
#[error("could not show a notification: {0}")]
pub struct NotifyError(pub String);

fn target(change: &Change) -> Target {
    Target { feed: change.feed.clone(), key: change.key.clone(), click: change.click.clone(), since: None }
}

/// How loud a change is: an urgent rule, or ntfy's priorities (1-2 low,
/// 3 default, 4-5 urgent).
pub fn urgency_of(change: &Change) -> Urgency {
    match (change.level, change.priority) {
        (Level::Urgent, _) | (_, Some(4..)) => Urgency::Critical,
        (_, Some(1 | 2)) => Urgency::Low,
        _ => Urgency::Normal,
    }
}

/// Whether a change deserves a notification of its own at all: not the
/// user's own, not one a resync found (those go in its digest), and not
/// one the feed's rules keep to the timeline.
pub fn deserves_alert(change: &Change) -> bool {
    !change.own
        && !change.missed
        && matches!(change.level, Level::Notify | Level::Urgent)
        && !matches!(change.action, Action::Withdrawn | Action::Cleared)
}

/// The alert for a change, or `None` when it deserves none. `source` names
/// the feed for people.
pub fn alert_for(change: &Change, source: &str) -> Option<Alert> {
    if !deserves_alert(change) {
        return None;
    }
    Some(alert_of(change, source))
}

/// The alert for one change, whatever it deserves.
pub(super) fn alert_of(change: &Change, source: &str) -> Alert {
    let text = |body: &str| if change.extras.markdown { markdown_markup(body) } else { escape_markup(body) };
    let body = match &change.body {
        Some(body) => format!("{}\n{}", text(body), escape_markup(source)),
        None => escape_markup(source),
    };
    let message = change.action == Action::Message;
    Alert {
        summary: change.summary.clone(),
        body,
        target: target(change),
        urgency: urgency_of(change),
        feed: Some(change.feed.clone()),
        kind: if message { AlertKind::Message } else { AlertKind::Change },
        extras: if message { change.extras.clone() } else { Extras::default() },
        event_id: (message && !change.event_id.is_empty()).then(|| change.event_id.clone()),
        sound: Sound::Desktop,
    }
}

/// Changes listed by name in a digest; the rest are counted.
const DIGEST_LINES: usize = 5;

/// One notification for everything a resync found missed: "You missed 7
/// changes", then the first few, escaped.
pub fn digest_alert(digest: &Digest, source: &str) -> Option<Alert> {
    let missed = &digest.changes;
    let first = missed.first()?;
    let summary = match missed.len() {
        1 => format!("You missed: {}", first.summary),
        n => format!("You missed {n} changes"),
    };
    let mut lines: Vec<String> = missed.iter().take(DIGEST_LINES).map(|n| escape_markup(&n.summary)).collect();
    if missed.len() > DIGEST_LINES {
        lines.push(format!("and {} more", missed.len() - DIGEST_LINES));
    }
    lines.push(escape_markup(source));
    Some(Alert {
        summary,
        body: lines.join("\n"),
        target: target(first),
        // As pressing as the most pressing change it tells of.
        urgency: if missed.iter().any(|c| urgency_of(c) == Urgency::Critical) {
            Urgency::Critical
        } else {
            Urgency::Normal
        },
        feed: Some(digest.feed.clone()),
        kind: AlertKind::Digest,
        extras: Extras::default(),
        event_id: None,
        sound: Sound::Desktop,
    })
}

/// One notification for what was held back while Herald kept quiet:
/// "While you were away: 7 changes to Tasks". `held` is each feed's source
/// name and count, and the first few summaries; a click opens the timeline
/// from `since`, of the one feed, or of every feed.
pub fn away_alert(held: &[(String, String, usize)], lines: &[String], since: EpochMs) -> Option<Alert> {
    let total: usize = held.iter().map(|(_, _, n)| n).sum();
    if total == 0 {
        return None;
    }
    let s = if total == 1 { "" } else { "s" };
    let to = match held {
        [(_, one, _)] => one.clone(),
        [(_, a, _), (_, b, _)] => format!("{a} and {b}"),
        many => format!("{} feeds", many.len()),
    };
    let mut body: Vec<String> = lines.iter().take(DIGEST_LINES).map(|l| escape_markup(l)).collect();
    if total > body.len() {
        body.push(format!("and {} more", total - body.len()));
    }
    let feed = match held {
        [(feed, _, _)] => feed.clone(),
        _ => String::new(),
    };
    Some(Alert {
        summary: format!("While you were away: {total} change{s} to {to}"),
        body: body.join("\n"),
        target: Target { feed: feed.clone(), key: None, click: None, since: Some(since) },
        urgency: Urgency::Normal,
        feed: (!feed.is_empty()).then_some(feed),
        kind: AlertKind::Digest,
        extras: Extras::default(),
        event_id: None,
        sound: Sound::Desktop,
    })
}

/// A notification about Herald's own store, for every feed: a click opens
/// every feed's timeline. `body` is plain text.
pub(super) fn store_alert(summary: &str, body: &str, urgency: Urgency) -> Alert {
    Alert {
        summary: summary.to_owned(),
        body: escape_markup(body),
        target: Target { feed: String::new(), key: None, click: None, since: None },
        urgency,
        feed: None,
        kind: AlertKind::Store,
        extras: Extras::default(),
        event_id: None,
        sound: Sound::Desktop,
    }
}

/// The one notification that the store was damaged and started afresh:
/// the timeline it opens fills again from the servers.
pub fn recovery_alert(recovery: &StoreRecovery) -> Alert {
    store_alert("Herald's store was damaged, and started afresh", &recovery.to_string(), Urgency::Normal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Action;

    fn change(own: bool) -> Change {
        Change {
            feed: "tasks".into(),
            event_id: "4".into(),
            action: Action::Updated,
            verb: Some("completed".into()),
            key: Some("4".into()),
            title: "Buy milk".into(),
            previous_title: None,
            body: None,
            actor: Some("Ana".into()),
            own,
            at: 0,
            missed: false,
            priority: None,
            click: None,
            tags: Vec::new(),
            record: None,
            summary: "Ana completed 'Buy milk'".into(),
            level: crate::feed::Level::Notify,
            extras: Default::default(),
        }
    }

    #[test]
    fn missed_changes_make_one_digest_not_a_flood() {
        let mut missed: Vec<Change> = (0..7)
            .map(|i| Change {
                missed: true,
                key: Some(i.to_string()),
                summary: format!("Someone added '<t{i}>'"),
                ..change(false)
            })
            .collect();
        assert_eq!(alert_for(&missed[0], "hub"), None, "not one by one");
        let digest = digest_alert(&Digest::new("tasks", missed.clone()), "hub").unwrap();
        assert_eq!((digest.summary.as_str(), digest.target.key.as_deref()), ("You missed 7 changes", Some("0")));
        assert_eq!(digest.body.lines().count(), 7, "five listed, the rest counted, then the source");
        assert!(digest.body.contains("&lt;t0&gt;") && digest.body.contains("and 2 more"), "{}", digest.body);
        missed.truncate(1);
        let one = digest_alert(&Digest::new("tasks", missed), "hub").unwrap();
        assert_eq!(one.summary, "You missed: Someone added '<t0>'");
        assert_eq!(digest_alert(&Digest::new("tasks", Vec::new()), "hub"), None);
    }

    #[test]
    fn own_changes_raise_no_alert_and_payload_text_is_escaped() {
        assert_eq!(alert_for(&change(true), "demo"), None);
        let alert = alert_for(&change(false), "Tasks <b>at</b> work & home").unwrap();
        assert_eq!(alert.summary, "Ana completed 'Buy milk'");
        assert_eq!(alert.body, "Tasks &lt;b&gt;at&lt;/b&gt; work &amp; home");
        assert_eq!(alert.target.key.as_deref(), Some("4"));
        let message = Change { body: Some("<i>disk</i>".into()), ..change(false) };
        assert_eq!(alert_for(&message, "ntfy").unwrap().body, "&lt;i&gt;disk&lt;/i&gt;\nntfy");
    }
}
