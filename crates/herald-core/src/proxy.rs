//! How a feed reaches its server: through the proxy the environment names
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, as curl and
//! reqwest read them), through one the feed names (`proxy = "http://…"`
//! or `"socks5h://…"`), or directly (`proxy = "none"`).
//!
//! A proxy's password is a secret like a token: it lives in the keyring
//! (`proxy_auth`), never in the URL, so a feeds file can be shared. And a
//! proxy that is down is the proxy's fault, not the server's: the feed's
//! state says which one failed ([`Route::describe`]).

use serde::{Deserialize, Serialize};

use crate::secrets::{SecretError, Secrets};

/// A feed's own choice of proxy, as its settings say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyChoice {
    /// Straight to the server, whatever the environment says.
    None,
    /// Through this proxy: `http://`, `https://`, `socks5://` or `socks5h://`
    /// (the proxy resolves the server's name).
    Via(String),
}

/// The schemes a proxy may have.
const SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

impl std::str::FromStr for ProxyChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "none" {
            return Ok(ProxyChoice::None);
        }
        let url = reqwest::Url::parse(text).map_err(|e| format!("proxy {text:?} is not a URL ({e})"))?;
        if !SCHEMES.contains(&url.scheme()) {
            return Err(format!("proxy {text:?} must be http://, https://, socks5:// or socks5h://, or \"none\""));
        }
        if url.host_str().is_none() {
            return Err(format!("proxy {text:?} names no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("a proxy's credentials go in the keyring, not its URL: give the feed \
                        proxy_auth = { username = \"…\", keyring = \"ENTRY\" }"
                .into());
        }
        Ok(ProxyChoice::Via(text.to_owned()))
    }
}

impl Serialize for ProxyChoice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ProxyChoice::None => serializer.serialize_str("none"),
            ProxyChoice::Via(url) => serializer.serialize_str(url),
        }
    }
}

impl<'de> Deserialize<'de> for ProxyChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A proxy's user, and the keyring entry (service `herald`) of its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyAuth {
    pub username: String,
    pub keyring: String,
}

/// The way a client goes, with the proxy's password from the keyring.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Route {
    /// As the environment says: a proxy from `HTTPS_PROXY` and the rest,
    /// or none.
    #[default]
    Environment,
    Direct,
    Via {
        url: String,
        /// User and password.
        auth: Option<(String, String)>,
    },
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Route::Environment => f.write_str("Environment"),
            Route::Direct => f.write_str("Direct"),
            Route::Via { url, auth } => {
                f.debug_struct("Via").field("url", url).field("user", &auth.as_ref().map(|(u, _)| u)).finish()
            }
        }
    }
}

impl Route {
    /// The route a feed's settings choose; the proxy's password from
    /// `secrets`.
    pub fn of(
        choice: Option<&ProxyChoice>,
        auth: Option<&ProxyAuth>,
        secrets: &dyn Secrets,
    ) -> Result<Route, SecretError> {
        Ok(match choice {
            None => Route::Environment,
            Some(ProxyChoice::None) => Route::Direct,
            Some(ProxyChoice::Via(url)) => {
                let auth = match auth {
                    Some(auth) => Some((auth.username.clone(), secrets.get(&auth.keyring)?)),
                    None => None,
                };
                Route::Via { url: url.clone(), auth }
            }
        })
    }

    /// `builder`, going this way.
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
        Ok(match self {
            Route::Environment => builder,
            Route::Direct => builder.no_proxy(),
            Route::Via { url, auth } => {
                let mut proxy = reqwest::Proxy::all(url).map_err(|e| format!("proxy {url}: {e}"))?;
                if let Some((user, password)) = auth {
                    proxy = proxy.basic_auth(user, password);
                }
                builder.proxy(proxy)
            }
        })
    }

    /// The proxy a feed's own settings send it through, for its state to
    /// name when the proxy fails.
    pub fn describe(&self) -> Option<String> {
        match self {
            Route::Via { url, .. } => Some(format!("the proxy {url}")),
            _ => None,
        }
    }
}

/// A failure to reach anything through `proxy` ("the proxy http://…"),
/// said as the proxy's: down, refusing Herald's credentials, or unable to
/// reach the server. The transport keeps only the error's words, so these
/// are read from hyper's.
pub fn blame(proxy: &str, message: &str) -> String {
    if message.contains("proxy authorization required") || message.contains("407") {
        format!("{proxy} refused Herald's credentials (407 Proxy Authentication Required): {message}")
    } else if message.contains("failed to create underlying connection") || !message.contains("tunnel error") {
        format!("{proxy} cannot be reached: {message}")
    } else {
        format!("{proxy} could not reach the server: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecrets;

    #[test]
    fn a_proxy_is_a_url_of_a_proxys_scheme_without_credentials_or_none() {
        assert_eq!("none".parse(), Ok(ProxyChoice::None));
        for good in ["http://proxy.corp:3128", "socks5h://127.0.0.1:1080", "https://p.example"] {
            assert_eq!(good.parse(), Ok(ProxyChoice::Via(good.into())));
        }
        assert!("ftp://p:21".parse::<ProxyChoice>().unwrap_err().contains("must be http://"));
        assert!("proxy.corp:3128".parse::<ProxyChoice>().unwrap_err().contains("must be http://"), "no scheme");
        let secret = "http://ana:s3cret@proxy.corp:3128".parse::<ProxyChoice>().unwrap_err();
        assert!(secret.contains("keyring") && !secret.contains("s3cret"), "{secret}");
    }

    #[test]
    fn the_password_comes_from_the_keyring_and_is_never_printed() {
        let secrets = MemorySecrets::default();
        let via = ProxyChoice::Via("http://proxy.corp:3128".into());
        let auth = ProxyAuth { username: "ana".into(), keyring: "corp proxy".into() };
        let missing = Route::of(Some(&via), Some(&auth), &secrets).unwrap_err();
        assert!(matches!(missing, SecretError::Missing { .. }));
        secrets.set("corp proxy", "s3cret").unwrap();
        let route = Route::of(Some(&via), Some(&auth), &secrets).unwrap();
        assert!(!format!("{route:?}").contains("s3cret"));
        assert_eq!(route.describe().as_deref(), Some("the proxy http://proxy.corp:3128"));
        assert_eq!(Route::of(None, None, &secrets).unwrap(), Route::Environment);
        assert_eq!(Route::of(Some(&ProxyChoice::None), None, &secrets).unwrap().describe(), None);
    }

    #[test]
    fn a_failure_through_a_proxy_is_told_as_the_proxys_by_hypers_words() {
        let p = "the proxy http://p:3128";
        let down = "client error (Connect): tunnel error: failed to create underlying connection: tcp connect error";
        assert!(blame(p, down).starts_with("the proxy http://p:3128 cannot be reached: "));
        let auth = "client error (Connect): tunnel error: proxy authorization required";
        assert!(blame(p, auth).contains("refused Herald's credentials (407"));
        let beyond = "client error (Connect): tunnel error: unsuccessful";
        assert!(blame(p, beyond).contains("could not reach the server"));
    }
}
