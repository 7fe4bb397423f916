//! The feeds file: TOML that a user writes, imports and exports.
//!
//! A feeds file is validated whole before anything is written, and every
//! problem is reported with its line, so a bad file is refused and nothing
//! is half-imported. Credentials are refused in it: they belong in the OS
//! keyring (see [`crate::secrets`]); a feed names its keyring entry.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::de::DeTable;

use super::check::check;
use super::{Feed, FeedSettings, Retention};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct FeedsFileError {
    pub line: usize,
    pub reason: String,
}

/// One `[[feed]]` as a feeds file has it: the feed's own settings, flat,
/// beside its name, URL and retention. The same shape is read and written,
/// and each setting is spelled once, in [`FeedSettings`].
#[derive(Serialize, Deserialize)]
struct OnFile {
    name: String,
    url: String,
    #[serde(flatten)]
    settings: FeedSettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keep_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keep_days: Option<u64>,
    /// Whatever else is written there, to be refused by its key.
    #[serde(flatten, default, skip_serializing)]
    unknown: BTreeMap<String, toml::Value>,
}

/// The keys of [`OnFile`] that are not settings.
const NOT_SETTINGS: [&str; 4] = ["name", "url", "keep_count", "keep_days"];

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    feed: Vec<OnFile>,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Where a `[[feed]]` is written: its own span, each key's, and each item's
/// of a key that holds an array (its `[[feed.rule]]` tables).
struct Place {
    span: Range<usize>,
    keys: BTreeMap<String, Range<usize>>,
    items: BTreeMap<String, Vec<Range<usize>>>,
}

/// Where each feed's keys are written in a feeds file.
struct Places<'i> {
    text: &'i str,
    feeds: Vec<Place>,
}

impl<'i> Places<'i> {
    fn find(text: &'i str) -> Places<'i> {
        let mut feeds = Vec::new();
        if let Ok(table) = DeTable::parse(text) {
            let tables = table.get_ref().iter().find(|(key, _)| key.get_ref() == "feed");
            for feed in tables.and_then(|(_, value)| value.get_ref().as_array()).into_iter().flatten() {
                let mut place = Place { span: feed.span(), keys: BTreeMap::new(), items: BTreeMap::new() };
                for (key, value) in feed.get_ref().as_table().into_iter().flatten() {
                    let name = key.get_ref().to_string();
                    if let Some(items) = value.get_ref().as_array() {
                        place.items.insert(name.clone(), items.iter().map(|item| item.span()).collect());
                    }
                    place.keys.insert(name, key.span().start..value.span().end);
                }
                feeds.push(place);
            }
        }
        Places { text, feeds }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    /// The line of `key` in feed `index`, or of the feed when it has none.
    fn line(&self, index: usize, key: &str) -> usize {
        let Some(place) = self.feeds.get(index) else { return 1 };
        self.line_of(place.keys.get(key).unwrap_or(&place.span).start)
    }
}

/// Reads and checks a feeds file; the first problem is returned with its
/// line. Each feed is checked by [`check`]: the same check as the window's
/// form and the engine's.
pub fn parse_feeds(text: &str) -> Result<Vec<Feed>, FeedsFileError> {
    let places = Places::find(text);
    let refuse = |line: usize, reason: String| FeedsFileError { line, reason };
    // The file as plain values, for what serde cannot say: which setting of
    // a feed does not read, and a secret written where it must not be.
    let values = text.parse::<toml::Table>().ok();
    let feeds_as_written = || values.as_ref()?.get("feed")?.as_array();
    refuse_secrets(feeds_as_written().into_iter().flatten(), &places)?;
    let file: FileShape = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => {
            let line = feeds_as_written().and_then(|feeds| settings_line(feeds, &places, span.clone()));
            refuse(line.unwrap_or(places.line_of(span.start)), e.message().into())
        }
        None => refuse(1, e.message().into()),
    })?;
    let mut feeds: Vec<Feed> = Vec::new();
    for (index, on_file) in file.feed.into_iter().enumerate() {
        if let Some(key) = on_file.unknown.keys().next() {
            return Err(refuse(places.line(index, key), format!("unknown field `{key}`")));
        }
        let feed = Feed {
            name: on_file.name.trim().to_owned(),
            url: on_file.url,
            settings: on_file.settings,
            retention: Retention {
                max_count: on_file.keep_count,
                max_age: on_file.keep_days.map(|days| DAY * u32::try_from(days).unwrap_or(u32::MAX)),
            },
        };
        check(&feed).map_err(|refusal| refuse(places.line(index, refusal.setting.key()), refusal.reason))?;
        if feeds.iter().any(|f| f.name == feed.name) {
            return Err(refuse(places.line(index, "name"), format!("there are two feeds named {:?}", feed.name)));
        }
        feeds.push(feed);
    }
    Ok(feeds)
}

/// A secret written into a feed's `auth`, refused by name before anything
/// else, so its value is never echoed in another error.
fn refuse_secrets<'a>(feeds: impl Iterator<Item = &'a toml::Value>, places: &Places) -> Result<(), FeedsFileError> {
    for (index, feed) in feeds.enumerate() {
        let Some(auth) = feed.get("auth").and_then(toml::Value::as_table) else { continue };
        let name = feed.get("name").and_then(toml::Value::as_str).unwrap_or("NAME");
        let line = places.line(index, "auth");
        if let Some(field) = ["token", "password", "secret"].into_iter().find(|field| auth.contains_key(*field)) {
            let reason = format!(
                "auth.{field}: a secret belongs in the OS keyring, not in this file; \
                 store it with `herald-cli feeds secret {name}` and name it with auth.keyring"
            );
            return Err(FeedsFileError { line, reason });
        }
        let signs_in = auth.get("scheme").and_then(toml::Value::as_str) == Some("oidc");
        if !auth.contains_key("keyring") && !signs_in {
            let reason = "auth needs keyring, the entry that holds the secret".into();
            return Err(FeedsFileError { line, reason });
        }
    }
    Ok(())
}

