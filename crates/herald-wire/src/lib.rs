//! The reference model on the wire, defined once: the hub serves it and
//! the engine's presets read it, so the two cannot drift.
//!
//! | route | what |
//! |---|---|
//! | `GET /tasks` | all tasks; the [`SEQUENCE_HEADER`] is the last change they include |
//! | `POST /tasks`, `PUT` and `DELETE /tasks/{id}` | writes |
//! | `GET /tasks/subscribe` | the change stream: `event:` is a [`ChangeKind`], or [`RESET_EVENT`] |
//! | `GET /me` | `{"actor": …}`: whom the caller's token stands for |

use serde::{Deserialize, Serialize};

/// Response header of `GET /tasks`: the sequence number of the last change
/// the snapshot includes, to resume the stream from with no gap.
pub const SEQUENCE_HEADER: &str = "herald-sequence";

/// The event by which the hub says it cannot replay from a client's
/// `Last-Event-ID` (its log no longer reaches back): reload the snapshot.
pub const RESET_EVENT: &str = "reset";

/// The path that says whom a token stands for, and its field.
pub const ME_PATH: &str = "/me";
pub const ME_POINTER: &str = "/actor";

/// A task as stored and as returned by `GET /tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub name: String,
    pub done: bool,
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
}
