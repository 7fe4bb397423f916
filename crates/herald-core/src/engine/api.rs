//! What the engine tells: each feed's [`FeedState`], a record feed's
//! [`Record`]s, and the [`EngineEvent`]s its sinks hear. Every type here is
//! serde, so the same messages cross the tray process's socket. (What it is
//! asked is in `calls`.)

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::health::Health;
use crate::feed::{Change, Coalesce, Digest, Present, Preset};
use crate::proxy::RouteUsed;
use crate::sse::{ConnectionState, Event};
use crate::store::StoreRecovery;

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
    /// It signs in to an identity provider (`auth = { scheme = "oidc" }`):
    /// it can be signed in and out.
    pub signs_in: bool,
    /// What is wrong besides the connection: a snapshot that cannot be
    /// had, a store that cannot be written. Cleared when it passes.
    pub problem: Option<String>,
    /// Its events cannot be stored, the disk being full: it waits,
    /// disconnected, and resumes by itself once there is room.
    pub disk_full: bool,
    /// The last event that could not be read as the feed says, as the
    /// timeline shows it. It is no trouble: the events after it arrive.
    pub unreadable: Option<String>,
    /// How often a silent stream was recycled by the stall timeout.
    pub recycled: u32,
    /// Which way it goes to its server, and who chose it, once set up.
    pub route: Option<RouteUsed>,
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
        Health::of(self.paused, self.disk_full, self.problem.as_deref(), &self.connection.phase)
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
    /// The store was damaged, and was moved aside for a new one: told
    /// once, first, by the engine that opened it.
    StoreRecovered { recovery: StoreRecovery },
}
