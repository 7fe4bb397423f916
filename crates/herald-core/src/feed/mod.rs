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
pub mod values;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::HeaderMap;
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

use crate::proxy::{DesktopProxies, Route, RouteUsed};
pub use crate::proxy::{ProxyAuth, ProxyChoice};
use crate::secrets::Secrets;
use crate::sse::{Resume, SubscriptionConfig};
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

/// Why a feed cannot be followed as it is.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("feed {feed:?}: {reason}")]
pub struct FeedSetupError {
    pub feed: String,
    pub reason: String,
    pub kind: SetupFailure,
}

/// What kind of trouble keeps a feed from being followed: it decides the
/// state the feed stops in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupFailure {
    /// Its secret is what is missing (not in the keyring, or no keyring):
    /// the user can give it, and nothing else is wrong.
    Secret,
    /// Its client certificate cannot be presented (see [`ClientIdentity`]).
    Identity,
    /// Anything else in its settings.
    Settings,
}

/// What following a feed takes: the stream's config, an HTTP client that
/// trusts the feed's own certificates, and the headers (auth among them)
/// for its REST calls: the snapshot, "me" and writes.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: SubscriptionConfig,
    pub client: reqwest::Client,
    pub rest: RestHeaders,
    /// Which way it goes to its server, and who chose it.
    pub route: crate::proxy::RouteUsed,
}

/// The headers of a feed's REST calls (its snapshot, "me", writes): its
/// own, with its secret, or a fresh access token when it signs in.
#[derive(Debug, Clone)]
pub struct RestHeaders {
    base: HeaderMap,
    credentials: Option<crate::sse::CredentialSource>,
}

impl RestHeaders {
    /// The headers for a call now. A sign-in that cannot give a token
    /// leaves `Authorization` out: the server's refusal says so, and the
    /// stream stops for the sign-in.
    pub async fn now(&self) -> HeaderMap {
        let mut headers = self.base.clone();
        if let Some(crate::sse::CredentialSource(credentials)) = &self.credentials {
            match credentials.authorization(None).await {
                Ok(value) => {
                    headers.insert(reqwest::header::AUTHORIZATION, value);
                }
                Err(e) => tracing::info!(error = %e, "a REST call goes without a token"),
            }
        }
        headers
    }
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

    /// What to follow the feed with, resuming after `cursor`, with the
    /// server's keepalive as far as it is known. A feed with `auth` takes
    /// its secret from `secrets`, and a `ca_cert` is read from its file:
    /// blocking work, done off the runtime (see [`crate::blocking`]).
    /// Without a proxy of its own or the environment's, it goes as the
    /// `desktop` says (see [`crate::proxy`]). `extra` headers are added as
    /// they are and never stored: `herald-cli tail -H` passes its own this
    /// way.
    pub async fn setup(
        &self,
        cursor: Option<String>,
        keepalive: Option<Duration>,
        secrets: std::sync::Arc<dyn Secrets>,
        desktop: &dyn DesktopProxies,
        extra: HeaderMap,
    ) -> Result<Setup, FeedSetupError> {
        let feed = self.clone();
        let desktop = Route::ask_desktop(self.settings.proxy.as_ref(), &self.url, desktop).await;
        crate::blocking::run(move || feed.setup_blocking(cursor, keepalive, &secrets, desktop.as_deref(), &extra)).await
    }

    fn setup_blocking(
        &self,
        cursor: Option<String>,
        keepalive: Option<Duration>,
        secrets: &std::sync::Arc<dyn Secrets>,
        desktop: Option<&[String]>,
        extra: &HeaderMap,
    ) -> Result<Setup, FeedSetupError> {
        let fail = |reason: String| FeedSetupError { feed: self.name.clone(), reason, kind: SetupFailure::Settings };
        let resolved = self.resolved();
        let mut config = SubscriptionConfig::new(&self.url);
        for (name, value) in &self.settings.headers {
            config = config.header(name, value).map_err(|e| fail(e.to_string()))?;
        }
        config = config.headers(extra);
        let (client, route) = self.client(&**secrets, desktop)?;
        if let Some(sign_in) = self.settings.auth.as_ref().and_then(|a| a.sign_in(&self.name)) {
            let session = crate::oidc::Session::start(sign_in.map_err(fail)?, secrets.clone(), client.clone());
            config = config.credentials(session);
        } else if let Some(auth) = &self.settings.auth {
            config = auth.apply(config, &**secrets).map_err(|e| FeedSetupError {
                kind: if matches!(e, auth::AuthError::Secret(_)) {
                    SetupFailure::Secret
                } else {
                    SetupFailure::Settings
                },
                ..fail(e.to_string())
            })?;
        }
        let config = config
            .last_event_id(cursor.unwrap_or_default())
            .resume(resolved.resume)
            .cursor_pointer(resolved.cursor_pointer)
            .stall_timeout(resolved.stall_timeout)
            .keepalive(keepalive)
            .control_events(resolved.control_events)
            .gone_comment(resolved.gone_comment);
        let config = config.proxy(route.proxy.as_ref().map(|proxy| format!("the proxy {proxy}")));
        let rest = RestHeaders { base: config.headers.clone(), credentials: config.credentials.clone() };
        Ok(Setup { config, client, rest, route })
    }

