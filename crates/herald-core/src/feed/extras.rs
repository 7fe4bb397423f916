//! What a message carries beyond its words: buttons, an attachment, an
//! icon, markdown, and the sequence that later messages update or withdraw.
//!
//! ntfy sends all of it (its `actions`, `attachment`, `icon`,
//! `content_type` and, from 2.16, `sequence_id`), and a generic feed's
//! meaning can point at the same parts of its own JSON. Everything here is
//! read from an untrusted payload, so it is read strictly: a link that is
//! not http(s) is dropped, an action Herald cannot perform is kept only as
//! something to show as unavailable, and nothing is ever fetched or sent
//! from here. The attachment cache and the action runner do that, on the
//! user's terms.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::values::{scalar_text, text_at, time_at, truthy};
use crate::is_http_url;
use crate::sse::EpochMs;

/// At most this many buttons are read from one message (ntfy allows 3).
pub const MAX_ACTIONS: usize = 3;
/// Longest label kept for a button, in characters.
const MAX_LABEL: usize = 40;
/// Most headers kept for one `http` action.
const MAX_HEADERS: usize = 16;

/// A message's extras; empty for most events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export, optional_fields)]
pub struct Extras {
    /// The body is markdown: the window renders it, sanitised; notifications
    /// get its text.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>")]
    pub markdown: bool,
    /// An http(s) URL of the sender's icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<MessageAction>>")]
    pub actions: Vec<MessageAction>,
    /// The sequence this message belongs to, when the server names one: a
    /// later message of the same sequence replaces it, and a withdrawal or
    /// a clear names it. Without one, the message's own id is its sequence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

impl Extras {
    pub fn is_empty(&self) -> bool {
        *self == Extras::default()
    }
}

/// A file the message links to (ntfy's `attachment`, or an image a
/// generic feed points at). Nothing is fetched until the cache is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Attachment {
    pub name: String,
    /// The type the sender claims; the cache sniffs the real one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub claimed_type: Option<String>,
    /// The size the sender claims, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub size: Option<u64>,
    /// An http(s) URL.
    pub url: String,
    /// When the sender stops serving it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub expires: Option<EpochMs>,
}

impl Attachment {
    /// Whether the sender says it is an image (to be checked when fetched).
    pub fn looks_like_image(&self) -> bool {
        match &self.claimed_type {
            Some(kind) => kind.starts_with("image/"),
            None => {
                let name = self.name.to_ascii_lowercase();
                [".png", ".jpg", ".jpeg", ".gif", ".webp"].iter().any(|ext| name.ends_with(ext))
            }
        }
    }
}

/// A button a message offers (ntfy's action buttons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "camelCase")]
#[ts(export)]
pub enum MessageAction {
    /// Opens an http(s) URL in the browser.
    View {
        label: String,
        url: String,
        /// Dismiss the notification after.
        clear: bool,
    },
    /// Copies a value to the clipboard.
    Copy { label: String, value: String, clear: bool },
    /// Sends a request, only once the user has seen and confirmed it.
    Http {
        label: String,
        url: String,
        method: String,
        headers: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        body: Option<String>,
        clear: bool,
        /// The feed allows its host (`allow_actions_to`): it is sent
        /// without asking, and offered on the notification.
        #[serde(default)]
        allowed: bool,
    },
    /// An action Herald cannot perform on a desktop (ntfy's Android
    /// `broadcast`, or a kind it does not know): shown as unavailable.
    Unavailable { label: String, kind: String },
}

impl MessageAction {
    pub fn label(&self) -> &str {
        match self {
            MessageAction::View { label, .. }
            | MessageAction::Copy { label, .. }
            | MessageAction::Http { label, .. }
            | MessageAction::Unavailable { label, .. } => label,
        }
    }
}

/// What came of pressing one of a message's buttons: kept beside the
/// message in the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActionResult {
    /// The button's label.
    pub label: String,
    pub ok: bool,
    /// What happened: "Opened https://…", "Copied", "PUT https://… answered 200 OK".
    pub outcome: String,
    #[ts(type = "number")]
    pub at: EpochMs,
}

