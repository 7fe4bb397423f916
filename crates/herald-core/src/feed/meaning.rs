//! What an event means, for any feed: which record it touches, what
//! happened to it, who did it and when; or, for a message feed, its title,
//! body, priority, link and tags.
//!
//! Records are schema-less JSON: a field keeps whatever type the server
//! sends, so `done` may be `true` or `1`, a key `26` or `"26"`, and a name
//! may be missing from an update. Comparisons are therefore loose (see
//! [`same`]), a field an event did not carry is unknown rather than changed,
//! and data that is not JSON is shown raw, never dropped.

use herald_wire::ChangeKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::change::{Action, Change, Level};
use super::extras::ExtrasAt;
use super::values::{key_at, same, text_at, time_at, truthy};
use crate::sse::{EpochMs, Event};

/// How a feed's events read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    /// Shared data: each event creates, updates or deletes a record.
    Record(RecordMeaning),
    /// Notifications: each event is a message.
    Message(MessageMeaning),
    /// Anything else: the raw event type and data.
    Raw,
}

/// Where a record's parts are, as JSON pointers, and which event types
/// create, update and delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordMeaning {
    #[serde(default = "default_key")]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default = "default_created")]
    pub created: Vec<String>,
    #[serde(default = "default_updated")]
    pub updated: Vec<String>,
    #[serde(default = "default_deleted")]
    pub deleted: Vec<String>,
    /// Fields whose change reads as a verb: `done` as completed / reopened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<FieldVerb>,
    /// A record's version, which the server raises with every change and
    /// checks on a write's `If-Match`. Without one, a write re-reads the
    /// record first to see that nobody changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

fn default_key() -> String {
    "/id".into()
}
// The reference model's event names, as the hub sends them.
fn default_created() -> Vec<String> {
    vec![ChangeKind::Create.as_str().into()]
}
fn default_updated() -> Vec<String> {
    vec![ChangeKind::Update.as_str().into()]
}
fn default_deleted() -> Vec<String> {
    vec![ChangeKind::Delete.as_str().into()]
}

impl Default for RecordMeaning {
    fn default() -> Self {
        RecordMeaning {
            key: default_key(),
            title: None,
            actor: None,
            at: None,
            created: default_created(),
            updated: default_updated(),
            deleted: default_deleted(),
            verbs: Vec::new(),
            version: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldVerb {
    /// A JSON pointer to a field read as true or false.
    pub field: String,
    /// The verb when it becomes true ("completed").
    pub on: String,
    /// The verb when it becomes false ("reopened").
    pub off: String,
}

/// Where a message's parts are, as JSON pointers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageMeaning {
    /// The event types that are messages; empty for every type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
    /// `true`, or a content type of `text/markdown`: the body is markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    /// An http(s) URL of an icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// An object as ntfy's `attachment` (`name`, `type`, `size`, `url`), or a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// An http(s) URL of an image, for a feed without attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// An array of buttons, as ntfy's `actions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<String>,
    /// The sequence a message belongs to: a later message of it replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// Event types that withdraw the message of their sequence (ntfy's
    /// `message_delete`): its notification closes, its entry says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<String>,
    /// Event types that mark the message of their sequence read (ntfy's
    /// `message_clear`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cleared: Vec<String>,
}

impl MessageMeaning {
    /// ntfy's JSON messages (its `open` and `keepalive` events are not
    /// messages), with everything ntfy 2.16 sends.
    pub fn ntfy() -> MessageMeaning {
        MessageMeaning {
            events: vec!["message".into()],
            title: Some("/title".into()),
            body: Some("/message".into()),
            priority: Some("/priority".into()),
            click: Some("/click".into()),
            tags: Some("/tags".into()),
            markdown: Some("/content_type".into()),
            icon: Some("/icon".into()),
            attachment: Some("/attachment".into()),
            image: None,
            actions: Some("/actions".into()),
            sequence: Some("/sequence_id".into()),
            withdrawn: vec!["message_delete".into()],
            cleared: vec!["message_clear".into()],
        }
    }

    fn extras_at(&self) -> ExtrasAt<'_> {
        ExtrasAt {
            markdown: self.markdown.as_deref(),
            icon: self.icon.as_deref(),
            attachment: self.attachment.as_deref(),
            image: self.image.as_deref(),
            actions: self.actions.as_deref(),
            sequence: self.sequence.as_deref(),
        }
    }
}

/// Who the user is on a feed: a fixed actor, or what an endpoint says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Me {
    Actor {
        actor: String,
    },
    Endpoint {
        url: String,
        #[serde(default = "default_me_pointer")]
        pointer: String,
    },
}

