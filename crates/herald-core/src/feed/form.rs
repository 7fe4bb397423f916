//! The window's feed form, validated by the feeds file's own code.
//!
//! Why through TOML: a feed added in the window must be refused for exactly
//! the reasons, and in the words, that `herald-cli feeds import` uses. So
//! the form is written as a one-feed file with each field on a line of its
//! own, parsed by [`parse_feeds`], and a refusal's line names the field.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{parse_feeds, AuthScheme, Feed, Me, Preset};

/// A feed as the window edits it. The secret is not here: it goes to the
/// keyring on its own, and is never sent back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct FeedForm {
    pub name: String,
    pub url: String,
    /// The kind of server; a plain stream when absent.
    pub preset: Option<Preset>,
    pub headers: Vec<HeaderField>,
    /// A REST `GET` of the whole collection, for resync.
    pub snapshot_url: String,
    /// The field that identifies a record (`id` when blank).
    pub key_field: String,
    /// Who the user is: a name the server uses for them, or an http(s) URL
    /// that says it. Blank: the preset's, if any.
    pub me: String,
    /// Authentication: none, bearer (a token) or basic (a user and password).
    pub auth: FormAuth,
    pub username: String,
    /// Trusted certificates (PEM), as "Trust this certificate" saved them.
    pub ca_cert: Option<String>,
    #[ts(type = "number | null")]
    pub keep_days: Option<u64>,
    #[ts(type = "number | null")]
    pub keep_count: Option<u64>,
    pub paused: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum FormAuth {
    #[default]
    None,
    Bearer,
    Basic,
}

/// Why a form was refused, and which field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The form's field (`name`, `url`, `headers`, …).
    pub field: String,
    pub message: String,
}

const DAY: u64 = 24 * 3600;

