//! What a feed is: where it lives, how to follow it (headers, trust, auth,
//! resume mode, snapshot), how long to keep its history, and what its
//! events mean. The store keeps feeds; the engine follows them; this module
//! only describes them, so it depends on neither.
//!
//! - [`preset`]: the defaults for a kind of server (Herald's hub, a REST task
//!   list, ntfy, Nchan, Mercure, or any plain stream);
//! - [`meaning`]: how an event becomes a [`Change`] a person can read;
//! - [`auth`]: the scheme and the keyring entry of a feed's secret;
//! - [`check`]: the one check of a feed, naming the setting it refuses;
//! - [`file`]: the TOML form users write, import and export;
//! - [`form`]: the window's form, checked by the same code as the file;
//! - `setup`: what following a feed takes (its config, auth and client);
//! - [`Extras`]: a message's buttons, attachment, icon, markdown and sequence;
//! - [`rules`]: which changes deserve a popup, and how it reads;
//! - [`values`]: reading a payload's JSON loosely, as servers mix types;
//! - [`presence`]: who else is here, where the server says so;
//! - [`Write`]: an edit to a record, and the [`Conflict`] that refuses one.

mod auth;
mod change;
mod check;
mod edit;
mod extras;
mod file;
mod form;
pub mod meaning;
pub mod presence;
pub mod preset;
pub mod rules;
mod setup;
pub mod values;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use auth::{Auth, AuthError, AuthScheme};
pub use change::{Action, Change, Digest, Level};
pub use check::{check, Refusal, Setting};
pub use edit::{Conflict, Fields, Write};
pub use extras::{ActionResult, Attachment, Extras, MessageAction, MAX_ACTIONS};
pub use file::{feeds_to_toml, parse_feeds, FeedsFileError};
pub use form::{client_key_entry, pinned_certificate_path, ClientKey, FeedForm, FieldError, FormAuth, HeaderField};
pub use meaning::{FieldVerb, Me, Meaning, MessageMeaning, RecordMeaning};
pub use presence::{PresenceApi, Present};
pub use preset::{Preset, Resolved};
pub use rules::{Coalesce, Rule};
pub use setup::{FeedSetupError, RestHeaders, Setup, SetupFailure};

pub use crate::proxy::{ProxyAuth, ProxyChoice};
use crate::sse::Resume;
pub use crate::tls::ClientIdentity;

/// How to follow one feed, beyond its name and URL. Anything left out comes
/// from the preset (see [`Feed::resolved`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// The kind of server: its defaults fill whatever is not set here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A PEM file of extra certificates to trust (see `tls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// The certificate to present to a server that asks for one (mutual
    /// TLS); its key, or passphrase, is in the OS keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_identity: Option<ClientIdentity>,
    /// A proxy of its own (`"http://…"`, `"socks5h://…"`), or `"none"`;
    /// without it, the environment's (`HTTPS_PROXY` and the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyChoice>,
    /// The proxy's user, and the keyring entry of its password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_auth: Option<ProxyAuth>,
    /// Send the cursor in this query parameter rather than `Last-Event-ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_query: Option<String>,
    /// Take the cursor from each event's JSON data at this pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_pointer: Option<String>,
    /// A REST `GET` of the whole collection, for resyncing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_url: Option<String>,
    /// The field that identifies an item in the snapshot (default `id`).
    /// Older feeds name it here; `record.key` is the pointer form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_timeout_secs: Option<u64>,
    /// Event types that say the stream is alive but are not news: never
    /// stored, shown or taken as the cursor (default: the preset's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_events: Option<Vec<String>>,
    /// The stream's ids are consecutive integers, so an id that skips ahead
    /// is a gap: what lies between was lost, and the feed resyncs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sequential_ids: bool,
    /// How to authenticate; the secret itself is in the OS keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// The feed carries records (shared data): how to read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordMeaning>,
    /// The feed carries messages (notifications): how to read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageMeaning>,
    /// Who the user is on this feed, so their own changes raise nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<Me>,
    /// The REST collection that takes writes (`POST`, `PUT` and `DELETE` of
    /// `{write_url}/{key}`), for feeds whose records the user may edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_url: Option<String>,
    /// Not followed until resumed; its history and records stay.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// Which changes deserve a popup, in order (`[[feed.rule]]`).
    #[serde(default, rename = "rule", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// How this feed's notifications are coalesced, when not the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesce: Option<Coalesce>,
    /// Hosts a message's `http` action may be sent to without asking: its
    /// button is on the notification too. Every other is confirmed first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_actions_to: Vec<String>,
}

