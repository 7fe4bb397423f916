//! How `tail` prints: one JSON object per line, or the same information for people.

use std::io::Write;
use std::path::PathBuf;

use herald_core::engine::FeedState;
use herald_core::feed::{Action, Digest};
use herald_core::sse::{ConnectionState, Event, Phase, StopReason};
use herald_core::store::Store;
use serde_json::{json, Value};

#[derive(Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Whether it writes JSON lines.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Writes one line and flushes it, so a pipe sees each line as it happens.
    pub fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        // A closed pipe (e.g. `| head`) is not an error worth a panic.
        let _ = writeln!(out, "{text}").and_then(|_| out.flush());
    }

    /// An event, of the named feed when several are followed at once.
    pub fn event(&self, feed: Option<&str>, event: &Event) {
        if self.json {
            let mut line = json!({"kind": "event", "event": &*event.event, "data": &*event.data, "lastEventId": &*event.last_event_id});
            if let Some(feed) = feed {
                line["feed"] = json!(feed);
            }
            self.line(&line.to_string());
        } else if let Some(feed) = feed {
            self.line(&format!("{feed}: {} {}", event.event, event.data));
        } else {
            let id = if event.last_event_id.is_empty() { String::new() } else { format!(" #{}", event.last_event_id) };
            self.line(&format!("{}{id}: {}", event.event, event.data));
        }
    }

    /// What a resync found, one change a line, then the digest: one line
    /// that says how much was missed, rather than a flood.
    pub fn missed(&self, digest: &Digest) {
        let feed = &digest.feed;
        for change in &digest.changes {
            let kind = match change.action {
                Action::Created => "create",
                Action::Deleted => "delete",
                _ => "update",
            };
            let data = change.record.clone().unwrap_or(Value::Null);
            if self.json {
                let line = json!({"kind": "missed", "feed": feed, "event": kind, "key": change.key, "data": data});
                self.line(&line.to_string());
            } else {
                self.line(&format!("{feed}: missed {kind} {data}"));
            }
        }
        if self.json {
            let line = json!({"kind": "digest", "feed": feed, "missed": digest.changes.len(),
                "created": digest.created, "updated": digest.updated, "deleted": digest.deleted});
            self.line(&line.to_string());
        } else {
            self.line(&format!("-- {feed}: {}", digest.sentence()));
        }
    }

    /// A feed's state in `sync`: its phase and what it means (its
    /// condition), with the reason when it is in trouble.
    pub fn feed_state(&self, state: &FeedState) {
        let phase = serde_json::to_value(&state.connection.phase).unwrap_or(Value::Null);
        let reason = state.health.reason.clone();
        if self.json {
            let condition = serde_json::to_value(state.health.condition).unwrap_or(Value::Null);
            let mut line =
                json!({"kind": "state", "feed": state.name, "state": phase["phase"], "condition": condition});
            if let Some(reason) = reason {
                line["reason"] = json!(reason);
            }
            self.line(&line.to_string());
        } else {
            let reason = reason.map(|r| format!(": {r}")).unwrap_or_default();
            self.line(&format!("-- {}: {}{reason}", state.name, phase["phase"].as_str().unwrap_or("?")));
        }
    }

    /// The store's path: `path`, or the default one; on failure, says why.
    pub fn store_path(&self, path: Option<PathBuf>) -> Option<PathBuf> {
        let found = path.or_else(Store::default_path);
        if found.is_none() {
            self.error("no --store given, and neither XDG_DATA_HOME nor HOME is set");
        }
        found
    }

    /// Opens the store at `path`, or at the default path, to read it; on
    /// failure, says why.
    pub fn open_store(&self, path: Option<PathBuf>) -> Option<Store> {
        let path = self.store_path(path)?;
        Store::open(&path).map_err(|e| self.error(&e.to_string())).ok()
    }

    /// Opens the store to follow feeds into it: every page checked first,
    /// and a damaged store moved aside for a new one (the engine says so).
    pub fn open_store_to_follow(&self, path: Option<PathBuf>) -> Option<Store> {
        let path = self.store_path(path)?;
        Store::open_or_recover(&path).map_err(|e| self.error(&e.to_string())).ok()
    }

    pub fn state(&self, state: &ConnectionState) {
        if self.json {
            let mut line = serde_json::to_value(&state.phase).unwrap_or(Value::Null);
            if let Some(fields) = line.as_object_mut() {
                let phase = fields.remove("phase").unwrap_or(Value::Null);
                fields.insert("kind".into(), json!("state"));
                fields.insert("state".into(), phase);
                // The reason as people read it, and its kind apart.
                if let Phase::Retrying { reason, .. } = &state.phase {
                    let cause = serde_json::to_value(reason).unwrap_or(Value::Null);
                    fields.insert("cause".into(), cause["kind"].clone());
                    fields.insert("reason".into(), json!(reason.to_string()));
                }
                fields.insert("lastHeard".into(), json!(state.last_heard));
            }
            self.line(&line.to_string());
        } else {
            self.line(&format!("-- {}", describe(&state.phase)));
        }
    }

    pub fn error(&self, message: &str) {
        if self.json {
            self.line(&json!({"kind": "error", "message": message}).to_string());
        } else {
            eprintln!("error: {message}");
        }
    }

    /// Something the user should know that did not stop the command.
    pub fn warning(&self, message: &str) {
        if self.json {
            self.line(&json!({"kind": "warning", "message": message}).to_string());
        } else {
            eprintln!("warning: {message}");
        }
    }
}

fn describe(phase: &Phase) -> String {
    match phase {
        Phase::Connecting => "connecting".into(),
        Phase::Open { .. } => "open".into(),
        Phase::Retrying { attempt, reason, .. } => format!("retrying (attempt {attempt}): {reason}"),
        Phase::Stopped { reason } => format!("stopped: {}", stop_message(reason)),
    }
}

pub fn stop_message(reason: &StopReason) -> String {
    reason.to_string()
}
