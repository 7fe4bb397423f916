//! The one check of a feed: whatever it came from (a feeds file, the
//! window's form, `herald-cli feeds add`, the engine's own store), a feed
//! is checked here, on the [`Feed`] itself, and a refusal names the
//! setting that is wrong ([`Setting`]) and why.
//!
//! Each front end maps the setting to what its user sees: the feeds file
//! to the line where the key is written, the form to its input. So a feed
//! is refused for the same reasons, in the same words, wherever it is
//! written, and no front end writes a feed out as text to have it checked.

use std::time::Duration;

use super::rules;
use super::{Feed, Me};
use crate::is_http_url;

/// A feed's setting, as a refusal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Name,
    Url,
    Headers,
    CaCert,
    ClientIdentity,
    ProxyAuth,
    ResumeQuery,
    CursorPointer,
    SnapshotUrl,
    KeyField,
    StallTimeout,
    ControlEvents,
    SequentialIds,
    Auth,
    Record,
    Message,
    Me,
    WriteUrl,
    /// The rule at this index (`[[feed.rule]]`, in order).
    Rule(usize),
    Coalesce,
    AllowActionsTo,
    KeepCount,
    KeepDays,
}

impl Setting {
    /// Its key in a feeds file.
    pub fn key(self) -> &'static str {
        match self {
            Setting::Name => "name",
            Setting::Url => "url",
            Setting::Headers => "headers",
            Setting::CaCert => "ca_cert",
            Setting::ClientIdentity => "client_identity",
            Setting::ProxyAuth => "proxy_auth",
            Setting::ResumeQuery => "resume_query",
            Setting::CursorPointer => "cursor_pointer",
            Setting::SnapshotUrl => "snapshot_url",
            Setting::KeyField => "key_field",
            Setting::StallTimeout => "stall_timeout_secs",
            Setting::ControlEvents => "control_events",
            Setting::SequentialIds => "sequential_ids",
            Setting::Auth => "auth",
            Setting::Record => "record",
            Setting::Message => "message",
            Setting::Me => "me",
            Setting::WriteUrl => "write_url",
            Setting::Rule(_) => "rule",
            Setting::Coalesce => "coalesce",
            Setting::AllowActionsTo => "allow_actions_to",
            Setting::KeepCount => "keep_count",
            Setting::KeepDays => "keep_days",
        }
    }
}

/// Why a feed cannot be kept as it is: the setting, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    pub setting: Setting,
    pub reason: String,
}

/// Header names that carry credentials, which belong in the OS keyring.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

const DAY: Duration = Duration::from_secs(24 * 3600);

