//! What deserves the user's attention, and how a notification reads.
//!
//! The desktop shell shows alerts through whatever the OS offers; the
//! decisions (never for the user's own edits, payload text escaped) live
//! here so they are tested without a desktop.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::feed::{Change, Digest};

/// What a click on a notification opens: a feed, at a record or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Target {
    pub feed: String,
    /// The record to show, for a record feed.
    pub key: Option<String>,
    /// An http(s) link the message carries (ntfy's `click`).
    pub click: Option<String>,
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
    /// A message's priority, 1 to 5, when it has one.
    pub priority: Option<u8>,
}

/// Shows alerts: the OS notification service in the app, a recorder in tests.
pub trait Notifier: Send + Sync + 'static {
    fn show(&self, alert: Alert) -> Result<(), NotifyError>;
}

#[derive(Debug, thiserror::Error)]
#[error("could not show a notification: {0}")]
pub struct NotifyError(pub String);

/// Which target each shown notification is about, so that a click (which
/// arrives as a bare notification id) can open the right one.
///
/// A click may be reported before the request that showed the notification
/// has returned its id; such early clicks are kept briefly and honoured when
/// the id is registered. Both lists are bounded, since a notification server
/// need not report every notification's end.
#[derive(Debug, Default)]
pub struct ClickRouter {
    shown: std::collections::VecDeque<(u32, Target)>,
    early: std::collections::VecDeque<u32>,
}

/// How many notifications and early clicks the router remembers.
const ROUTER_MEMORY: usize = 256;

impl ClickRouter {
    /// Registers notification `id` for `target`; returns it to open at once
    /// if the click came first.
    pub fn shown(&mut self, id: u32, target: Target) -> Option<Target> {
        if let Some(pos) = self.early.iter().position(|&e| e == id) {
            self.early.remove(pos);
            return Some(target);
        }
        if self.shown.len() == ROUTER_MEMORY {
            self.shown.pop_front();
        }
        self.shown.push_back((id, target));
        None
    }

    /// What to open for a click on notification `id`, if known yet.
    pub fn clicked(&mut self, id: u32) -> Option<Target> {
        if let Some(pos) = self.shown.iter().position(|(shown, _)| *shown == id) {
            return self.shown.remove(pos).map(|(_, target)| target);
        }
        if self.early.len() == ROUTER_MEMORY {
            self.early.pop_front();
        }
        self.early.push_back(id);
        None
    }

    /// Forgets a notification the server closed.
    pub fn closed(&mut self, id: u32) {
        self.shown.retain(|(shown, _)| *shown != id);
    }
}

fn target(change: &Change) -> Target {
    Target { feed: change.feed.clone(), key: change.key.clone(), click: change.click.clone() }
}

/// The alert for a change, or `None` when the user made it. `source` names
/// the feed for people.
pub fn alert_for(change: &Change, source: &str) -> Option<Alert> {
    // Missed changes are told together, in one digest (see `digest_alert`).
    if change.own || change.missed {
        return None;
    }
    let body = match &change.body {
        Some(body) => format!("{}\n{}", escape_markup(body), escape_markup(source)),
        None => escape_markup(source),
    };
    Some(Alert { summary: change.summary.clone(), body, target: target(change), priority: change.priority })
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
    Some(Alert { summary, body: lines.join("\n"), target: target(first), priority: None })
}

/// Escapes text for the notification body, which the freedesktop spec lets
/// servers read as a subset of HTML: payload text must never become markup.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
    fn clicks_open_the_target_whichever_arrives_first() {
        let t = |key: &str| Target { feed: "f".into(), key: Some(key.into()), click: None };
        let mut router = ClickRouter::default();
        assert_eq!(router.shown(1, t("10")), None);
        assert_eq!(router.clicked(1), Some(t("10")));
        assert_eq!(router.clicked(1), None, "one click, one open");
        assert_eq!(router.shown(1, t("10")), Some(t("10")), "the click above came before this id was shown again");
        assert_eq!(router.clicked(2), None);
        assert_eq!(router.shown(2, t("20")), Some(t("20")), "an early click is honoured on registration");
        router.shown(3, t("30"));
        router.closed(3);
        assert_eq!(router.clicked(3), None);
    }

    #[test]
    fn the_router_forgets_the_oldest_beyond_its_memory() {
        let mut router = ClickRouter::default();
        for id in 0..300 {
            router.shown(id, Target { feed: "f".into(), key: Some(id.to_string()), click: None });
        }
        assert_eq!(router.clicked(0), None);
        assert_eq!(router.clicked(299).and_then(|t| t.key), Some("299".into()));
        assert!(router.shown.len() <= ROUTER_MEMORY && router.early.len() <= ROUTER_MEMORY);
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
