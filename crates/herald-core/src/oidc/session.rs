//! A feed's signed-in session: access tokens, in memory only, from the
//! refresh token in the keyring. It is the stream's [`Credentials`]: asked
//! before every request, it hands out the token it has, or refreshes it
//! first when it is due, or refused by a 401.
//!
//! A task refreshes each token shortly before it expires (at four fifths of
//! its life, and at most a minute early), so that a stream cut when its
//! token expires opens again at once with the next. The task ends with the
//! session.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use openidconnect::{OAuth2TokenResponse, RefreshToken};
use reqwest::header::HeaderValue;
use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;

use super::provider::{judge, Metadata, OidcError, OidcSettings};
use crate::secrets::{SecretError, Secrets};
use crate::sse::{Credentials, CredentialsError};

/// How long a token lives when the provider does not say.
const UNSAID_LIFETIME: Duration = Duration::from_secs(300);
/// The most a token is refreshed ahead of its expiry.
const MOST_AHEAD: Duration = Duration::from_secs(60);

struct Access {
    value: HeaderValue,
    /// When the keeper refreshes it.
    due: Instant,
}

#[derive(Default)]
struct Held {
    metadata: Option<Metadata>,
    access: Option<Access>,
    /// The sign-in is over (revoked, expired, or never made): nothing is
    /// refreshed until the feed is set up again after a sign-in.
    ended: Option<String>,
}

pub struct Session {
    settings: OidcSettings,
    secrets: Arc<dyn Secrets>,
    http: reqwest::Client,
    held: Mutex<Held>,
    /// Wakes the keeper: a token was had, or the session ends.
    wake: Arc<Notify>,
}

impl Session {
    /// The session of a feed signing in as `settings` say, with requests
    /// through `http`; its keeper started.
    pub fn start(settings: OidcSettings, secrets: Arc<dyn Secrets>, http: reqwest::Client) -> Arc<Session> {
        let wake = Arc::new(Notify::new());
        let session = Arc::new(Session { settings, secrets, http, held: Mutex::default(), wake: wake.clone() });
        tokio::spawn(keep_fresh(Arc::downgrade(&session), wake));
        session
    }

    /// The access token's header: the one held while it is good and not
    /// `refused`, else a fresh one.
    async fn authorize(&self, refused: Option<HeaderValue>) -> Result<HeaderValue, OidcError> {
        let mut held = self.held.lock().await;
        if let Some(access) = &held.access {
            if Some(&access.value) != refused.as_ref() && Instant::now() < access.due {
                return Ok(access.value.clone());
            }
        }
        self.refresh(&mut held).await
    }

    /// Trades the refresh token for a new access token (and, where the
    /// provider rotates them, a new refresh token, kept at once).
    async fn refresh(&self, held: &mut Held) -> Result<HeaderValue, OidcError> {
        if let Some(ended) = &held.ended {
            return Err(OidcError::NeedsSignIn(ended.clone()));
        }
        let result = self.exchange(held).await;
        match &result {
            Ok(_) => self.wake.notify_one(),
            Err(OidcError::NeedsSignIn(why)) => {
                held.access = None;
                held.ended = Some(why.clone());
            }
            Err(_) => {}
        }
        result
    }

    async fn exchange(&self, held: &mut Held) -> Result<HeaderValue, OidcError> {
        let s = &self.settings;
        let refresh = self.keyring_get().await?;
        if held.metadata.is_none() {
            held.metadata = Some(s.discover(&self.http).await?);
        }
        let metadata = held.metadata.clone().expect("discovered above");
        let client = s.client(metadata);
        let refresh = RefreshToken::new(refresh);
        let request = client
            .exchange_refresh_token(&refresh)
            .map_err(|e| OidcError::Settings(format!("the identity provider {}: {e}", s.issuer)))?;
        let asked = Instant::now();
        let tokens = request.request_async(&super::http::over(&self.http)).await.map_err(|e| judge(&s.issuer, e))?;
        if let Some(rotated) = tokens.refresh_token() {
            self.keyring_set(rotated.secret().clone()).await?;
        }
        let mut value = HeaderValue::from_str(&format!("Bearer {}", tokens.access_token().secret()))
            .map_err(|_| OidcError::Unreachable(format!("{} gave an access token that cannot be sent", s.issuer)))?;
        value.set_sensitive(true);
        let lifetime = tokens.expires_in().unwrap_or(UNSAID_LIFETIME);
        let due = asked + (lifetime - (lifetime / 5).min(MOST_AHEAD));
        held.access = Some(Access { value: value.clone(), due });
        tracing::debug!(issuer = %s.issuer, ?lifetime, "refreshed the access token");
        Ok(value)
    }

    async fn keyring_get(&self) -> Result<String, OidcError> {
        let (secrets, entry, issuer) =
            (self.secrets.clone(), self.settings.entry.clone(), self.settings.issuer.clone());
        crate::blocking::run(move || match secrets.get(&entry) {
            Ok(token) => Ok(token),
            Err(SecretError::Missing { .. }) => {
                Err(OidcError::NeedsSignIn(format!("not signed in to {issuer}: sign in")))
            }
            Err(e) => Err(OidcError::Keyring(format!("the sign-in's refresh token: {e}"))),
        })
        .await
    }

    async fn keyring_set(&self, token: String) -> Result<(), OidcError> {
        let (secrets, entry) = (self.secrets.clone(), self.settings.entry.clone());
        crate::blocking::run(move || secrets.set(&entry, &token))
            .await
            .map_err(|e| OidcError::Keyring(format!("keeping the sign-in's refresh token: {e}")))
    }

    /// When the keeper should refresh next, if there is a token to keep.
    async fn due(&self) -> Option<Instant> {
        let held = self.held.lock().await;
        held.access.as_ref().filter(|_| held.ended.is_none()).map(|a| a.due)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

impl Credentials for Session {
    fn authorization(
        &self,
        refused: Option<HeaderValue>,
    ) -> Pin<Box<dyn Future<Output = Result<HeaderValue, CredentialsError>> + Send + '_>> {
        Box::pin(async move {
            self.authorize(refused).await.map_err(|e| CredentialsError {
                needs_sign_in: matches!(e, OidcError::NeedsSignIn(_)),
                message: e.to_string(),
            })
        })
    }
}

/// Refreshes the session's token when it falls due, until the session ends.
async fn keep_fresh(session: Weak<Session>, wake: Arc<Notify>) {
    loop {
        let due = match session.upgrade() {
            Some(session) => session.due().await,
            None => return,
        };
        match due {
            Some(due) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = wake.notified() => continue,
                }
            }
            None => {
                wake.notified().await;
                continue;
            }
        }
        let Some(session) = session.upgrade() else { return };
        let mut held = session.held.lock().await;
        if held.access.as_ref().is_some_and(|a| Instant::now() >= a.due) {
            if let Err(e) = session.refresh(&mut held).await {
                tracing::warn!(issuer = %session.settings.issuer, error = %e, "could not refresh the access token ahead");
                // Tried again when the stream next asks, or after a pause.
                drop(held);
                drop(session);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