/// The first thing wrong with `feed`, in the order a feeds file has its
/// settings. It reads the `ca_cert` file, and looks for the client
/// certificate's: call it off the async runtime.
pub fn check(feed: &Feed) -> Result<(), Refusal> {
    let refuse = |setting: Setting, reason: String| Err(Refusal { setting, reason });
    let s = &feed.settings;
    if feed.name.trim().is_empty() || feed.name.trim() != feed.name {
        return refuse(Setting::Name, "a feed needs a name, without spaces around it".into());
    }
    if !is_http_url(&feed.url) {
        return refuse(Setting::Url, format!("{:?} is not an http(s) URL", feed.url));
    }
    if let Some(r) = &s.record {
        let pointers = [("record.key", Some(r.key.as_str())), ("record.title", r.title.as_deref())]
            .into_iter()
            .chain([("record.actor", r.actor.as_deref()), ("record.at", r.at.as_deref())])
            .chain(r.verbs.iter().map(|v| ("record.verbs.field", Some(v.field.as_str()))));
        if let Some(reason) = bad_pointer(pointers) {
            return refuse(Setting::Record, reason);
        }
    }
    if let Some(m) = &s.message {
        let pointers = [("message.title", m.title.as_deref()), ("message.body", m.body.as_deref())]
            .into_iter()
            .chain([("message.priority", m.priority.as_deref()), ("message.click", m.click.as_deref())])
            .chain([("message.tags", m.tags.as_deref())]);
        if let Some(reason) = bad_pointer(pointers) {
            return refuse(Setting::Message, reason);
        }
        if s.record.is_some() {
            return refuse(Setting::Message, "a feed carries records or messages, not both".into());
        }
    }
    match &s.me {
        Some(Me::Actor { actor }) if actor.trim().is_empty() => {
            return refuse(Setting::Me, "me.actor must name the user".into())
        }
        Some(Me::Endpoint { url, .. }) if !is_http_url(url) => {
            return refuse(Setting::Me, format!("me.url {url:?} is not an http(s) URL"))
        }
        Some(Me::Endpoint { pointer, .. }) if !pointer.starts_with('/') => {
            return refuse(Setting::Me, format!("me.pointer {pointer:?} must be a JSON pointer"))
        }
        _ => {}
    }
    for (index, rule) in s.rules.iter().enumerate() {
        if let Err(reason) = rules::check(rule) {
            return refuse(Setting::Rule(index), format!("rule: {reason}"));
        }
    }
    if let Some(Err(reason)) = s.coalesce.as_ref().map(|c| c.check()) {
        return refuse(Setting::Coalesce, format!("coalesce: {reason}"));
    }
    if let Some(url) = s.write_url.as_deref().filter(|url| !is_http_url(url)) {
        return refuse(Setting::WriteUrl, format!("{url:?} is not an http(s) URL"));
    }
    for host in &s.allow_actions_to {
        let is_host = reqwest::Url::parse(&format!("https://{host}/")).is_ok_and(|u| u.host_str() == Some(host))
            && !host.is_empty();
        if !is_host {
            return refuse(
                Setting::AllowActionsTo,
                format!("{host:?} is not a host name (only the host: no scheme, port or path)"),
            );
        }
    }
    for (header, value) in &s.headers {
        let bad = reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(value).is_err();
        if bad {
            return refuse(Setting::Headers, format!("the header {header:?} has an invalid name or value"));
        }
        if CREDENTIAL_HEADERS.contains(&header.to_ascii_lowercase().as_str()) {
            return refuse(
                Setting::Headers,
                format!(
                    "{header} holds a credential, which Herald keeps only in the OS keyring: give the feed an \
                     authentication (auth = {{ scheme = \"bearer\", keyring = \"ENTRY\" }}), and the token there"
                ),
            );
        }
    }
    if let Some(path) = &s.ca_cert {
        let checked = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| crate::tls::ExtraTrust::from_pem(&pem).map_err(|e| e.to_string()));
        if let Err(e) = checked {
            return refuse(Setting::CaCert, format!("ca_cert {}: {e}", path.display()));
        }
    }
    if let Some(identity) = &s.client_identity {
        if identity.keyring.trim().is_empty() || identity.keyring.chars().any(char::is_control) {
            return refuse(Setting::ClientIdentity, "client_identity.keyring must name a keyring entry".into());
        }
        if let Err(e) = std::fs::metadata(&identity.cert) {
            return refuse(Setting::ClientIdentity, format!("client_identity.cert {}: {e}", identity.cert.display()));
        }
    }
    if let Some(auth) = &s.proxy_auth {
        if !matches!(s.proxy, Some(super::ProxyChoice::Via(_))) {
            return refuse(Setting::ProxyAuth, "proxy_auth needs a proxy = \"http://…\" to sign in to".into());
        }
        if auth.username.is_empty() || auth.username.contains(':') || auth.keyring.trim().is_empty() {
            return refuse(
                Setting::ProxyAuth,
                "proxy_auth needs a username (without \":\") and a keyring entry".into(),
            );
        }
    }
    if s.resume_query.as_deref().is_some_and(str::is_empty) {
        return refuse(Setting::ResumeQuery, "resume_query needs a parameter name".into());
    }
    if s.cursor_pointer.as_deref().is_some_and(|p| !p.is_empty() && !p.starts_with('/')) {
        return refuse(Setting::CursorPointer, "cursor_pointer must be a JSON pointer, such as \"/id\"".into());
    }
    if let Some(url) = s.snapshot_url.as_deref().filter(|url| !is_http_url(url)) {
        return refuse(Setting::SnapshotUrl, format!("{url:?} is not an http(s) URL"));
    }
    if s.key_field.as_deref().is_some_and(|key| key.trim().is_empty()) {
        return refuse(Setting::KeyField, "key_field must name a field".into());
    }
    if s.stall_timeout_secs.is_some_and(|secs| !(1..=86_400).contains(&secs)) {
        return refuse(Setting::StallTimeout, "stall_timeout_secs must be between 1 and 86400".into());
    }
    let events = s.control_events.iter().flatten();
    if let Some(bad) = events.into_iter().find(|t| t.is_empty() || t.contains(['\r', '\n'])) {
        return refuse(Setting::ControlEvents, format!("control_events: {bad:?} is not an event type"));
    }
    if s.sequential_ids && s.snapshot_url.is_none() {
        let reason = "sequential_ids needs a snapshot_url to resync from when a gap is found";
        return refuse(Setting::SequentialIds, reason.into());
    }
    if let Some(reason) = s.auth.as_ref().and_then(|auth| auth.problem()) {
        return refuse(Setting::Auth, reason);
    }
    if feed.retention.max_count == Some(0) {
        return refuse(Setting::KeepCount, "keep_count must keep at least 1 event".into());
    }
    if feed.retention.max_age.is_some_and(|age| age < DAY || age > DAY * 36_500) {
        return refuse(Setting::KeepDays, "keep_days must be between 1 and 36500".into());
    }
    Ok(())
}