/// Where a message's extras are, as JSON pointers (see [`super::MessageMeaning`]).
pub(super) struct ExtrasAt<'a> {
    pub markdown: Option<&'a str>,
    pub icon: Option<&'a str>,
    pub attachment: Option<&'a str>,
    pub image: Option<&'a str>,
    pub actions: Option<&'a str>,
    pub sequence: Option<&'a str>,
}

impl ExtrasAt<'_> {
    pub fn read(&self, data: &Value) -> Extras {
        let at = |pointer: Option<&str>| pointer.and_then(|p| data.pointer(p));
        Extras {
            markdown: at(self.markdown).is_some_and(is_markdown),
            icon: text_at(data, self.icon).filter(|url| is_http_url(url)),
            attachment: at(self.attachment)
                .and_then(attachment)
                .or_else(|| text_at(data, self.image).and_then(|url| image(&url))),
            actions: at(self.actions).map(actions).unwrap_or_default(),
            sequence: text_at(data, self.sequence).filter(|s| !s.is_empty()),
        }
    }
}

/// `true`, or a content type of markdown (ntfy's `text/markdown`).
fn is_markdown(value: &Value) -> bool {
    match value {
        Value::String(kind) => {
            let kind = kind.split(';').next().unwrap_or("").trim();
            kind.eq_ignore_ascii_case("text/markdown") || truthy(value) == Some(true)
        }
        other => truthy(other) == Some(true),
    }
}

fn short(text: &str) -> String {
    let mut short: String = text.chars().take(MAX_LABEL).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// The last part of a URL's path, as a file name.
fn name_from(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.path_segments().and_then(|mut s| s.next_back().map(str::to_owned)))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "attachment".into())
}

/// ntfy's attachment object, or a bare URL.
fn attachment(value: &Value) -> Option<Attachment> {
    if let Value::String(url) = value {
        return is_http_url(url).then(|| Attachment {
            name: name_from(url),
            claimed_type: None,
            size: None,
            url: url.clone(),
            expires: None,
        });
    }
    let url = text_at(value, Some("/url")).filter(|url| is_http_url(url))?;
    Some(Attachment {
        name: text_at(value, Some("/name")).filter(|n| !n.is_empty()).unwrap_or_else(|| name_from(&url)),
        claimed_type: text_at(value, Some("/type")).filter(|t| !t.is_empty()),
        size: value.pointer("/size").and_then(Value::as_u64),
        expires: time_at(value, Some("/expires")),
        url,
    })
}

/// An image a generic feed points at by URL.
fn image(url: &str) -> Option<Attachment> {
    is_http_url(url).then(|| Attachment {
        name: name_from(url),
        claimed_type: Some("image/*".into()),
        size: None,
        url: url.to_owned(),
        expires: None,
    })
}

fn actions(value: &Value) -> Vec<MessageAction> {
    let Value::Array(items) = value else { return Vec::new() };
    items.iter().filter_map(action).take(MAX_ACTIONS).collect()
}

