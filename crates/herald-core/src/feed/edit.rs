//! An edit to a record, as the user makes it and the engine sends it, and
//! the conflict that refuses one. It is the feed's concern, not the
//! engine's: what a record is, and what changing it means, is the feed's.
//!
//! The user edits a record by its roles ([`Fields`]: its title, its flag
//! such as a task's `done`), as the window shows them; the feed's
//! [`RecordMeaning`] says where each role is in the server's JSON, for
//! writing as for reading, so the window never names a server's fields.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::form::FieldError;
use super::meaning::RecordMeaning;
use crate::sse::EpochMs;

/// What the user sets in a record, by role. A role left out is not
/// changed (an update) or not sent (a create).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename = "RecordFields")]
pub struct Fields {
    /// What the record is called: at the feed's `record.title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    /// Its flag (a task's `done`): at the field of the feed's first verb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub flag: Option<bool>,
}

impl Fields {
    /// The server's JSON for these roles, as `records` places them. A
    /// create needs a title where records have one; a role the feed has
    /// no place for is refused by its name.
    pub fn to_json(&self, records: &RecordMeaning, creating: bool) -> Result<Value, FieldError> {
        let refuse = |field: &str, message: &str| FieldError { field: field.into(), message: message.into() };
        let mut body = Value::Object(Default::default());
        match (&self.title, records.title.as_deref()) {
            (Some(title), _) if creating && title.trim().is_empty() => return Err(refuse("title", "Give it a name.")),
            (None, Some(_)) if creating => return Err(refuse("title", "Give it a name.")),
            (Some(_), None) => return Err(refuse("title", "This feed's records have no title to write.")),
            (Some(title), Some(pointer)) => set(&mut body, pointer, Value::String(title.trim().to_owned())),
            (None, _) => {}
        }
        match (self.flag, records.verbs.first()) {
            (Some(_), None) => return Err(refuse("flag", "This feed's records have no flag to set.")),
            (Some(flag), Some(verb)) => set(&mut body, &verb.field, Value::Bool(flag)),
            (None, _) => {}
        }
        Ok(body)
    }
}

/// Sets `value` at the JSON pointer `pointer` in `body`, making the objects
/// on the way.
fn set(body: &mut Value, pointer: &str, value: Value) {
    let mut at = body;
    let mut tokens = pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).peekable();
    while let Some(token) = tokens.next() {
        if !at.is_object() {
            *at = Value::Object(Default::default());
        }
        let Value::Object(object) = at else { return };
        if tokens.peek().is_none() {
            object.insert(token, value);
            return;
        }
        at = object.entry(token).or_insert_with(|| Value::Object(Default::default()));
    }
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
        fields: Fields,
    },
    Update {
        key: String,
        fields: Fields,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::feed::FieldVerb;

    fn task() -> RecordMeaning {
        let done = FieldVerb { field: "/done".into(), on: "completed".into(), off: "reopened".into() };
        RecordMeaning { title: Some("/name".into()), verbs: vec![done], ..RecordMeaning::default() }
    }

    #[test]
    fn roles_are_written_where_the_feed_reads_them() {
        let both = Fields { title: Some(" Buy milk ".into()), flag: Some(true) };
        assert_eq!(both.to_json(&task(), true), Ok(json!({"name": "Buy milk", "done": true})));
        let nested = RecordMeaning { title: Some("/fields/summary".into()), ..RecordMeaning::default() };
        let title = Fields { title: Some("Fix it".into()), flag: None };
        assert_eq!(title.to_json(&nested, true), Ok(json!({"fields": {"summary": "Fix it"}})));
        let flag = Fields { title: None, flag: Some(false) };
        assert_eq!(flag.to_json(&task(), false), Ok(json!({"done": false})), "an update sends only what changed");
    }

    #[test]
    fn a_role_without_a_place_or_a_create_without_a_title_is_refused_by_its_name() {
        let unnamed = Fields { title: Some("  ".into()), flag: None };
        assert_eq!(unnamed.to_json(&task(), true).unwrap_err().field, "title");
        assert_eq!(Fields::default().to_json(&task(), true).unwrap_err().field, "title");
        let flag = Fields { title: None, flag: Some(true) };
        assert_eq!(flag.to_json(&RecordMeaning::default(), false).unwrap_err().field, "flag");
    }
}