    /// The HTTP client the feed is followed with, for its sign-in to talk
    /// to its identity provider the same way (trust, proxy, identity).
    pub async fn http_client(
        &self,
        secrets: std::sync::Arc<dyn Secrets>,
        desktop: &dyn DesktopProxies,
    ) -> Result<reqwest::Client, FeedSetupError> {
        let feed = self.clone();
        let desktop = Route::ask_desktop(self.settings.proxy.as_ref(), &self.url, desktop).await;
        crate::blocking::run(move || feed.client(&*secrets, desktop.as_deref()).map(|(client, _)| client)).await
    }

    /// The HTTP client the feed is followed with: trusting its own
    /// certificates, presenting its client certificate, and going its way
    /// (with the `desktop`'s answers for its address); and that way, for
    /// its state to say and a failure to name.
    fn client(
        &self,
        secrets: &dyn Secrets,
        desktop: Option<&[String]>,
    ) -> Result<(reqwest::Client, RouteUsed), FeedSetupError> {
        let fail = |kind, reason: String| FeedSetupError { feed: self.name.clone(), reason, kind };
        let s = &self.settings;
        let trust = match &s.ca_cert {
            Some(path) => std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|pem| crate::tls::ExtraTrust::from_pem(&pem).map_err(|e| e.to_string()))
                .map_err(|e| fail(SetupFailure::Settings, format!("ca_cert {}: {e}", path.display())))?,
            None => crate::tls::ExtraTrust::default(),
        };
        let identity = match &s.client_identity {
            Some(identity) => Some(identity.load(secrets, crate::sse::now_ms() / 1000).map_err(|e| {
                fail(if e.needs_secret() { SetupFailure::Secret } else { SetupFailure::Identity }, e.to_string())
            })?),
            None => None,
        };
        let (route, used) = Route::choose(s.proxy.as_ref(), s.proxy_auth.as_ref(), secrets, &self.url, desktop)
            .map_err(|e| fail(SetupFailure::Secret, format!("its proxy's password: {e}")))?;
        let client = crate::http_client_for(&trust, identity.as_ref(), &route)
            .map_err(|e| fail(SetupFailure::Settings, e.to_string()))?;
        Ok((client, used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecrets;

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

    #[test]
    fn the_setup_carries_auth_to_the_stream_and_to_rest_and_never_shows_it() {
        let memory = MemorySecrets::default();
        memory.set("hub", "s3cret").unwrap();
        let secrets: std::sync::Arc<dyn Secrets> = std::sync::Arc::new(memory);
        let mut feed = Feed::new("hub", "http://127.0.0.1:1/tasks/subscribe").with_preset(Preset::HeraldHub);
        feed.settings.auth = Some(Auth::bearer("hub"));
        let setup = feed.setup_blocking(Some("7".into()), None, &secrets, None, &HeaderMap::new()).unwrap();
        assert_eq!(setup.config.last_event_id, "7");
        let rest = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(setup.rest.now());
        let auth = &rest[reqwest::header::AUTHORIZATION];
        assert!(auth.is_sensitive());
        assert!(!format!("{setup:?}").contains("s3cret"));
        let missing =
            Feed { settings: FeedSettings { ca_cert: Some("/nonexistent.pem".into()), ..Default::default() }, ..feed };
        let err = missing.setup_blocking(None, None, &secrets, None, &HeaderMap::new()).unwrap_err();
        assert!(err.reason.starts_with("ca_cert /nonexistent.pem:"), "{err}");
    }
}
