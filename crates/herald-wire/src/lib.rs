//! The reference model on the wire, defined once: the hub serves it and
//! the engine's presets read it, so the two cannot drift.
//!
//! | route | what |
//! |---|---|
//! | `GET /tasks` | all tasks; the [`SEQUENCE_HEADER`] is the last change they include |
//! | `POST /tasks`, `PUT` and `DELETE /tasks/{id}` | writes |
//! | `GET /tasks/subscribe` | the change stream: `event:` is a [`ChangeKind`], or [`RESET_EVENT`] |
//! | `GET /me` | `{"actor": …}`: whom the caller's token stands for |
//!
//! A `POST /tasks` may carry an [`IDEMPOTENCY_KEY_HEADER`]: sent again with
//! the same key (its answer was lost), it makes nothing new and is answered
//! as the first was, with [`IDEMPOTENT_REPLAYED_HEADER`].

use serde::{Deserialize, Serialize};

/// Response header of `GET /tasks`: the sequence number of the last change
/// the snapshot includes, to resume the stream from with no gap.
pub const SEQUENCE_HEADER: &str = "herald-sequence";

/// Request header of `POST /tasks`: the client's name for this one create,
/// 1 to 255 visible ASCII characters, kept by the hub for [`IDEMPOTENCY_HOLDS_SECS`].
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// How long the hub remembers an idempotency key: a day.
pub const IDEMPOTENCY_HOLDS_SECS: u64 = 24 * 60 * 60;

/// Response header, `true` on the answer to a create sent again.
pub const IDEMPOTENT_REPLAYED_HEADER: &str = "idempotent-replayed";

/// The event by which the hub says it cannot replay from a client's
/// `Last-Event-ID` (its log no longer reaches back): reload the snapshot.
pub const RESET_EVENT: &str = "reset";

/// The path that says whom a token stands for, and its field.
pub const ME_PATH: &str = "/me";
pub const ME_POINTER: &str = "/actor";

/// The event by which the hub says who is here now: [`Presence`] as data,
/// and no id, so that it is never part of the replayed change log.
pub const PRESENCE_EVENT: &str = "presence";

/// Where a client says which record it has open.
pub const PRESENCE_PATH: &str = "/presence";

/// A task as stored and as returned by `GET /tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub name: String,
    pub done: bool,
    /// Grows by one with every change to the task; 0 from a hub that does
    /// not version its tasks.
    #[serde(default)]
    pub version: u64,
}

/// The entity tag of a task at `version`, as `ETag` and `If-Match` carry it.
pub fn etag(version: u64) -> String {
    etag_of(&version.to_string())
}

/// The entity tag of a version as a client read it from a record.
pub fn etag_of(version: &str) -> String {
    format!("\"{version}\"")
}

/// The body of a `412 Precondition Failed`: the task as it is now (`None`
/// when it was deleted), and who changed it last, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub error: String,
    pub current: Option<Task>,
    pub actor: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub at: Option<i64>,
}

/// Who is here: the data of a [`PRESENCE_EVENT`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub present: Vec<Present>,
}

/// One actor with at least one open stream, and the record it has open.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Present {
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewing: Option<i64>,
}

/// The body of `PUT /presence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Viewing {
    pub viewing: Option<i64>,
}

/// What a change did; also the SSE `event:` name it travels under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 3] = [ChangeKind::Create, ChangeKind::Update, ChangeKind::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ChangeKind::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_read_back() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ChangeKind::parse("reset"), None);
    }

    #[test]
    fn a_task_from_an_unversioned_server_reads_as_version_0() {
        let task: Task = serde_json::from_str(r#"{"id":1,"name":"a","done":false}"#).unwrap();
        assert_eq!(task.version, 0);
        assert_eq!(etag(7), "\"7\"");
    }
}