/// A TOML basic string on one line: every quote, backslash and control
/// character escaped, so a value can never end its line or its string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl FeedForm {
    /// The form for an existing feed, to edit it.
    pub fn of(feed: &Feed) -> FeedForm {
        let s = &feed.settings;
        let (auth, username) = match &s.auth {
            None => (FormAuth::None, String::new()),
            Some(auth) => match auth.scheme {
                AuthScheme::Bearer => (FormAuth::Bearer, String::new()),
                AuthScheme::Basic => (FormAuth::Basic, auth.username.clone().unwrap_or_default()),
            },
        };
        FeedForm {
            name: feed.name.clone(),
            url: feed.url.clone(),
            preset: s.preset,
            headers: s
                .headers
                .iter()
                .map(|(name, value)| HeaderField { name: name.clone(), value: value.clone() })
                .collect(),
            snapshot_url: s.snapshot_url.clone().unwrap_or_default(),
            key_field: s.key_field.clone().unwrap_or_default(),
            me: match &s.me {
                None => String::new(),
                Some(Me::Actor { actor }) => actor.clone(),
                Some(Me::Endpoint { url, .. }) => url.clone(),
            },
            auth,
            username,
            ca_cert: s.ca_cert.as_ref().map(|p| p.display().to_string()),
            keep_days: feed.retention.max_age.map(|age| age.as_secs().div_ceil(DAY)),
            keep_count: feed.retention.max_count,
            paused: s.paused,
        }
    }

    /// The feed this form describes, or the first field that is wrong.
    pub fn to_feed(&self) -> Result<Feed, FieldError> {
        let refuse = |field: &str, message: String| FieldError { field: field.into(), message };
        if let Some(header) = self.headers.iter().find(|h| h.name.trim().eq_ignore_ascii_case("authorization")) {
            return Err(refuse(
                "headers",
                format!(
                    "{:?} carries credentials, which Herald keeps only in the OS keyring: choose an \
                     authentication and give the token or password there instead",
                    header.name
                ),
            ));
        }
        let mut lines: Vec<(&str, String)> = vec![
            ("", "[[feed]]".into()),
            ("name", format!("name = {}", quoted(self.name.trim()))),
            ("url", format!("url = {}", quoted(self.url.trim()))),
        ];
        if let Some(preset) = self.preset {
            let name =
                serde_json::to_value(preset).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            lines.push(("preset", format!("preset = {}", quoted(&name))));
        }
        let headers: Vec<String> = self
            .headers
            .iter()
            .filter(|h| !h.name.trim().is_empty() || !h.value.is_empty())
            .map(|h| format!("{} = {}", quoted(h.name.trim()), quoted(&h.value)))
            .collect();
        if !headers.is_empty() {
            lines.push(("headers", format!("headers = {{ {} }}", headers.join(", "))));
        }
        for (field, key, value) in
            [("snapshotUrl", "snapshot_url", &self.snapshot_url), ("keyField", "key_field", &self.key_field)]
        {
            if !value.trim().is_empty() {
                lines.push((field, format!("{key} = {}", quoted(value.trim()))));
            }
        }
        let me = self.me.trim();
        if !me.is_empty() {
            let key = if me.contains("://") { "url" } else { "actor" };
            lines.push(("me", format!("me = {{ {key} = {} }}", quoted(me))));
        }
        let entry = quoted(self.name.trim());
        match self.auth {
            FormAuth::None => {}
            FormAuth::Bearer => lines.push(("auth", format!("auth = {{ scheme = \"bearer\", keyring = {entry} }}"))),
            FormAuth::Basic => {
                let user = self.username.trim();
                let user = if user.is_empty() { String::new() } else { format!("username = {}, ", quoted(user)) };
                lines.push(("username", format!("auth = {{ scheme = \"basic\", {user}keyring = {entry} }}")));
            }
        }
        if let Some(path) = self.ca_cert.as_deref().filter(|p| !p.trim().is_empty()) {
            lines.push(("caCert", format!("ca_cert = {}", quoted(path))));
        }
        if let Some(days) = self.keep_days {
            lines.push(("keepDays", format!("keep_days = {days}")));
        }
        if let Some(count) = self.keep_count {
            lines.push(("keepCount", format!("keep_count = {count}")));
        }
        if self.paused {
            lines.push(("paused", "paused = true".into()));
        }
        let text: String = lines.iter().map(|(_, line)| format!("{line}\n")).collect();
        let mut feeds = parse_feeds(&text).map_err(|e| {
            let field = lines.get(e.line.saturating_sub(1)).map(|(field, _)| *field).unwrap_or("");
            refuse(if field.is_empty() { "name" } else { field }, e.reason)
        })?;
        feeds.pop().ok_or_else(|| refuse("name", "the form describes no feed".into()))
    }

    /// The feed the form describes, over `existing` (the feed as stored, when
    /// editing): what the form does not show (its meaning, rules, resume
    /// mode and write URL) stays as it was, rather than reverting to the
    /// preset's.
    pub fn to_feed_over(&self, existing: Option<&Feed>) -> Result<Feed, FieldError> {
        let mut feed = self.to_feed()?;
        if let Some(old) = existing {
            let (new, old) = (&mut feed.settings, &old.settings);
            new.resume_query.clone_from(&old.resume_query);
            new.cursor_pointer.clone_from(&old.cursor_pointer);
            new.stall_timeout_secs = old.stall_timeout_secs;
            new.control_events.clone_from(&old.control_events);
            new.sequential_ids = old.sequential_ids;
            new.record.clone_from(&old.record);
            new.message.clone_from(&old.message);
            new.write_url.clone_from(&old.write_url);
            new.rules.clone_from(&old.rules);
            new.coalesce = old.coalesce;
        }
        Ok(feed)
    }

    /// The keyring entry that holds this feed's secret, when it has one.
    pub fn secret_entry(&self) -> Option<String> {
        (self.auth != FormAuth::None).then(|| self.name.trim().to_owned())
    }
}

/// Where a certificate the user chose to trust is kept: beside the store,
/// named by its fingerprint, so trusting it twice writes one file.
pub fn pinned_certificate_path(dir: &std::path::Path, fingerprint: &str) -> PathBuf {
    let name: String = fingerprint.chars().filter(char::is_ascii_hexdigit).collect();
    dir.join(format!("{}.pem", name.to_ascii_lowercase()))
}