/// Where Herald's hub says who a token stands for, as most such endpoints do.
fn default_me_pointer() -> String {
    herald_wire::ME_POINTER.into()
}

/// What an event is for a record feed, before the record it names is looked up.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// Not a record change (another event type).
    Ignored,
    /// A record change whose data cannot be read: shown raw, with the reason.
    Unreadable(String),
    Keyed {
        kind: ChangeKind,
        key: String,
        data: Value,
    },
}

/// What to do to the stored record.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordOp {
    Keep,
    Put(String, Value),
    Remove(String),
}

/// Who and when, for interpreting.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub feed: &'a str,
    pub me: Option<&'a str>,
    pub now: EpochMs,
}

/// The first part of a text, on one line, for summaries.
fn snippet(text: &str, chars: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut short: String = line.chars().take(chars).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn blank(feed: &str, event_id: &str, action: Action, title: String, now: EpochMs) -> Change {
    let mut change = Change::new(feed, action, &title, now);
    change.event_id = event_id.to_owned();
    change.summary = String::new();
    change
}

/// An event that could not be read as the feed says: its raw data, and
/// why. It goes to the timeline, not a popup, unless a rule says so.
pub fn unreadable(ctx: Context<'_>, event: &Event, reason: &str) -> Change {
    let mut change = blank(ctx.feed, &event.last_event_id, Action::Unreadable, event.event.to_string(), ctx.now);
    change.body = Some(event.data.to_string());
    change.summary = format!("{}: {} (not readable: {reason})", event.event, snippet(&event.data, 80));
    change.level = Level::Timeline;
    change
}

/// A plain feed's event: its type and raw data.
pub fn raw(ctx: Context<'_>, event: &Event) -> Change {
    let mut change = blank(ctx.feed, &event.last_event_id, Action::Message, event.event.to_string(), ctx.now);
    change.body = Some(event.data.to_string());
    change.summary = format!("{}: {}", event.event, snippet(&event.data, 120));
    change
}

impl MessageMeaning {
    /// The message an event is, or `None` for an event type that is not one.
    pub fn read(&self, ctx: Context<'_>, event: &Event) -> Option<Change> {
        let is = |types: &[String]| types.iter().any(|t| *t == *event.event);
        if is(&self.withdrawn) || is(&self.cleared) {
            return self.retraction(ctx, event, if is(&self.withdrawn) { Action::Withdrawn } else { Action::Cleared });
        }
        if !self.events.is_empty() && !self.events.iter().any(|e| *e == *event.event) {
            return None;
        }
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            // Not JSON: the text is the message.
            let mut change = raw(ctx, event);
            change.title = snippet(&event.data, 80);
            change.summary = change.title.clone();
            return Some(change);
        };
        let body = text_at(&data, self.body.as_deref());
        let title = text_at(&data, self.title.as_deref())
            .or_else(|| body.as_deref().map(|b| snippet(b, 80)))
            .unwrap_or_else(|| event.event.to_string());
        let mut change = blank(ctx.feed, &event.last_event_id, Action::Message, title, ctx.now);
        change.summary = change.title.clone();
        change.body = body;
        change.priority =
            self.priority.as_deref().and_then(|p| data.pointer(p)).and_then(Value::as_u64).map(|p| p.clamp(1, 5) as u8);
        change.click = text_at(&data, self.click.as_deref()).filter(|url| crate::is_http_url(url));
        if let Some(Value::Array(tags)) = self.tags.as_deref().and_then(|p| data.pointer(p)) {
            change.tags = tags.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect();
        }
        change.extras = self.extras_at().read(&data);
        Some(change)
    }

    /// A withdrawal or a clear of the message of a sequence; nothing when it
    /// names none. The store applies it to that message, and it is never
    /// an entry of its own.
    fn retraction(&self, ctx: Context<'_>, event: &Event, action: Action) -> Option<Change> {
        let data = serde_json::from_str::<Value>(&event.data).ok()?;
        let sequence = text_at(&data, self.sequence.as_deref()).filter(|s| !s.is_empty())?;
        let mut change = blank(ctx.feed, &event.last_event_id, action, sequence.clone(), ctx.now);
        change.summary = change.title.clone();
        change.level = Level::Ignore;
        change.extras.sequence = Some(sequence);
        Some(change)
    }
}

