//! The shared task list as it travels over REST and SSE.

use serde::{Deserialize, Serialize};

pub use herald_wire::{ChangeKind, Task};

/// One entry of the change log. `seq` is the SSE event id and grows with every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: u64,
    pub kind: ChangeKind,
    /// The task after the change; for a delete, only `id` is meaningful.
    pub task: Task,
    pub actor: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

/// The JSON `data` of an SSE event. A delete carries only the id, and the
/// version the deletion made.
#[derive(Debug, Serialize)]
struct ChangeData<'a> {
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    done: Option<bool>,
    version: u64,
    actor: &'a str,
    at: i64,
}

/// What a conditional write (`If-Match`) may be made against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: the task must exist, at any version.
    Any,
    /// The task must be at one of these versions. Tags that are not ours
    /// (weak ones included: `If-Match` compares strongly) match nothing.
    Versions(Vec<u64>),
}

impl IfMatch {
    /// Reads an `If-Match` header's value (RFC 9110, section 13.1.1).
    pub fn parse(value: &str) -> IfMatch {
        if value.trim() == "*" {
            return IfMatch::Any;
        }
        let versions =
            value.split(',').filter_map(|tag| tag.trim().strip_prefix('"')?.strip_suffix('"')?.parse().ok()).collect();
        IfMatch::Versions(versions)
    }

    pub fn admits(&self, version: u64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Versions(versions) => versions.contains(&version),
        }
    }
}

/// A task as it is now, for a write made against an older version: `None`
/// when it was deleted, and who changed it last, when the hub knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub current: Option<Task>,
    pub actor: Option<String>,
    pub at: Option<i64>,
}

/// What a create came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    Made(Change),
    /// The create was sent before with the same key: nothing new was made,
    /// and this is the change it made then (the task as it was created).
    Again(Change),
    /// The key was given before to a create of another name.
    KeyReused,
}

impl Created {
    /// The change the create made, now or before.
    pub fn change(self) -> Option<Change> {
        match self {
            Created::Made(change) | Created::Again(change) => Some(change),
            Created::KeyReused => None,
        }
    }
}

/// A client's name for one create (`Idempotency-Key`), so that sending the
/// create again makes nothing new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateKey(String);

impl CreateKey {
    /// The key a header gives, bare or as a quoted string.
    pub fn parse(value: &str) -> Result<CreateKey, &'static str> {
        let value = value.trim();
        let bare = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        let visible = bare.bytes().all(|b| b.is_ascii_graphic());
        if bare.is_empty() || bare.len() > 255 || !visible {
            return Err("Idempotency-Key must be 1 to 255 visible ASCII characters");
        }
        Ok(CreateKey(bare.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a write to an existing task came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Changed(Change),
    /// No such task, and the write had no precondition.
    Missing,
    /// The task is not at the version the write was made against.
    Refused(Stale),
}

impl Written {
    /// The change made, if the write went through.
    pub fn changed(self) -> Option<Change> {
        match self {
            Written::Changed(change) => Some(change),
            Written::Missing | Written::Refused(_) => None,
        }
    }
}

impl Change {
    /// The JSON payload sent as the event's `data`.
    pub fn data_json(&self) -> String {
        let deleted = self.kind == ChangeKind::Delete;
        let data = ChangeData {
            id: self.task.id,
            name: (!deleted).then_some(self.task.name.as_str()),
            done: (!deleted).then_some(self.task.done),
            version: self.task.version,
            actor: &self.actor,
            at: self.at,
        };
        serde_json::to_string(&data).expect("a change always serializes")
    }
}

/// Body of `POST /tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub name: String,
}

/// Body of `PUT /tasks/:id`: any subset of the fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    pub name: Option<String>,
    pub done: Option<bool>,
}

/// Longest task name the hub accepts, in characters.
pub const MAX_NAME_CHARS: usize = 500;

/// Checks a task name and returns it trimmed.
pub fn clean_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("name must not be empty");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("name is longer than 500 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_keys_are_visible_ascii_bare_or_quoted() {
        assert_eq!(CreateKey::parse("abc-123").unwrap().as_str(), "abc-123");
        assert!(CreateKey::parse("8e0f…").is_err(), "not ASCII");
        assert_eq!(CreateKey::parse("\"8e0f\"").unwrap().as_str(), "8e0f");
        assert!(CreateKey::parse("").is_err());
        assert!(CreateKey::parse("\"\"").is_err());
        assert!(CreateKey::parse("two words").is_err());
        assert!(CreateKey::parse(&"k".repeat(256)).is_err());
        assert!(CreateKey::parse(&"k".repeat(255)).is_ok());
    }

    fn change(kind: ChangeKind) -> Change {
        Change {
            seq: 7,
            kind,
            task: Task { id: 3, name: "Buy milk".into(), done: true, version: 2 },
            actor: "Ana".into(),
            at: 1000,
        }
    }

    #[test]
    fn update_data_carries_the_task_and_actor() {
        let v: serde_json::Value = serde_json::from_str(&change(ChangeKind::Update).data_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": 3, "name": "Buy milk", "done": true, "version": 2, "actor": "Ana", "at": 1000})
        );
    }

    #[test]
    fn delete_data_carries_only_the_id_and_actor() {
        let v: serde_json::Value = serde_json::from_str(&change(ChangeKind::Delete).data_json()).unwrap();
        assert_eq!(v, serde_json::json!({"id": 3, "version": 2, "actor": "Ana", "at": 1000}));
    }

    #[test]
    fn if_match_compares_strongly() {
        assert_eq!(IfMatch::parse(" * "), IfMatch::Any);
        assert_eq!(IfMatch::parse("\"3\", \"5\""), IfMatch::Versions(vec![3, 5]));
        assert!(IfMatch::parse("\"3\"").admits(3));
        assert!(!IfMatch::parse("W/\"3\"").admits(3));
        assert!(!IfMatch::parse("3").admits(3));
        assert!(!IfMatch::parse("\"x\"").admits(0));
        assert!(IfMatch::Any.admits(9));
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(clean_name("  Buy milk ").unwrap(), "Buy milk");
        assert_eq!(clean_name("   "), Err("name must not be empty"));
        assert_eq!(clean_name("a\nb"), Err("name must not contain control characters"));
        assert_eq!(clean_name(&"x".repeat(501)), Err("name is longer than 500 characters"));
        assert!(clean_name(&"é".repeat(500)).is_ok());
    }
}
