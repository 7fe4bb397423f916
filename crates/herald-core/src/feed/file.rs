//! The feeds file: TOML that a user writes, imports and exports.
//!
//! A feeds file is validated whole before anything is written, and every
//! problem is reported with its line, so a bad file is refused and nothing
//! is half-imported. Credentials are refused in it: they belong in the OS
//! keyring (see [`crate::secrets`]); a feed names its keyring entry.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::rules::{self, Coalesce, Rule};
use super::{Auth, AuthScheme, Feed, FeedSettings, Me, MessageMeaning, Preset, RecordMeaning, Retention};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct FeedsFileError {
    pub line: usize,
    pub reason: String,
}

/// One `[[feed]]` table as written, with where each value is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: Spanned<String>,
    url: Spanned<String>,
    preset: Option<Spanned<Preset>>,
    record: Option<Spanned<RecordMeaning>>,
    message: Option<Spanned<MessageMeaning>>,
    me: Option<Spanned<Me>>,
    write_url: Option<Spanned<String>>,
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    headers: Option<Spanned<BTreeMap<String, String>>>,
    ca_cert: Option<Spanned<PathBuf>>,
    resume_query: Option<Spanned<String>>,
    cursor_pointer: Option<Spanned<String>>,
    snapshot_url: Option<Spanned<String>>,
    key_field: Option<Spanned<String>>,
    stall_timeout_secs: Option<Spanned<u64>>,
    control_events: Option<Spanned<Vec<String>>>,
    auth: Option<Spanned<RawAuth>>,
    sequential_ids: Option<Spanned<bool>>,
    keep_count: Option<Spanned<u64>>,
    keep_days: Option<Spanned<u64>>,
    #[serde(default)]
    rule: Vec<Spanned<Rule>>,
    coalesce: Option<Spanned<Coalesce>>,
}

/// `auth = { scheme = "bearer", keyring = "tasks" }`, and the secrets that
/// people will try to write there, so they can be refused by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    scheme: AuthScheme,
    username: Option<String>,
    keyring: Option<String>,
    token: Option<Spanned<toml::Value>>,
    password: Option<Spanned<toml::Value>>,
    secret: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    feed: Vec<RawFeed>,
}

/// The same shape, for writing.
#[derive(Serialize)]
struct FileOut<'a> {
    feed: Vec<FeedOut<'a>>,
}

#[derive(Serialize)]
struct FeedOut<'a> {
    name: &'a str,
    url: &'a str,
    #[serde(flatten)]
    settings: &'a FeedSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_days: Option<u64>,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Header names that carry credentials, which a feeds file must not hold.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

use crate::is_http_url as http_url;

/// The first pointer of `pointers` that is not a JSON pointer, if any.
fn bad_pointer<'a>(pointers: impl IntoIterator<Item = (&'static str, Option<&'a str>)>) -> Option<String> {
    pointers.into_iter().find_map(|(field, pointer)| {
        pointer
            .filter(|p| !p.starts_with('/'))
            .map(|p| format!("{field} {p:?} must be a JSON pointer, such as \"/id\""))
    })
}

