//! The engine's API as messages: [`Command`]s in, each answered by one
//! [`Reply`], and [`EngineEvent`]s out. Every type here is serde, so the
//! same messages can later cross a local socket (one JSON object per line)
//! and the window will not notice the engine moved to another process.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::health::Health;
use crate::feed::{Change, Coalesce, Digest, Feed, Present, Preset};
use crate::sse::{ConnectionState, EpochMs, Event};
use crate::store::{Activity, TimelinePage, TimelineQuery};

/// What a sink may ask of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Command {
    /// Follows a new feed, or replaces the one of the same name (an edit):
    /// its history, cursor and records stay.
    AddFeed { feed: Box<Feed> },
    /// Stops following a feed and deletes it with its history.
    RemoveFeed { name: String },
    /// Stops (or resumes) following a feed, keeping everything.
    PauseFeed { name: String, paused: bool },
    /// Skips any wait and reconnects now: one feed, or all (after sleep).
    ReconnectNow { name: Option<String> },
    /// Marks events as read: those in `rows` (timeline entries' ids) when
    /// given, else every event of a feed, or of all feeds.
    MarkRead {
        feed: Option<String>,
        #[serde(default)]
        rows: Vec<i64>,
    },
    /// A page of the timeline: every feed's events, or a search of them.
    Timeline { query: TimelineQuery },
    /// What a feed's store holds: events since `since` (the window's
    /// midnight), how many in all, and the last event id.
    Activity { feed: String, since: EpochMs },
    /// Every feed's state.
    Feeds,
    /// Every feed as it is defined (to edit one, or export them all).
    Definitions,
    /// A record feed's records, as Herald last knew them.
    Records { feed: String },
    /// The latest messages of a message or plain feed, oldest first.
    Recent { feed: String, limit: u32 },
    /// Changes a record through the feed's REST API (its `write_url`).
    /// Answered [`Reply::Conflict`] when the record moved on from the
    /// write's `base`.
    Write { feed: String, write: Write },
    /// Tells the feed's server which record the user has open (`None`:
    /// none), where it hears of presence. Renewed while it stays open.
    View { feed: String, key: Option<String> },
}

/// A change to a record, made through REST. Like anyone else's, it comes
/// back on the stream, marked as the user's own.
///
/// `base` is the record as the user saw it when they made the change. With
/// it, the write never silently overwrites someone else's: it is sent with
/// `If-Match` of the base's version where the feed has versions, and
/// otherwise the record is re-read first and compared with the base.
/// Without it, the write goes through whatever is there now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum Write {
    Create {
        #[ts(type = "Record<string, unknown>")]
        fields: Value,
    },
    Update {
        key: String,
        #[ts(type = "Record<string, unknown>")]
        fields: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "Record<string, unknown>")]
        base: Option<Value>,
    },
    Delete {
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "Record<string, unknown>")]
        base: Option<Value>,
    },
}

impl Write {
    /// The record as the user saw it, if the write is made against it.
    pub fn base(&self) -> Option<&Value> {
        match self {
            Write::Create { .. } => None,
            Write::Update { base, .. } | Write::Delete { base, .. } => base.as_ref(),
        }
    }
}

/// A write refused because the record moved on from what the user saw:
/// what was tried, what is there now, and who changed it last and when,
/// when the server says. Nothing was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Conflict {
    pub tried: Write,
    /// The record now; `None` when it was deleted.
    #[ts(type = "Record<string, unknown> | null")]
    pub current: Option<Value>,
    pub actor: Option<String>,
    #[ts(type = "number | null")]
    pub at: Option<EpochMs>,
}

/// The answer to one [`Command`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Reply {
    Done,
    Feeds {
        feeds: Vec<FeedState>,
    },
    Definitions {
        feeds: Vec<Feed>,
    },
    Records {
        records: Vec<Record>,
    },
    Changes {
        changes: Vec<Change>,
    },
    Timeline {
        page: TimelinePage,
    },
    Activity {
        activity: Activity,
    },
    /// A write was refused: nothing was written.
    Conflict {
        conflict: Box<Conflict>,
    },
    Error {
        message: String,
    },
}

impl Reply {
    /// `Ok` for anything but [`Reply::Error`].
    pub fn ok(self) -> Result<Reply, String> {
        match self {
            Reply::Error { message } => Err(message),
            reply => Ok(reply),
        }
    }
}

/// What a feed's events are, for the window to choose a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum FeedKind {
    Record,
    Message,
    Raw,
}

/// A feed as the engine follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FeedState {
    pub name: String,
    pub url: String,
    pub preset: Preset,
    pub kind: FeedKind,
    pub connection: ConnectionState,
    pub paused: bool,
    /// Its records can be changed from Herald (the feed has a `write_url`).
    pub writable: bool,
    /// What is wrong besides the connection: a snapshot that cannot be
    /// had, a store that cannot be written. Cleared when it passes.
    pub problem: Option<String>,
    /// The last event that could not be read as the feed says, as the
    /// timeline shows it. It is no trouble: the events after it arrive.
    pub unreadable: Option<String>,
    /// How often a silent stream was recycled by the stall timeout.
    pub recycled: u32,
    /// Why the last connection attempt failed, kept once it reconnects.
    pub last_error: Option<String>,
    #[ts(type = "number")]
    pub unread: u64,
    /// How its notifications are coalesced, and when its trouble is told.
    pub coalesce: Coalesce,
    /// The user's own name on the feed, once known: their own changes, and
    /// their own presence, are not news.
    pub me: Option<String>,
    /// Who has the feed open now, the user included, where the server
    /// says; empty while not connected.
    pub present: Vec<Present>,
    /// What all of the above means to a person: derived by [`Health::of`]
    /// whenever the state changes, and read by everyone who shows it.
    pub health: Health,
}

impl FeedState {
    /// What it means to a person now (see [`Health::of`]); kept in
    /// `health` whenever the state changes.
    pub fn health_now(&self) -> Health {
        Health::of(self.paused, self.problem.as_deref(), &self.connection.phase)
    }

    /// Where its changes come from, as people read it: its name, or the
    /// host of its URL when it is named by its URL.
    pub fn source(&self) -> String {
        if self.name != self.url {
            return self.name.clone();
        }
        host(&self.url).unwrap_or_else(|| self.name.clone())
    }
}

fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

/// A record of a record feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename = "FeedRecord")]
pub struct Record {
    pub key: String,
    pub title: String,
    /// The first field verb's field, read as true or false (a task's `done`).
    pub flag: Option<bool>,
    #[ts(type = "Record<string, unknown>")]
    pub value: Value,
    /// The last change Herald knows of it: who, what and when.
    pub last_change: Option<Change>,
}

/// What the engine tells its sinks, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum EngineEvent {
    /// A feed's state changed: its phase, pause, problem, recycling or
    /// unread count. It is always the whole state, as it is now.
    /// (Boxed: it is by far the largest event, and the others are many.)
    State { state: Box<FeedState> },
    /// Events as they arrived and were stored, before anything is shown.
    Events { feed: String, events: Vec<Event> },
    /// What those events changed, for people.
    Changes { changes: Vec<Change> },
    /// What a resync found missed: each change, and the counts for a digest.
    Missed { digest: Digest },
    /// Something the user should know that stopped nothing.
    Problem { feed: Option<String>, message: String },
    /// A feed was removed.
    Removed { feed: String },
}
