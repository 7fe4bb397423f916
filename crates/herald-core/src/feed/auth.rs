//! A feed's authentication: the scheme, and the name of the keyring entry
//! that holds its secret. The secret is fetched only when the feed is
//! followed, and travels in a header marked sensitive, so it is never
//! stored, exported or printed.

use serde::{Deserialize, Serialize};

use crate::secrets::{SecretError, Secrets};
use crate::sse::SubscriptionConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic`, with `username` and the password.
    Basic,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub scheme: AuthScheme,
    /// For `basic` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The keyring entry (under the service `herald`) holding the token or password.
    pub keyring: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("its secret: {0}")]
    Secret(#[from] SecretError),
    #[error("its secret from the keyring entry {0:?} cannot be sent in a header")]
    Unusable(String),
}

impl Auth {
    pub fn bearer(keyring: impl Into<String>) -> Auth {
        Auth { scheme: AuthScheme::Bearer, username: None, keyring: keyring.into() }
    }

    pub fn basic(username: impl Into<String>, keyring: impl Into<String>) -> Auth {
        Auth { scheme: AuthScheme::Basic, username: Some(username.into()), keyring: keyring.into() }
    }

    /// Why this auth cannot be used as written, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.keyring.trim().is_empty() || self.keyring.chars().any(char::is_control) {
            return Some("auth.keyring must name a keyring entry".into());
        }
        match (self.scheme, &self.username) {
            (AuthScheme::Basic, None) => Some("auth with scheme \"basic\" needs a username".into()),
            (AuthScheme::Basic, Some(user)) if user.contains(':') || user.chars().any(char::is_control) => {
                Some("auth.username cannot hold \":\" or control characters".into())
            }
            (AuthScheme::Bearer, Some(_)) => Some("auth with scheme \"bearer\" takes no username".into()),
            _ => None,
        }
    }

    /// Adds the `Authorization` header, with the secret from `secrets`.
    pub fn apply(&self, config: SubscriptionConfig, secrets: &dyn Secrets) -> Result<SubscriptionConfig, AuthError> {
        let secret = secrets.get(&self.keyring)?;
        let applied = match (self.scheme, &self.username) {
            (AuthScheme::Basic, Some(user)) => config.basic(user, &secret),
            _ => config.bearer(&secret),
        };
        applied.map_err(|_| AuthError::Unusable(self.keyring.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecrets;

    #[test]
    fn the_secret_comes_from_the_keyring_into_a_sensitive_header() {
        let secrets = MemorySecrets::default();
        secrets.set("tasks", "s3cret").unwrap();
        let config = Auth::bearer("tasks").apply(SubscriptionConfig::new("http://127.0.0.1/"), &secrets).unwrap();
        let header = &config.headers[reqwest::header::AUTHORIZATION];
        assert_eq!(header, "Bearer s3cret");
        assert!(header.is_sensitive());
        assert!(!format!("{config:?}").contains("s3cret"), "a debug print shows no secret");

        let config = Auth::basic("ana", "tasks").apply(SubscriptionConfig::new("http://127.0.0.1/"), &secrets).unwrap();
        // "ana:s3cret" in base64, as RFC 7617 spells it.
        assert_eq!(config.headers[reqwest::header::AUTHORIZATION], "Basic YW5hOnMzY3JldA==");
    }

    #[test]
    fn a_missing_or_unusable_secret_is_a_clear_error() {
        let secrets = MemorySecrets::default();
        let missing = Auth::bearer("nope").apply(SubscriptionConfig::new("http://127.0.0.1/"), &secrets).unwrap_err();
        assert_eq!(missing.to_string(), "its secret: the keyring holds no secret named \"nope\" (service \"herald\")");
        secrets.set("bad", "line\nbreak").unwrap();
        let unusable = Auth::bearer("bad").apply(SubscriptionConfig::new("http://127.0.0.1/"), &secrets).unwrap_err();
        assert!(!unusable.to_string().contains("break"), "{unusable}");
    }

    #[test]
    fn problems_are_named() {
        assert_eq!(Auth::bearer("tasks").problem(), None);
        assert_eq!(Auth::basic("ana", "tasks").problem(), None);
        assert!(Auth::bearer(" ").problem().unwrap().contains("keyring"));
        let no_user = Auth { scheme: AuthScheme::Basic, username: None, keyring: "k".into() };
        assert!(no_user.problem().unwrap().contains("needs a username"));
        assert!(Auth::basic("a:b", "k").problem().unwrap().contains("\":\""));
    }
}
