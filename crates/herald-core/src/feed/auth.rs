//! A feed's authentication: the scheme, and the name of the keyring entry
//! that holds its secret. The secret is fetched only when the feed is
//! followed, and travels in a header marked sensitive, so it is never
//! stored, exported or printed.
//!
//! With `scheme = "oidc"` the feed signs in to an OpenID provider instead
//! (`issuer`, `client_id`, `scopes`): the keyring holds the refresh token
//! the sign-in gave (in `keyring`, or else the entry "NAME sign-in"), and
//! the access token lives only in memory ([`crate::oidc`]).

use serde::{Deserialize, Serialize};

use crate::oidc::OidcSettings;
use crate::secrets::{SecretError, Secrets};
use crate::sse::SubscriptionConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic`, with `username` and the password.
    Basic,
    /// Single sign-on: `Authorization: Bearer` with an access token from
    /// an OpenID provider, refreshed as it expires.
    Oidc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub scheme: AuthScheme,
    /// For `basic` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The keyring entry (under the service `herald`) holding the token or
    /// password; for `oidc`, the refresh token, and optional.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyring: String,
    /// For `oidc` only: the provider (its `.well-known/openid-configuration`
    /// is read), Herald's client id there, and the scopes to ask for besides
    /// `openid` and `offline_access`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
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
        Auth { keyring: keyring.into(), ..Auth::of(AuthScheme::Bearer) }
    }

    pub fn basic(username: impl Into<String>, keyring: impl Into<String>) -> Auth {
        Auth { username: Some(username.into()), keyring: keyring.into(), ..Auth::of(AuthScheme::Basic) }
    }

    /// Single sign-on with `client_id` at `issuer`, asking for `scopes`.
    pub fn oidc(issuer: impl Into<String>, client_id: impl Into<String>, scopes: &[&str]) -> Auth {
        Auth {
            issuer: Some(issuer.into()),
            client_id: Some(client_id.into()),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Auth::of(AuthScheme::Oidc)
        }
    }

    fn of(scheme: AuthScheme) -> Auth {
        Auth { scheme, username: None, keyring: String::new(), issuer: None, client_id: None, scopes: Vec::new() }
    }

    /// The keyring entry of the feed `feed`'s secret: the one named, or
    /// for a sign-in, "FEED sign-in".
    pub fn entry(&self, feed: &str) -> String {
        match (self.scheme, self.keyring.is_empty()) {
            (AuthScheme::Oidc, true) => format!("{feed} sign-in"),
            _ => self.keyring.clone(),
        }
    }

    /// The single sign-on of the feed `feed`, if this auth is one, and
    /// whether it is fit to use.
    pub fn sign_in(&self, feed: &str) -> Option<Result<OidcSettings, String>> {
        if self.scheme != AuthScheme::Oidc {
            return None;
        }
        Some(match self.problem() {
            Some(problem) => Err(problem),
            None => Ok(OidcSettings {
                issuer: self.issuer.clone().unwrap_or_default(),
                client_id: self.client_id.clone().unwrap_or_default(),
                scopes: self.scopes.clone(),
                entry: self.entry(feed),
            }),
        })
    }

    /// Why this auth cannot be used as written, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.scheme == AuthScheme::Oidc {
            return self.oidc_problem();
        }
        if self.keyring.trim().is_empty() || self.keyring.chars().any(char::is_control) {
            return Some("auth.keyring must name a keyring entry".into());
        }
        if self.issuer.is_some() || self.client_id.is_some() || !self.scopes.is_empty() {
            return Some("auth.issuer, client_id and scopes are for scheme \"oidc\" only".into());
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

    fn oidc_problem(&self) -> Option<String> {
        let issuer = self.issuer.as_deref().unwrap_or_default();
        match reqwest::Url::parse(issuer) {
            Ok(url) if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)) => {}
            _ => {
                return Some(format!(
                    "auth with scheme \"oidc\" needs an issuer = \"https://…\" (the provider's address), not {issuer:?}"
                ))
            }
        }
        if self.client_id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Some("auth with scheme \"oidc\" needs the client_id Herald has at the provider".into());
        }
        if self.username.is_some() {
            return Some("auth with scheme \"oidc\" takes no username: the provider signs you in".into());
        }
        if self.keyring.chars().any(char::is_control) {
            return Some("auth.keyring must name a keyring entry".into());
        }
        if let Some(bad) =
            self.scopes.iter().find(|s| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Some(format!("auth.scopes: {bad:?} is not a scope (one word each)"));
        }
        None
    }

    /// Adds the `Authorization` header, with the secret from `secrets`
    /// (not for `oidc`, whose header changes as its token is refreshed:
    /// see [`crate::oidc::Session`]).
    pub fn apply(&self, config: SubscriptionConfig, secrets: &dyn Secrets) -> Result<SubscriptionConfig, AuthError> {
        let secret = secrets.get(&self.keyring)?;
        let applied = match (self.scheme, &self.username) {
            (AuthScheme::Basic, Some(user)) => config.basic(user, &secret),
            _ => config.bearer(&secret),
        };
        applied.map_err(|_| AuthError::Unusable(self.keyring.clone()))
    }
}

/// Whether `url`'s host is this machine (where plain HTTP is no hazard).
fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
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
        let no_user = Auth { username: None, ..Auth::basic("x", "k") };
        assert!(no_user.problem().unwrap().contains("needs a username"));
        assert!(Auth::basic("a:b", "k").problem().unwrap().contains("\":\""));
    }

    #[test]
    fn a_sign_in_needs_an_https_issuer_and_a_client_id_and_keeps_its_token_apart() {
        let good = Auth::oidc("https://id.corp.example/realms/staff", "herald", &["tasks"]);
        assert_eq!(good.problem(), None);
        assert_eq!(good.entry("tasks"), "tasks sign-in");
        assert_eq!(Auth { keyring: "corp sso".into(), ..good.clone() }.entry("tasks"), "corp sso");
        assert_eq!(Auth::oidc("http://127.0.0.1:8080", "herald", &[]).problem(), None, "loopback may be http");
        let plain = Auth::oidc("http://id.corp.example", "herald", &[]).problem().unwrap();
        assert!(plain.contains("https://"), "{plain}");
        assert!(Auth::oidc("https://id.corp.example", " ", &[]).problem().unwrap().contains("client_id"));
        assert!(Auth::oidc("https://id.corp.example", "h", &["a b"]).problem().unwrap().contains("scope"));
        let stray = Auth { issuer: Some("https://id.corp.example".into()), ..Auth::bearer("k") };
        assert!(stray.problem().unwrap().contains("oidc"));
        let parsed: Auth = toml::from_str(
            "scheme = \"oidc\"\nissuer = \"https://id.corp.example\"\nclient_id = \"herald\"\nscopes = [\"tasks\"]",
        )
        .unwrap();
        assert_eq!(parsed, Auth::oidc("https://id.corp.example", "herald", &["tasks"]));
    }
}