/// Reads and checks a feeds file; the first problem is returned with its line.
pub fn parse_feeds(text: &str) -> Result<Vec<Feed>, FeedsFileError> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let raw: RawFile = toml::from_str(text).map_err(|e| FeedsFileError {
        line: e.span().map(|s| line_of(s.start)).unwrap_or(1),
        reason: e.message().to_owned(),
    })?;
    let refuse = |span: Range<usize>, reason: String| FeedsFileError { line: line_of(span.start), reason };
    let mut feeds: Vec<Feed> = Vec::new();
    for raw in raw.feed {
        let name = raw.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(refuse(raw.name.span(), "a feed needs a name".into()));
        }
        if feeds.iter().any(|f| f.name == name) {
            return Err(refuse(raw.name.span(), format!("there are two feeds named {name:?}")));
        }
        if !http_url(raw.url.get_ref()) {
            return Err(refuse(raw.url.span(), format!("{:?} is not an http(s) URL", raw.url.get_ref())));
        }
        let mut settings =
            FeedSettings { preset: raw.preset.map(Spanned::into_inner), paused: raw.paused, ..FeedSettings::default() };
        if let Some(record) = raw.record {
            let r = record.get_ref();
            let pointers = [("record.key", Some(r.key.as_str())), ("record.title", r.title.as_deref())]
                .into_iter()
                .chain([("record.actor", r.actor.as_deref()), ("record.at", r.at.as_deref())])
                .chain(r.verbs.iter().map(|v| ("record.verbs.field", Some(v.field.as_str()))));
            if let Some(reason) = bad_pointer(pointers) {
                return Err(refuse(record.span(), reason));
            }
            settings.record = Some(record.into_inner());
        }
        if let Some(message) = raw.message {
            let m = message.get_ref();
            let pointers = [("message.title", m.title.as_deref()), ("message.body", m.body.as_deref())]
                .into_iter()
                .chain([("message.priority", m.priority.as_deref()), ("message.click", m.click.as_deref())])
                .chain([("message.tags", m.tags.as_deref())]);
            if let Some(reason) = bad_pointer(pointers) {
                return Err(refuse(message.span(), reason));
            }
            if settings.record.is_some() {
                return Err(refuse(message.span(), "a feed carries records or messages, not both".into()));
            }
            settings.message = Some(message.into_inner());
        }
        if let Some(me) = raw.me {
            match me.get_ref() {
                Me::Actor { actor } if actor.trim().is_empty() => {
                    return Err(refuse(me.span(), "me.actor must name the user".into()))
                }
                Me::Endpoint { url, .. } if !http_url(url) => {
                    return Err(refuse(me.span(), format!("me.url {url:?} is not an http(s) URL")))
                }
                Me::Endpoint { pointer, .. } if !pointer.starts_with('/') => {
                    return Err(refuse(me.span(), format!("me.pointer {pointer:?} must be a JSON pointer")))
                }
                _ => settings.me = Some(me.into_inner()),
            }
        }
        for rule in raw.rule {
            if let Err(reason) = rules::check(rule.get_ref()) {
                return Err(refuse(rule.span(), format!("rule: {reason}")));
            }
            settings.rules.push(rule.into_inner());
        }
        if let Some(coalesce) = raw.coalesce {
            if let Err(reason) = coalesce.get_ref().check() {
                return Err(refuse(coalesce.span(), format!("coalesce: {reason}")));
            }
            settings.coalesce = Some(coalesce.into_inner());
        }
        if let Some(url) = raw.write_url {
            if !http_url(url.get_ref()) {
                return Err(refuse(url.span(), format!("{:?} is not an http(s) URL", url.get_ref())));
            }
            settings.write_url = Some(url.into_inner());
        }
        if let Some(headers) = raw.headers {
            for (header, value) in headers.get_ref() {
                let bad = reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err()
                    || reqwest::header::HeaderValue::from_str(value).is_err();
                if bad {
                    return Err(refuse(headers.span(), format!("the header {header:?} has an invalid name or value")));
                }
                if CREDENTIAL_HEADERS.contains(&header.to_ascii_lowercase().as_str()) {
                    let reason = format!(
                        "{header} holds a credential, which belongs in the OS keyring, not in this file: \
                         use auth = {{ scheme = \"bearer\", keyring = \"ENTRY\" }} and `herald-cli feeds secret`"
                    );
                    return Err(refuse(headers.span(), reason));
                }
            }
            settings.headers = headers.into_inner();
        }
        if let Some(path) = raw.ca_cert {
            let checked = std::fs::read(path.get_ref())
                .map_err(|e| e.to_string())
                .and_then(|pem| crate::tls::ExtraTrust::from_pem(&pem).map_err(|e| e.to_string()));
            if let Err(e) = checked {
                return Err(refuse(path.span(), format!("ca_cert {}: {e}", path.get_ref().display())));
            }
            settings.ca_cert = Some(path.into_inner());
        }
        if let Some(query) = raw.resume_query {
            if query.get_ref().is_empty() {
                return Err(refuse(query.span(), "resume_query needs a parameter name".into()));
            }
            settings.resume_query = Some(query.into_inner());
        }
        if let Some(pointer) = raw.cursor_pointer {
            if !pointer.get_ref().is_empty() && !pointer.get_ref().starts_with('/') {
                return Err(refuse(pointer.span(), "cursor_pointer must be a JSON pointer, such as \"/id\"".into()));
            }
            settings.cursor_pointer = Some(pointer.into_inner());
        }
        if let Some(url) = raw.snapshot_url {
            if !http_url(url.get_ref()) {
                return Err(refuse(url.span(), format!("{:?} is not an http(s) URL", url.get_ref())));
            }
            settings.snapshot_url = Some(url.into_inner());
        }
        if let Some(key) = raw.key_field {
            if key.get_ref().trim().is_empty() {
                return Err(refuse(key.span(), "key_field must name a field".into()));
            }
            settings.key_field = Some(key.into_inner());
        }
        if let Some(secs) = raw.stall_timeout_secs {
            if !(1..=86_400).contains(secs.get_ref()) {
                return Err(refuse(secs.span(), "stall_timeout_secs must be between 1 and 86400".into()));
            }
            settings.stall_timeout_secs = Some(*secs.get_ref());
        }
        if let Some(types) = raw.control_events {
            if let Some(bad) = types.get_ref().iter().find(|t| t.is_empty() || t.contains(['\r', '\n'])) {
                return Err(refuse(types.span(), format!("control_events: {bad:?} is not an event type")));
            }
            settings.control_events = Some(types.into_inner());
        }
        if let Some(sequential) = raw.sequential_ids {
            if *sequential.get_ref() && settings.snapshot_url.is_none() {
                let reason = "sequential_ids needs a snapshot_url to resync from when a gap is found";
                return Err(refuse(sequential.span(), reason.into()));
            }
            settings.sequential_ids = *sequential.get_ref();
        }
        if let Some(auth) = raw.auth {
            settings.auth = Some(checked_auth(auth, &name).map_err(|(span, reason)| refuse(span, reason))?);
        }
        let mut retention = Retention::default();
        if let Some(count) = raw.keep_count {
            if *count.get_ref() == 0 {
                return Err(refuse(count.span(), "keep_count must keep at least 1 event".into()));
            }
            retention.max_count = Some(*count.get_ref());
        }
        if let Some(days) = raw.keep_days {
            if !(1..=36_500).contains(days.get_ref()) {
                return Err(refuse(days.span(), "keep_days must be between 1 and 36500".into()));
            }
            retention.max_age = Some(DAY * u32::try_from(*days.get_ref()).unwrap_or(36_500));
        }
        feeds.push(Feed { name, url: raw.url.into_inner(), settings, retention });
    }
    Ok(feeds)
}