/// A setting that does not read is reported by serde at its whole feed
/// (settings are read as one, flattened): the line of the key, or of the
/// `[[feed.rule]]`, that does not read on its own.
fn settings_line(feeds: &[toml::Value], places: &Places, span: Range<usize>) -> Option<usize> {
    let index = places.feeds.iter().position(|place| place.span == span)?;
    let feed = feeds.get(index)?.as_table()?;
    let reads = |key: &str, value: toml::Value| {
        let one: toml::Table = [(key.to_owned(), value)].into_iter().collect();
        FeedSettings::deserialize(toml::Value::Table(one)).is_ok()
    };
    let (key, value) =
        feed.iter().find(|(key, value)| !NOT_SETTINGS.contains(&key.as_str()) && !reads(key, (*value).clone()))?;
    if let Some(items) = value.as_array() {
        let bad = items.iter().position(|item| !reads(key, toml::Value::Array(vec![item.clone()])))?;
        let span = places.feeds.get(index)?.items.get(key.as_str())?.get(bad)?;
        return Some(places.line_of(span.start));
    }
    Some(places.line(index, key))
}

/// The feeds as a feeds file that [`parse_feeds`] reads back.
pub fn feeds_to_toml(feeds: &[Feed]) -> String {
    let file = FileShape {
        feed: feeds
            .iter()
            .map(|f| OnFile {
                name: f.name.clone(),
                url: f.url.clone(),
                settings: f.settings.clone(),
                keep_count: f.retention.max_count,
                keep_days: f.retention.max_age.map(|age| age.as_secs().div_ceil(DAY.as_secs())),
                unknown: BTreeMap::new(),
            })
            .collect(),
    };
    toml::to_string(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Preset;
    use crate::feed::{Auth, Level};
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
            "line 4: Authorization holds a credential, which Herald keeps only in the OS keyring: give the feed an \
             authentication (auth = { scheme = \"bearer\", keyring = \"ENTRY\" }), and the token there"
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
            err(&feed("auth = { scheme = \"oidc\", issuer = \"http://id.corp.example\", client_id = \"h\" }")),
            "line 4: auth with scheme \"oidc\" needs an issuer = \"https://…\" (the provider's address), not \"http://id.corp.example\""
        );
        assert_eq!(
            err(&feed("sequential_ids = true")),
            "line 4: sequential_ids needs a snapshot_url to resync from when a gap is found"
        );
        assert_eq!(err(&format!("{}{}", feed(""), feed(""))), "line 6: there are two feeds named \"a\"");
        assert!(err(&feed("colour = 1")).starts_with("line 4: unknown field `colour`"), "{}", err(&feed("colour = 1")));
        assert!(err(&feed("ca_cert = \"/nonexistent.pem\"")).starts_with("line 4: ca_cert /nonexistent.pem:"));
        let identity = |keyring: &str| {
            feed(&format!("client_identity = {{ cert = \"/nonexistent.pem\", keyring = \"{keyring}\" }}"))
        };
        assert!(
            err(&identity("ana")).starts_with("line 4: client_identity.cert /nonexistent.pem:"),
            "{}",
            err(&identity("ana"))
        );
        assert_eq!(err(&identity(" ")), "line 4: client_identity.keyring must name a keyring entry");
        assert!(err(&feed("proxy = \"ftp://p:21\"")).starts_with("line 4: proxy \"ftp://p:21\" must be http://"));
        let in_url = err(&feed("proxy = \"http://ana:pw@p:3128\""));
        assert!(
            in_url.starts_with("line 4: a proxy's credentials go in the keyring") && !in_url.contains("pw@"),
            "{in_url}"
        );
        assert_eq!(
            err(&feed("proxy_auth = { username = \"ana\", keyring = \"p\" }")),
            "line 4: proxy_auth needs a proxy = \"http://…\" to sign in to"
        );
        assert!(err(&feed("client_identity = { cert = \"/a.pem\", key = \"/a.key\" }"))
            .starts_with("line 4: unknown field `key`"));
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
            // A rule that does not read is found by its `[[feed.rule]]`.
            err(&rule("then = \"loud\"")).starts_with("line 6: unknown variant `loud`"),
            "{}",
            err(&rule("then = \"loud\""))
        );
        assert!(
            err(&rule("event = \"create\"")).starts_with("line 6: missing field `then`"),
            "{}",
            err(&rule("event = \"create\""))
        );
        assert_eq!(err(&feed("coalesce = { burst_count = 0 }")), "line 4: coalesce: burst_count must be at least 1");
        // A setting of the wrong type is found by its own key, in its own feed.
        let second =
            format!("{}{}", feed(""), feed("paused = true\nstall_timeout_secs = \"soon\"").replace("\"a\"", "\"b\""));
        assert_eq!(err(&second), "line 9: invalid type: string \"soon\", expected u64");
    }
}
