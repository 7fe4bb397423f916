//! A change as people read it: what happened to which record or message,
//! who did it and when. Every sink shows these: the window, the notifier,
//! the CLI. The types are shared with the UI through ts-rs.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::extras::Extras;
use crate::sse::EpochMs;

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Action {
    Created,
    /// A field with a verb changed: see [`Change::verb`] ("completed").
    Updated,
    Renamed,
    Deleted,
    /// A message of a message feed, or an event of a plain feed.
    Message,
    /// The event's data could not be read as the feed says: shown raw.
    Unreadable,
    /// The sender withdrew the message of a sequence (ntfy's `message_delete`).
    Withdrawn,
    /// The sender marked the message of a sequence read (ntfy's `message_clear`).
    Cleared,
}

impl Action {
    /// The name it has in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Renamed => "renamed",
            Action::Deleted => "deleted",
            Action::Message => "message",
            Action::Unreadable => "unreadable",
            Action::Withdrawn => "withdrawn",
            Action::Cleared => "cleared",
        }
    }
}

/// One change of one feed, attributed and timed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Change {
    pub feed: String,
    /// The SSE event id that carried it (empty when the server sends none).
    pub event_id: String,
    pub action: Action,
    /// The verb of a field that changed ("completed", "reopened").
    pub verb: Option<String>,
    /// The record's key, normalised to text (`26` and `"26"` are one record).
    pub key: Option<String>,
    /// The record's title after the change (before it, for a delete), or the message's title.
    pub title: String,
    pub previous_title: Option<String>,
    /// A message's body, or the raw data of an event that could not be read.
    pub body: Option<String>,
    /// Who made the change, when the server says.
    pub actor: Option<String>,
    /// The user made it: it raises nothing.
    pub own: bool,
    /// When it happened: the server's time when it sends one.
    #[ts(type = "number")]
    pub at: EpochMs,
    /// Found by a resync: it happened while Herald could not hear it.
    pub missed: bool,
    /// A message's priority, 1 (min) to 5 (max), as ntfy has it.
    pub priority: Option<u8>,
    /// Where a click on it leads: an http(s) URL only.
    pub click: Option<String>,
    pub tags: Vec<String>,
    /// The record after the change (as it was, for a delete), for record feeds.
    #[ts(type = "Record<string, unknown> | null")]
    pub record: Option<serde_json::Value>,
    /// The one sentence shown in the window and in the notification.
    pub summary: String,
    /// What it deserves, by the feed's rules (see [`super::Rule`]).
    #[serde(default)]
    pub level: Level,
    /// A message's buttons, attachment, icon, markdown and sequence.
    #[serde(default, skip_serializing_if = "Extras::is_empty")]
    #[ts(as = "Option<Extras>", optional)]
    pub extras: Extras,
}

/// What one resync found: every missed change, and the counts for a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Digest {
    pub feed: String,
    pub changes: Vec<Change>,
    pub created: u32,
    pub updated: u32,
    pub deleted: u32,
}

impl Digest {
    pub fn new(feed: &str, changes: Vec<Change>) -> Digest {
        let count = |pick: fn(&Action) -> bool| changes.iter().filter(|c| pick(&c.action)).count() as u32;
        Digest {
            feed: feed.to_owned(),
            created: count(|a| *a == Action::Created),
            updated: count(|a| matches!(a, Action::Updated | Action::Renamed)),
            deleted: count(|a| *a == Action::Deleted),
            changes,
        }
    }

    /// "you missed 3 changes (1 created, 1 updated, 1 deleted)".
    pub fn sentence(&self) -> String {
        let n = self.changes.len();
        let s = if n == 1 { "" } else { "s" };
        format!(
            "you missed {n} change{s} ({} created, {} updated, {} deleted)",
            self.created, self.updated, self.deleted
        )
    }
}

/// Longest title shown in a summary before it is shortened.
const SUMMARY_TITLE_CHARS: usize = 60;

fn quoted(title: &str) -> String {
    let mut short: String = title.chars().take(SUMMARY_TITLE_CHARS).collect();
    if short.len() < title.len() {
        short.push('…');
    }
    format!("'{short}'")
}

impl Change {
    /// A bare change of `feed`: `title`, by nobody known, at `at`, read as
    /// its title. A meaning fills in the rest.
    pub fn new(feed: &str, action: Action, title: &str, at: EpochMs) -> Change {
        Change {
            feed: feed.to_owned(),
            event_id: String::new(),
            action,
            verb: None,
            key: None,
            title: title.to_owned(),
            previous_title: None,
            body: None,
            actor: None,
            own: false,
            at,
            missed: false,
            priority: None,
            click: None,
            tags: Vec::new(),
            record: None,
            summary: title.to_owned(),
            level: Level::Notify,
            extras: Extras::default(),
        }
    }

    /// The sequence a message belongs to: the one the server names, or
    /// else the message's own id. `None` for a change that is no message.
    pub fn sequence(&self) -> Option<&str> {
        if self.action != Action::Message {
            return None;
        }
        self.extras.sequence.as_deref().or((!self.event_id.is_empty()).then_some(self.event_id.as_str()))
    }

    /// The sentence for a record change: "Ana completed 'Buy milk'".
    pub(super) fn record_summary(&self) -> String {
        let who = if self.own { "You" } else { self.actor.as_deref().unwrap_or("Someone") };
        let what = quoted(&self.title);
        match (self.action, &self.verb) {
            (Action::Created, _) => format!("{who} added {what}"),
            (Action::Renamed, _) => {
                format!("{who} renamed {} to {what}", quoted(self.previous_title.as_deref().unwrap_or("")))
            }
            (Action::Updated, Some(verb)) => format!("{who} {verb} {what}"),
            (Action::Updated, None) => format!("{who} changed {what}"),
            (Action::Deleted, _) => format!("{who} deleted {what}"),
            (Action::Message | Action::Unreadable | Action::Withdrawn | Action::Cleared, _) => self.title.clone(),
        }
    }
}

/// What a change deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Level {
    /// A notification, coalesced with others and held back while quiet.
    #[default]
    Notify,
    /// A notification that breaks through do not disturb, quiet hours and mutes.
    Urgent,
    /// The timeline and the digest only: no popup.
    Timeline,
    /// Kept in the store, read already, and never shown as news.
    Ignore,
}
