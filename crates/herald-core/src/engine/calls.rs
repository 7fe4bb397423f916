//! What a sink may ask of the engine: one type per request, each naming
//! its answer ([`Call`](crate::call::Call)). [`Engine::ask`](super::Engine::ask) takes any of
//! them and gives back exactly its answer, and the supervisor answers each
//! in a method of its own (`answers.rs`), so no answer is ever read as the
//! wrong one.
//!
//! The tray process's socket carries the same types (`ipc::Request`), so a
//! client of the socket asks just as a sink in the same process does.

use serde::{Deserialize, Serialize};

use super::api::{FeedState, Record};
use crate::call::answers;
use crate::feed::{ActionResult, Change, Feed, Write};
use crate::sse::EpochMs;
use crate::store::{Activity, EntryRef, TimelineEntry, TimelinePage, TimelineQuery};

/// Follows a new feed, or replaces the one of the same name (an edit): its
/// history, cursor and records stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddFeed {
    pub feed: Box<Feed>,
}

/// Stops following a feed and deletes it with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveFeed {
    pub name: String,
}

/// Stops (or resumes) following a feed, keeping everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseFeed {
    pub name: String,
    pub paused: bool,
}

/// Skips any wait and reconnects now: one feed, or all (after sleep).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconnectNow {
    pub name: Option<String>,
}

/// Marks events as read: those in `rows` (timeline entries' ids) when
/// given, else every event of a feed, or of all feeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRead {
    pub feed: Option<String>,
    #[serde(default)]
    pub rows: Vec<i64>,
}

/// A page of the timeline: every feed's events, or a search of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetTimeline {
    pub query: TimelineQuery,
}

/// What a feed's store holds: events since `since` (the window's
/// midnight), how many in all, and the last event id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetActivity {
    pub feed: String,
    pub since: EpochMs,
}

/// Every feed's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetFeeds;

/// Every feed as it is defined (to edit one, or export them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetDefinitions;

/// A record feed's records, as Herald last knew them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetRecords {
    pub feed: String,
}

/// The latest messages of a message or plain feed, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetRecent {
    pub feed: String,
    pub limit: u32,
}

/// Changes a record through the feed's REST API (its `write_url`). Fails
/// with [`Error::Conflict`](crate::Error::Conflict) when the record moved
/// on from the write's `base`: then nothing was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteRecord {
    pub feed: String,
    pub write: Write,
}

/// Tells the feed's server which record the user has open (`None`: none),
/// where it hears of presence. Renewed while it stays open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewRecord {
    pub feed: String,
    pub key: Option<String>,
}

/// One entry of the timeline, with what came of its buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetEntry {
    pub entry: EntryRef,
}

/// Sends the `http` action at `at` of the message `entry`, with the feed's
/// credentials only if it points at the feed's own server, and keeps what
/// came of it beside the message. Only on the user's word: `confirmed` when
/// the user has seen the request (the window asks first); otherwise only
/// to a host the feed allows (`allow_actions_to`), and refused for any other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendHttpAction {
    pub entry: EntryRef,
    pub at: usize,
    pub confirmed: bool,
}

/// Keeps what came of one of a message's buttons (one the tray process
/// performs itself: opening a link, copying).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeepActionResult {
    pub entry: EntryRef,
    pub result: ActionResult,
}

/// An ntfy feed's scheduled messages, not yet delivered, soonest first
/// (asked of the server each time: they are not stored until they come).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetUpcoming {
    pub feed: String,
}

answers! {
    AddFeed => (),
    RemoveFeed => (),
    PauseFeed => (),
    ReconnectNow => (),
    MarkRead => (),
    GetTimeline => TimelinePage,
    GetActivity => Activity,
    GetFeeds => Vec<FeedState>,
    GetDefinitions => Vec<Feed>,
    GetRecords => Vec<Record>,
    GetRecent => Vec<Change>,
    WriteRecord => (),
    ViewRecord => (),
    GetEntry => Option<TimelineEntry>,
    SendHttpAction => ActionResult,
    KeepActionResult => (),
    GetUpcoming => Vec<Change>,
}