/// The feed's auth, or where and why it is refused.
fn checked_auth(raw: Spanned<RawAuth>, feed: &str) -> Result<Auth, (Range<usize>, String)> {
    let span = raw.span();
    let raw = raw.into_inner();
    for (field, value) in [("token", &raw.token), ("password", &raw.password), ("secret", &raw.secret)] {
        if let Some(value) = value {
            let reason = format!(
                "auth.{field}: a secret belongs in the OS keyring, not in this file; \
                 store it with `herald-cli feeds secret {feed}` and name it with auth.keyring"
            );
            return Err((value.span(), reason));
        }
    }
    let keyring =
        raw.keyring.ok_or_else(|| (span.clone(), "auth needs keyring, the entry that holds the secret".into()))?;
    let auth = Auth { scheme: raw.scheme, username: raw.username, keyring };
    match auth.problem() {
        Some(reason) => Err((span, reason)),
        None => Ok(auth),
    }
}

/// The feeds as a feeds file that [`parse_feeds`] reads back.
pub fn feeds_to_toml(feeds: &[Feed]) -> String {
    let file = FileOut {
        feed: feeds
            .iter()
            .map(|f| FeedOut {
                name: &f.name,
                url: &f.url,
                settings: &f.settings,
                keep_count: f.retention.max_count,
                keep_days: f.retention.max_age.map(|age| age.as_secs().div_ceil(DAY.as_secs())),
            })
            .collect(),
    };
    toml::to_string(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Level;
    use crate::feed::Preset;
    use crate::store::Store;

    const GOOD: &str = r#"
[[feed]]
name = "tasks"
url = "https://tasks.example.com/tasks/subscribe"
snapshot_url = "https://tasks.example.com/tasks"
sequential_ids = true
stall_timeout_secs = 60
keep_days = 30
headers = { "X-Team" = "blue" }
auth = { scheme = "bearer", keyring = "tasks-token" }

[[feed]]
name = "alerts"
url = "https://ntfy.example.com/alerts/sse"
resume_query = "since"
cursor_pointer = "/id"
keep_count = 1000

[[feed]]
name = "list"
preset = "task-list"
url = "https://10.0.0.2:8443/tasks/subscribe"
me = { actor = "ana" }
record = { key = "/id", title = "/name", verbs = [{ field = "/done", on = "completed", off = "reopened" }] }
coalesce = { burst_count = 5, offline_after_secs = 60 }

[[feed.rule]]
actor = "importer"
then = "timeline"

[[feed.rule]]
event = "update"
when = [{ pointer = "/done", equals = true }, { pointer = "/tags", contains = "urgent" }]
then = "urgent"
summary = "{actor} finished {/name}"
"#;

    #[test]
    fn a_good_file_round_trips_through_the_store_and_an_export() {
        let feeds = parse_feeds(GOOD).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[1].settings.cursor_pointer.as_deref(), Some("/id"));
        assert_eq!(feeds[2].settings.preset, Some(Preset::TaskList));
        assert_eq!(feeds[2].settings.me, Some(crate::feed::Me::Actor { actor: "ana".into() }));
        assert_eq!(feeds[2].settings.record.as_ref().unwrap().created, ["create"], "defaults fill the rest");
        assert_eq!(feeds[0].settings.auth, Some(Auth::bearer("tasks-token")));
        let rules = &feeds[2].settings.rules;
        assert_eq!(rules.iter().map(|r| r.then).collect::<Vec<_>>(), [Level::Timeline, Level::Urgent]);
        assert_eq!(rules[1].when[0].equals, Some(serde_json::json!(true)));
        let coalesce = feeds[2].settings.coalesce.unwrap();
        assert_eq!((coalesce.burst_count, coalesce.offline_after_secs, coalesce.burst_window_secs), (5, 60, 10));
        let mut store = Store::in_memory().unwrap();
        store.import_feeds(&feeds).unwrap();
        let stored = store.feeds().unwrap();
        assert_eq!(stored.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["alerts", "list", "tasks"]);
        let exported = feeds_to_toml(&stored);
        assert_eq!(parse_feeds(&exported).unwrap(), stored, "an export reads back the same:\n{exported}");
    }

    #[test]
    fn bad_files_are_refused_with_the_line_and_the_reason() {
        let err = |text: &str| parse_feeds(text).unwrap_err().to_string();
        let feed = |extra: &str| format!("[[feed]]\nname = \"a\"\nurl = \"https://a.example/\"\n{extra}\n");
        assert_eq!(err(&feed("stall_timeout_secs = 0")), "line 4: stall_timeout_secs must be between 1 and 86400");
        assert_eq!(err("[[feed]]\nname = \"a\"\nurl = \"ftp://a/\"\n"), "line 3: \"ftp://a/\" is not an http(s) URL");
        assert_eq!(
            err(&feed("cursor_pointer = \"id\"")),
            "line 4: cursor_pointer must be a JSON pointer, such as \"/id\""
        );
        assert_eq!(
            err(&feed("headers = { Authorization = \"Bearer x\" }")),
            "line 4: Authorization holds a credential, which belongs in the OS keyring, not in this file: \
             use auth = { scheme = \"bearer\", keyring = \"ENTRY\" } and `herald-cli feeds secret`"
        );
        assert_eq!(
            err(&feed("auth = { scheme = \"bearer\", token = \"abc\" }")),
            "line 4: auth.token: a secret belongs in the OS keyring, not in this file; \
             store it with `herald-cli feeds secret a` and name it with auth.keyring"
        );
        assert_eq!(
            err(&feed("[feed.auth]\nscheme = \"basic\"\nkeyring = \"a\"")),
            "line 4: auth with scheme \"basic\" needs a username"
        );
        assert!(err(&feed("auth = { scheme = \"digest\", keyring = \"a\" }")).starts_with("line 4: unknown variant"));
        assert_eq!(
            err(&feed("auth = { scheme = \"bearer\" }")),
            "line 4: auth needs keyring, the entry that holds the secret"
        );
        assert_eq!(
            err(&feed("sequential_ids = true")),
            "line 4: sequential_ids needs a snapshot_url to resync from when a gap is found"
        );
        assert_eq!(err(&format!("{}{}", feed(""), feed(""))), "line 6: there are two feeds named \"a\"");
        assert!(err(&feed("colour = 1")).starts_with("line 4: unknown field `colour`"), "{}", err(&feed("colour = 1")));
        assert!(err(&feed("ca_cert = \"/nonexistent.pem\"")).starts_with("line 4: ca_cert /nonexistent.pem:"));
        assert!(err("[[feed]\n").starts_with("line 1:"));
        assert_eq!(
            err(&feed("record = { title = \"name\" }")),
            "line 4: record.title \"name\" must be a JSON pointer, such as \"/id\""
        );
        assert!(err(&feed("preset = \"rss\"")).starts_with("line 4: unknown variant `rss`"));
        assert_eq!(err(&feed("me = { actor = \" \" }")), "line 4: me.actor must name the user");
        let rule = |extra: &str| format!("{}\n[[feed.rule]]\n{extra}\n", feed(""));
        assert_eq!(
            err(&rule("then = \"urgent\"\nsummary = \"{who}\"")),
            "line 6: rule: summary template \"{who}\": unknown field {who}: use a JSON pointer such as {/title}, \
             or one of {actor}, {title}, {feed}, {event}, {key}"
        );
        assert_eq!(
            err(&rule("then = \"urgent\"\nwhen = [{ pointer = \"/p\" }]")),
            "line 6: rule: the condition on \"/p\" needs exactly one of equals, contains or exists"
        );
        assert!(
            err(&rule("then = \"loud\"")).starts_with("line 7: unknown variant `loud`"),
            "{}",
            err(&rule("then = \"loud\""))
        );
        assert!(
            err(&rule("event = \"create\"")).starts_with("line 6: missing field `then`"),
            "{}",
            err(&rule("event = \"create\""))
        );
        assert_eq!(err(&feed("coalesce = { burst_count = 0 }")), "line 4: coalesce: burst_count must be at least 1");
    }
}