/// One of ntfy's action objects. A `view` or `http` action whose URL is not
/// http(s) is dropped: it could never be performed safely.
fn action(value: &Value) -> Option<MessageAction> {
    let kind = text_at(value, Some("/action"))?.to_ascii_lowercase();
    let label = short(&text_at(value, Some("/label")).unwrap_or_else(|| kind.clone()));
    let clear = value.pointer("/clear").and_then(truthy).unwrap_or(false);
    let url = || text_at(value, Some("/url")).filter(|url| is_http_url(url));
    Some(match kind.as_str() {
        "view" => MessageAction::View { label, url: url()?, clear },
        "copy" => MessageAction::Copy { label, value: text_at(value, Some("/value"))?, clear },
        "http" => {
            let headers = match value.pointer("/headers") {
                Some(Value::Object(headers)) => headers
                    .iter()
                    .filter_map(|(name, value)| Some((name.clone(), scalar_text(value)?)))
                    .take(MAX_HEADERS)
                    .collect(),
                _ => BTreeMap::new(),
            };
            MessageAction::Http {
                label,
                url: url()?,
                method: text_at(value, Some("/method"))
                    .map(|m| m.to_ascii_uppercase())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "POST".into()),
                headers,
                body: text_at(value, Some("/body")).filter(|b| !b.is_empty()),
                clear,
                allowed: false,
            }
        }
        _ => MessageAction::Unavailable { label, kind },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ntfy() -> ExtrasAt<'static> {
        ExtrasAt {
            markdown: Some("/content_type"),
            icon: Some("/icon"),
            attachment: Some("/attachment"),
            image: None,
            actions: Some("/actions"),
            sequence: Some("/sequence_id"),
        }
    }

    #[test]
    fn ntfys_actions_are_read_and_unsafe_ones_dropped() {
        let data = json!({"actions": [
            {"id": "a", "action": "view", "label": "Open portal", "url": "https://home.example/", "clear": true},
            {"action": "view", "label": "Local", "url": "file:///etc/passwd"},
            {"action": "http", "label": "Close door", "url": "https://api.example/door",
             "method": "put", "headers": {"Authorization": "Bearer x"}, "body": "{\"open\":false}"},
            {"action": "broadcast", "label": "Take picture", "intent": "io.heckel.ntfy.USER_ACTION"},
            {"action": "copy", "label": "Copy code", "value": "123456"}
        ]});
        let read = ntfy().read(&data).actions;
        assert_eq!(read.len(), MAX_ACTIONS, "{read:?}");
        assert_eq!(
            read[0],
            MessageAction::View { label: "Open portal".into(), url: "https://home.example/".into(), clear: true }
        );
        let MessageAction::Http { method, headers, body, .. } = &read[1] else { panic!("{read:?}") };
        assert_eq!((method.as_str(), body.as_deref()), ("PUT", Some("{\"open\":false}")));
        assert_eq!(headers.get("Authorization").map(String::as_str), Some("Bearer x"));
        assert_eq!(read[2], MessageAction::Unavailable { label: "Take picture".into(), kind: "broadcast".into() });
    }

    #[test]
    fn an_attachment_icon_markdown_and_sequence_are_read() {
        let data = json!({
            "content_type": "text/markdown",
            "icon": "https://example.com/icon.png",
            "attachment": {"name": "flower.jpg", "type": "image/jpeg", "size": 1234,
                           "expires": 1700000000, "url": "https://example.com/flower.jpg"},
            "sequence_id": "backup-42"
        });
        let extras = ntfy().read(&data);
        assert!(extras.markdown);
        assert_eq!(extras.icon.as_deref(), Some("https://example.com/icon.png"));
        let attachment = extras.attachment.unwrap();
        assert_eq!((attachment.name.as_str(), attachment.size), ("flower.jpg", Some(1234)));
        assert_eq!(attachment.expires, Some(1_700_000_000_000));
        assert!(attachment.looks_like_image());
        assert_eq!(extras.sequence.as_deref(), Some("backup-42"));
    }

    #[test]
    fn links_that_are_not_http_are_refused_and_plain_messages_have_no_extras() {
        let data = json!({"icon": "javascript:alert(1)", "attachment": {"name": "x", "url": "file:///etc/passwd"}});
        assert!(ntfy().read(&data).is_empty());
        assert!(ntfy().read(&json!({"message": "hi", "content_type": "text/plain"})).is_empty());
        let stored = serde_json::to_string(&Extras::default()).unwrap();
        assert_eq!(stored, "{}", "an empty extras costs the store nothing");
    }

    #[test]
    fn a_generic_feed_can_point_at_an_image() {
        let at = ExtrasAt { image: Some("/photo"), ..ExtrasAt { attachment: None, ..ntfy() } };
        let extras = at.read(&json!({"photo": "https://cams.example/door/latest.jpg"}));
        let attachment = extras.attachment.unwrap();
        assert_eq!(attachment.name, "latest.jpg");
        assert!(attachment.looks_like_image());
    }
}
