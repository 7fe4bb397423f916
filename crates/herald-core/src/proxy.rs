//! How a feed reaches its server, chosen in this order ([`Route::choose`]):
//!
//! 1. the feed's own choice: `proxy = "http://…"`, `"socks5h://…"`, or
//!    `"none"` for straight to the server;
//! 2. the environment, when it names a proxy at all (`HTTPS_PROXY`,
//!    `HTTP_PROXY`, `ALL_PROXY`, with `NO_PROXY`, as curl and reqwest read
//!    them): someone set them for this process, on purpose;
//! 3. the desktop's proxy setting, as its ProxyResolver portal answers for
//!    the feed's address ([`DesktopProxies`]: GNOME's and KDE's settings,
//!    PAC files included, are the portal's to read);
//! 4. straight to the server.
//!
//! The feed's state says which applied ([`RouteUsed`]), and a proxy that
//! is down is the proxy's fault, not the server's: a failure to reach
//! anything names it ([`blame`]).
//!
//! A proxy's password is a secret like a token: it lives in the keyring
//! (`proxy_auth`), never in the URL, so a feeds file can be shared.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

/// The desktop's proxy setting, asked for each feed's address.
pub trait DesktopProxies: Send + Sync {
    /// The proxies for `url`, the preferred first, as the ProxyResolver
    /// portal answers: `direct://`, `http://host:port`, `socks://host:port`
    /// and so on. `None` when the desktop says nothing (no portal).
    fn lookup<'a>(&'a self, url: &'a str) -> Pin<Box<dyn Future<Output = Option<Vec<String>>> + Send + 'a>>;
}

/// A desktop without a proxy setting: the CLI's, and the tests'.
pub struct NoDesktop;

impl DesktopProxies for NoDesktop {
    fn lookup<'a>(&'a self, _url: &'a str) -> Pin<Box<dyn Future<Output = Option<Vec<String>>> + Send + 'a>> {
        Box::pin(std::future::ready(None))
    }
}

/// Who chose a feed's way to its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RouteSource {
    /// The feed's own `proxy` setting.
    Feed,
    /// `HTTPS_PROXY` and the rest, with `NO_PROXY`.
    Environment,
    /// The desktop's proxy setting, through its portal.
    Desktop,
    /// Nothing names a proxy.
    Default,
}

/// The way a feed's connection goes, as its state tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RouteUsed {
    /// The proxy's URL, or none for straight to the server.
    pub proxy: Option<String>,
    pub source: RouteSource,
}

impl std::fmt::Display for RouteUsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let way = match &self.proxy {
            Some(proxy) => format!("through the proxy {proxy}"),
            None => "straight to the server".to_owned(),
        };
        let why = match (self.source, &self.proxy) {
            (RouteSource::Feed, _) => " (the feed's own setting)",
            (RouteSource::Environment, Some(_)) => " (from the environment's HTTPS_PROXY and the rest)",
            (RouteSource::Environment, None) => " (the environment's NO_PROXY)",
            (RouteSource::Desktop, _) => " (the desktop's proxy setting)",
            (RouteSource::Default, _) => "",
        };
        write!(f, "{way}{why}")
    }
}