impl RecordMeaning {
    /// The event type that carries a change of `kind`: the first this feed
    /// names for it.
    pub fn event_type_of(&self, kind: ChangeKind) -> &str {
        let types = match kind {
            ChangeKind::Create => &self.created,
            ChangeKind::Update => &self.updated,
            ChangeKind::Delete => &self.deleted,
        };
        types.first().map(String::as_str).unwrap_or(kind.as_str())
    }

    fn kind_of(&self, event_type: &str) -> Option<ChangeKind> {
        let has = |types: &[String]| types.iter().any(|t| t == event_type);
        if has(&self.created) {
            Some(ChangeKind::Create)
        } else if has(&self.updated) {
            Some(ChangeKind::Update)
        } else if has(&self.deleted) {
            Some(ChangeKind::Delete)
        } else {
            None
        }
    }

    /// Reads an event as far as its key.
    pub fn read(&self, event: &Event) -> Read {
        let Some(kind) = self.kind_of(&event.event) else { return Read::Ignored };
        let data = match serde_json::from_str::<Value>(&event.data) {
            Ok(data) => data,
            Err(e) => return Read::Unreadable(format!("the data is not JSON ({e})")),
        };
        if kind != ChangeKind::Delete && !data.is_object() {
            return Read::Unreadable("the data is not a JSON object".into());
        }
        match key_at(&data, &self.key) {
            Some(key) => Read::Keyed { kind, key, data },
            None => Read::Unreadable(format!("the data has no key at {}", self.key)),
        }
    }

    /// The record's title, or `#key` when it has none.
    pub fn title_of(&self, record: &Value, key: &str) -> String {
        text_at(record, self.title.as_deref()).unwrap_or_else(|| format!("#{key}"))
    }