impl FeedForm {
    /// The retention this form keeps.
    pub fn max_age(&self) -> Option<Duration> {
        self.keep_days.map(|d| Duration::from_secs(d * DAY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Auth;

    fn form(name: &str, url: &str) -> FeedForm {
        FeedForm { name: name.into(), url: url.into(), ..FeedForm::default() }
    }

    #[test]
    fn a_good_form_is_the_feed_it_describes_and_reads_back() {
        let mut good = form("tasks", "https://tasks.example.com/events");
        good.preset = Some(Preset::TaskList);
        good.headers = vec![HeaderField { name: "X-Team".into(), value: "blue \"sky\"".into() }];
        good.snapshot_url = "https://tasks.example.com/tasks".into();
        good.me = "ana".into();
        good.auth = FormAuth::Basic;
        good.username = "ana".into();
        good.keep_days = Some(30);
        let feed = good.to_feed().unwrap();
        assert_eq!(feed.settings.headers["X-Team"], "blue \"sky\"");
        assert_eq!(feed.settings.auth, Some(Auth::basic("ana", "tasks")));
        assert_eq!(feed.settings.me, Some(Me::Actor { actor: "ana".into() }));
        assert_eq!(feed.retention.max_age, good.max_age());
        assert_eq!(FeedForm::of(&feed), good);
    }

    #[test]
    fn editing_keeps_what_the_form_does_not_show() {
        let text = r#"
[[feed]]
name = "alerts"
url = "https://ntfy.example.com/alerts/sse"
preset = "ntfy"
write_url = "https://ntfy.example.com/alerts"
message = { title = "/title", body = "/message" }
coalesce = { burst_count = 10 }

[[feed.rule]]
when = [{ pointer = "/priority", equals = 5 }]
then = "urgent"
"#;
        let stored = parse_feeds(text).unwrap().remove(0);
        let mut edited = FeedForm::of(&stored);
        edited.url = "https://ntfy.example.com/alerts/sse?x=1".into();
        let saved = edited.to_feed_over(Some(&stored)).unwrap();
        assert_eq!(saved.url, edited.url);
        assert_eq!(saved.settings.rules, stored.settings.rules);
        assert_eq!(saved.settings.rules.len(), 1);
        assert_eq!(saved.settings.coalesce.map(|c| c.burst_count), Some(10));
        assert_eq!(
            (&saved.settings.message, &saved.settings.write_url),
            (&stored.settings.message, &stored.settings.write_url)
        );
        assert!(edited.to_feed_over(None).unwrap().settings.rules.is_empty(), "a new feed has only what the form says");
    }

    #[test]
    fn each_refusal_names_its_field_with_the_feeds_files_words() {
        let refused = |f: FeedForm| f.to_feed().unwrap_err();
        let bad_url = refused(form("x", "ftp://example.com/x"));
        assert_eq!(
            bad_url,
            FieldError { field: "url".into(), message: "\"ftp://example.com/x\" is not an http(s) URL".into() }
        );
        assert_eq!(refused(form("  ", "http://127.0.0.1/")).field, "name");
        let mut header = form("x", "http://127.0.0.1/");
        header.headers = vec![HeaderField { name: "Authorization".into(), value: "Bearer t".into() }];
        let error = refused(header);
        assert_eq!(error.field, "headers");
        assert!(error.message.contains("token or password"), "{}", error.message);
        let mut cookie = form("x", "http://127.0.0.1/");
        cookie.headers = vec![HeaderField { name: "Cookie".into(), value: "s=1".into() }];
        assert_eq!(refused(cookie).field, "headers");
        let mut basic = form("x", "http://127.0.0.1/");
        basic.auth = FormAuth::Basic;
        assert_eq!(refused(basic).field, "username", "basic needs a username");
        let mut snapshot = form("x", "http://127.0.0.1/");
        snapshot.snapshot_url = "not a url".into();
        assert_eq!(refused(snapshot).field, "snapshotUrl");
        let mut hostile = form("x\"\n[[feed]]\nname = \"y\\", "http://127.0.0.1/");
        hostile.me = "\" }\nme = { actor = \"z".into();
        let feed = hostile.to_feed().unwrap();
        assert_eq!(feed.name, "x\"\n[[feed]]\nname = \"y\\", "values are quoted, never read as TOML");
        assert_eq!(feed.settings.me, Some(Me::Actor { actor: hostile.me.clone() }));
        let mut me = form("x", "http://127.0.0.1/");
        me.me = "ftp://who".into();
        assert_eq!(refused(me).field, "me");
    }

    #[test]
    fn a_pinned_certificate_is_named_by_its_fingerprint() {
        let path = pinned_certificate_path(std::path::Path::new("/d"), "AB:CD:0F");
        assert_eq!(path, PathBuf::from("/d/abcd0f.pem"));
    }
}