/// The variables that name a proxy, as curl and reqwest read them.
const PROXY_VARIABLES: [&str; 6] = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// Whether the environment names a proxy at all.
fn environment_names_a_proxy() -> bool {
    PROXY_VARIABLES.iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// The proxy the environment gives `url`, by reqwest's own reading of it
/// (hyper-util's matcher: the same code, so what is told is what is done).
fn environment_proxy(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    let intercept = hyper_util::client::proxy::matcher::Matcher::from_env().intercept(&uri)?;
    let proxy = intercept.uri().to_string();
    Some(proxy.strip_suffix('/').map(str::to_owned).unwrap_or(proxy))
}

/// The first of the portal's answers Herald can go by: `direct://`, or a
/// proxy of a scheme it speaks (GLib's `socks://` is SOCKS 5 with the
/// proxy resolving names: `socks5h://`).
fn desktop_choice(answers: &[String]) -> Option<Option<String>> {
    answers.iter().find_map(|answer| {
        let (scheme, rest) = answer.split_once("://")?;
        match scheme {
            "direct" => Some(None),
            "http" | "https" | "socks5h" => Some(Some(answer.clone())),
            "socks" | "socks5" => Some(Some(format!("socks5h://{rest}"))),
            _ => None,
        }
        .map(|way| way.map(|w| w.trim_end_matches('/').to_owned()))
    })
}

/// The way a client goes, with the proxy's password from the keyring.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Route {
    /// As the environment says: a proxy from `HTTPS_PROXY` and the rest,
    /// or none (the client reads it; see [`environment_proxy`]).
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
    /// What the desktop says of `url`, asked only when it would decide:
    /// no choice of the feed's own, and no proxy in the environment.
    pub async fn ask_desktop(
        choice: Option<&ProxyChoice>,
        url: &str,
        desktop: &dyn DesktopProxies,
    ) -> Option<Vec<String>> {
        if choice.is_some() || environment_names_a_proxy() {
            return None;
        }
        desktop.lookup(url).await
    }

    /// The way to `url`, in the order the module says: the feed's
    /// `choice`, the environment, the desktop's answers for it (see
    /// [`Route::ask_desktop`]), or straight. The proxy's password comes
    /// from `secrets` (a keyring call: blocking).
    pub fn choose(
        choice: Option<&ProxyChoice>,
        auth: Option<&ProxyAuth>,
        secrets: &dyn Secrets,
        url: &str,
        desktop: Option<&[String]>,
    ) -> Result<(Route, RouteUsed), SecretError> {
        let used = |proxy, source| RouteUsed { proxy, source };
        if choice.is_some() {
            let route = Route::of(choice, auth, secrets)?;
            let proxy = match &route {
                Route::Via { url, .. } => Some(url.clone()),
                _ => None,
            };
            return Ok((route, used(proxy, RouteSource::Feed)));
        }
        if environment_names_a_proxy() {
            return Ok((Route::Environment, used(environment_proxy(url), RouteSource::Environment)));
        }
        match desktop.and_then(desktop_choice) {
            Some(Some(proxy)) => {
                let route = Route::Via { url: proxy.clone(), auth: None };
                Ok((route, used(Some(proxy), RouteSource::Desktop)))
            }
            Some(None) => Ok((Route::Direct, used(None, RouteSource::Desktop))),
            None => Ok((Route::Environment, used(None, RouteSource::Default))),
        }
    }

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
        assert_eq!(Route::of(None, None, &secrets).unwrap(), Route::Environment);
        assert_eq!(Route::of(Some(&ProxyChoice::None), None, &secrets).unwrap(), Route::Direct);
    }

    #[test]
    fn the_desktops_first_answer_herald_speaks_is_taken() {
        let answers = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(desktop_choice(&answers(&["direct://"])), Some(None));
        assert_eq!(desktop_choice(&answers(&["http://10.0.0.1:3128"])), Some(Some("http://10.0.0.1:3128".into())));
        // GNOME's SOCKS host comes as socks://, socks5:// and socks4://: SOCKS 5, names resolved by the proxy.
        let socks = answers(&["socks4://p:1080", "socks://p:1080", "socks5://p:1080"]);
        assert_eq!(desktop_choice(&socks), Some(Some("socks5h://p:1080".into())));
        assert_eq!(desktop_choice(&answers(&["ftp://x", "garbage"])), None, "nothing Herald speaks: no opinion");
        assert_eq!(desktop_choice(&[]), None);
    }

    #[test]
    fn the_route_used_says_what_and_why() {
        let said = |proxy: Option<&str>, source| RouteUsed { proxy: proxy.map(str::to_owned), source }.to_string();
        assert_eq!(said(None, RouteSource::Default), "straight to the server");
        assert_eq!(
            said(Some("http://p:3128"), RouteSource::Desktop),
            "through the proxy http://p:3128 (the desktop's proxy setting)"
        );
        assert_eq!(said(None, RouteSource::Environment), "straight to the server (the environment's NO_PROXY)");
        assert_eq!(
            said(Some("socks5h://p:1080"), RouteSource::Feed),
            "through the proxy socks5h://p:1080 (the feed's own setting)"
        );
    }

    struct Answers(Vec<String>);

    impl DesktopProxies for Answers {
        fn lookup<'a>(&'a self, _url: &'a str) -> Pin<Box<dyn Future<Output = Option<Vec<String>>> + Send + 'a>> {
            Box::pin(std::future::ready(Some(self.0.clone())))
        }
    }

    #[tokio::test]
    async fn the_feeds_own_choice_wins_over_the_desktop_which_wins_over_nothing() {
        // (The environment's place is proven in its own test binary, `environment_proxy.rs`:
        // the environment is the whole process's.)
        let secrets = MemorySecrets::default();
        let desktop = Answers(vec!["http://desk:3128".into()]);
        let url = "https://tasks.example/subscribe";
        let own = ProxyChoice::None;
        assert_eq!(Route::ask_desktop(Some(&own), url, &desktop).await, None, "not asked");
        let (route, used) = Route::choose(Some(&own), None, &secrets, url, None).unwrap();
        assert_eq!((route, used.source, used.proxy), (Route::Direct, RouteSource::Feed, None));
        if environment_names_a_proxy() {
            return; // a developer's shell with a proxy: the rest is the environment's test's
        }
        let answers = Route::ask_desktop(None, url, &desktop).await;
        let (route, used) = Route::choose(None, None, &secrets, url, answers.as_deref()).unwrap();
        assert_eq!(route, Route::Via { url: "http://desk:3128".into(), auth: None });
        assert_eq!(used.source, RouteSource::Desktop);
        let answers = Route::ask_desktop(None, url, &NoDesktop).await;
        let (route, used) = Route::choose(None, None, &secrets, url, answers.as_deref()).unwrap();
        assert_eq!((route, used), (Route::Environment, RouteUsed { proxy: None, source: RouteSource::Default }));
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