    /// What a live change did to the record as it was `before`.
    pub fn apply(
        &self,
        ctx: Context<'_>,
        event: &Event,
        kind: ChangeKind,
        key: String,
        data: Value,
        before: Option<&Value>,
    ) -> (Option<Change>, RecordOp) {
        let actor = text_at(&data, self.actor.as_deref());
        let at = time_at(&data, self.at.as_deref()).unwrap_or(ctx.now);
        let (change, op) = if kind == ChangeKind::Delete {
            let change = before.map(|before| {
                let mut change = self.describe(Action::Deleted, &key, before, None);
                change.record = Some(before.clone());
                change
            });
            (change, RecordOp::Remove(key))
        } else {
            let mut merged = before.and_then(Value::as_object).cloned().unwrap_or_default();
            if let Value::Object(fields) = &data {
                merged.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let merged = Value::Object(merged);
            let change = match before {
                None => Some(self.describe(Action::Created, &key, &merged, None)),
                // The event says what changed: a field the record lacked is news.
                Some(before) => self.compare(&key, before, &data, &merged, true),
            };
            let change = change.map(|mut change| {
                change.record = Some(merged.clone());
                change
            });
            (change, RecordOp::Put(key, merged))
        };
        let change = change.map(|mut change| {
            change.feed = ctx.feed.to_owned();
            change.event_id = event.last_event_id.to_string();
            change.own = matches!((ctx.me, &actor), (Some(me), Some(actor)) if me == actor);
            change.actor = actor;
            change.at = at;
            change.summary = change.record_summary();
            change
        });
        (change, op)
    }

    /// Whether a known record still holds in the snapshot's `now`, as a
    /// resync judges it: the who and when of live events are not compared.
    pub fn unchanged(&self, known: &Value, now: &Value) -> bool {
        self.compare("", known, now, now, false).is_none()
    }

    /// A change found by a resync: `before` is what Herald knew, `after`
    /// the snapshot's record (`None` when it is gone).
    pub fn missed(&self, ctx: Context<'_>, key: &str, before: Option<&Value>, after: Option<&Value>) -> Option<Change> {
        let mut change = match (before, after) {
            (None, Some(after)) => self.describe(Action::Created, key, after, None),
            (Some(before), None) => self.describe(Action::Deleted, key, before, None),
            // A field Herald never heard of (a live create that left it out) is
            // unknown: the snapshot holding it is no change.
            (Some(before), Some(after)) => self.compare(key, before, after, after, false)?,
            (None, None) => return None,
        };
        change.feed = ctx.feed.to_owned();
        change.at = ctx.now;
        change.missed = true;
        change.record = after.or(before).cloned();
        change.summary = change.record_summary();
        Some(change)
    }

    /// How `record` (the record now) differs from `before`, judging only the
    /// fields that `said` carries: a field it left out is unknown, not
    /// changed. A field `before` lacks counts as changed only when `news`.
    fn compare(&self, key: &str, before: &Value, said: &Value, record: &Value, news: bool) -> Option<Change> {
        // Who, when and the version say how a change was made, not what it changed.
        let ignored: Vec<&str> =
            [self.actor.as_deref(), self.at.as_deref(), self.version.as_deref()].into_iter().flatten().collect();
        let fields = said.as_object().map(Map::iter).into_iter().flatten();
        let changed: Vec<&String> = fields
            .filter(|(name, _)| !ignored.iter().any(|p| p.strip_prefix('/') == Some(name.as_str())))
            .filter(|(name, value)| match before.get(name.as_str()) {
                Some(old) => !same(old, value),
                None => news,
            })
            .map(|(name, _)| name)
            .collect();
        if changed.is_empty() {
            return None;
        }
        let is = |pointer: &str, name: &String| pointer.strip_prefix('/') == Some(name.as_str());
        let title_changed = self.title.as_deref().is_some_and(|t| changed.iter().any(|n| is(t, n)));
        let verb = self.verbs.iter().find(|v| changed.iter().any(|n| is(&v.field, n)));
        let only = changed.len() == 1;
        if title_changed && only {
            let previous = self.title_of(before, key);
            return Some(self.describe(Action::Renamed, key, record, Some(previous)));
        }
        let mut change = self.describe(Action::Updated, key, record, None);
        if let (Some(verb), true) = (verb, only) {
            let now = record.pointer(&verb.field).and_then(truthy).unwrap_or(false);
            change.verb = Some(if now { verb.on.clone() } else { verb.off.clone() });
        }
        Some(change)
    }

    fn describe(&self, action: Action, key: &str, record: &Value, previous_title: Option<String>) -> Change {
        let title = self.title_of(record, key);
        // Who, when and which event are filled in by the caller.
        let mut change = blank("", "", action, title, 0);
        change.key = Some(key.to_owned());
        change.previous_title = previous_title;
        change
    }
}

#[cfg(test)]
mod tests;