impl FeedSettings {
    /// Whether an `http` action to `url` may be sent without asking.
    pub fn allows_action_to(&self, url: &str) -> bool {
        let host = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        host.is_some_and(|host| self.allow_actions_to.iter().any(|allowed| allowed.eq_ignore_ascii_case(&host)))
    }
}

/// How much history a feed keeps; the default keeps everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Retention {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "secs")]
    pub max_age: Option<Duration>,
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}

/// A feed as stored and exchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub settings: FeedSettings,
    #[serde(default)]
    pub retention: Retention,
}

impl Feed {
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Feed {
        Feed { name: name.into(), url: url.into(), settings: FeedSettings::default(), retention: Retention::default() }
    }

    pub fn with_preset(mut self, preset: Preset) -> Feed {
        self.settings.preset = Some(preset);
        self
    }

    /// The feed's settings with its preset's defaults filled in.
    pub fn resolved(&self) -> Resolved {
        let s = &self.settings;
        let mut resolved = s.preset.unwrap_or_default().defaults(&self.url);
        resolved.key = match (&s.record, &s.key_field) {
            (Some(record), _) => record.key.clone(),
            (None, Some(field)) => format!("/{field}"),
            (None, None) => resolved.key,
        };
        match (&s.record, &s.message) {
            (Some(record), _) => resolved.meaning = Meaning::Record(record.clone()),
            (None, Some(message)) => resolved.meaning = Meaning::Message(message.clone()),
            (None, None) => {}
        }
        if let Some(query) = &s.resume_query {
            resolved.resume = Resume::Query(query.clone());
        }
        if let Some(secs) = s.stall_timeout_secs {
            resolved.stall_timeout = Duration::from_secs(secs);
        }
        if let Some(events) = &s.control_events {
            resolved.control_events.clone_from(events);
        }
        resolved.cursor_pointer = s.cursor_pointer.clone().or(resolved.cursor_pointer);
        resolved.snapshot_url = s.snapshot_url.clone().or(resolved.snapshot_url);
        resolved.me = s.me.clone().or(resolved.me);
        resolved.write_url = s.write_url.clone().or(resolved.write_url);
        resolved.sequential_ids = s.sequential_ids;
        resolved
    }

    /// Whether it signs in to an identity provider (`scheme = "oidc"`).
    pub fn signs_in(&self) -> bool {
        self.settings.auth.as_ref().is_some_and(|a| a.scheme == AuthScheme::Oidc)
    }

    /// How the feed signs in, if it does (`auth = { scheme = "oidc", … }`).
    pub fn sign_in(&self) -> Result<crate::oidc::OidcSettings, String> {
        match self.settings.auth.as_ref().and_then(|a| a.sign_in(&self.name)) {
            Some(settings) => settings,
            None => Err(format!(
                "the feed {:?} does not sign in: give it auth = {{ scheme = \"oidc\", issuer = \"https://…\", client_id = \"…\" }}",
                self.name
            )),
        }
    }

    /// The keyring entries the feed's secrets are kept in: its token,
    /// password or sign-in, its client certificate's key or passphrase, and
    /// its proxy's password.
    pub fn keyring_entries(&self) -> Vec<String> {
        let auth = self.settings.auth.as_ref().map(|a| a.entry(&self.name));
        let identity = self.settings.client_identity.as_ref().map(|i| i.keyring.clone());
        let proxy = self.settings.proxy_auth.as_ref().map(|p| p.keyring.clone());
        auth.into_iter().chain(identity).chain(proxy).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_settings_win_over_the_presets_defaults() {
        let mut feed = Feed::new("t", "https://h.example/tasks/subscribe").with_preset(Preset::TaskList);
        let resolved = feed.resolved();
        assert_eq!(resolved.snapshot_url.as_deref(), Some("https://h.example/tasks"));
        assert!(resolved.no_ids);
        feed.settings.snapshot_url = Some("https://h.example/all".into());
        feed.settings.stall_timeout_secs = Some(30);
        let resolved = feed.resolved();
        assert_eq!(resolved.snapshot_url.as_deref(), Some("https://h.example/all"));
        assert_eq!(resolved.stall_timeout, Duration::from_secs(30));
    }
}