/// The first pointer of `pointers` that is not a JSON pointer, if any.
fn bad_pointer<'a>(pointers: impl IntoIterator<Item = (&'static str, Option<&'a str>)>) -> Option<String> {
    pointers.into_iter().find_map(|(field, pointer)| {
        pointer
            .filter(|p| !p.starts_with('/'))
            .map(|p| format!("{field} {p:?} must be a JSON pointer, such as \"/id\""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{Auth, Preset};

    fn refused(feed: &Feed) -> Setting {
        check(feed).expect_err("refused").setting
    }

    #[test]
    fn each_refusal_names_its_setting() {
        let good = Feed::new("tasks", "https://tasks.example.com/events").with_preset(Preset::TaskList);
        assert_eq!(check(&good), Ok(()));
        assert_eq!(refused(&Feed::new(" ", "https://x.example/")), Setting::Name);
        assert_eq!(refused(&Feed::new("x", "ftp://x.example/")), Setting::Url);
        let mut header = good.clone();
        header.settings.headers.insert("Cookie".into(), "s=1".into());
        assert_eq!(refused(&header), Setting::Headers);
        let mut bearer = good.clone();
        bearer.settings.auth = Some(Auth { username: Some("ana".into()), ..Auth::bearer("x") });
        assert_eq!(refused(&bearer), Setting::Auth);
        let mut sequential = good.clone();
        sequential.settings.sequential_ids = true;
        assert_eq!(refused(&sequential), Setting::SequentialIds);
        let mut keep = good.clone();
        keep.retention.max_count = Some(0);
        assert_eq!(refused(&keep), Setting::KeepCount);
        let mut hosts = good.clone();
        hosts.settings.allow_actions_to = vec!["api.example.com".into(), "https://api.example.com/".into()];
        assert_eq!(refused(&hosts), Setting::AllowActionsTo);
        hosts.settings.allow_actions_to.pop();
        assert_eq!(check(&hosts), Ok(()));
        assert!(hosts.settings.allows_action_to("https://API.example.com/door"));
        assert!(!hosts.settings.allows_action_to("https://api.example.com.evil.example/door"));
        let mut rules = good;
        rules.settings.rules = toml::from_str::<crate::feed::FeedSettings>(
            "[[rule]]\nthen = \"timeline\"\n[[rule]]\nthen = \"timeline\"\nwhen = [{ pointer = \"priority\", exists = true }]",
        )
        .expect("rules")
        .rules;
        assert_eq!(refused(&rules), Setting::Rule(1));
    }
}
