//! Getting ready to follow a feed: the stream's config with its auth (a
//! secret from the keyring, or a sign-in's session), and the HTTP client
//! that trusts the feed's certificates, presents its client certificate and
//! goes its way (see [`crate::proxy`]). Keyring calls and file reads are
//! blocking, so they run off the runtime ([`crate::blocking`]).

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::{AuthError, Feed};
use crate::proxy::{DesktopProxies, Route, RouteUsed};
use crate::secrets::Secrets;
use crate::sse::SubscriptionConfig;

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
                kind: if matches!(e, AuthError::Secret(_)) { SetupFailure::Secret } else { SetupFailure::Settings },
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
    use crate::feed::{Auth, FeedSettings, Preset};
    use crate::secrets::MemorySecrets;

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
