//! The window's feed form. A feed added in the window must be refused for
//! exactly the reasons, and in the words, that `herald-cli feeds import`
//! uses: so the form becomes a [`Feed`] and is checked by the same
//! [`check`], and a refusal's setting names the form's input.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::check::{check, Setting};
use super::{Auth, AuthScheme, ClientIdentity, Feed, Me, Preset, ProxyChoice, Retention};

/// A feed as the window edits it. The secret is not here: it goes to the
/// keyring on its own, and is never sent back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct FeedForm {
    pub name: String,
    pub url: String,
    /// The kind of server; a plain stream when absent.
    pub preset: Option<Preset>,
    pub headers: Vec<HeaderField>,
    /// A REST `GET` of the whole collection, for resync.
    pub snapshot_url: String,
    /// The field that identifies a record (`id` when blank).
    pub key_field: String,
    /// Who the user is: a name the server uses for them, or an http(s) URL
    /// that says it. Blank: the preset's, if any.
    pub me: String,
    /// Authentication: none, bearer (a token), basic (a user and password)
    /// or a single sign-on.
    pub auth: FormAuth,
    pub username: String,
    /// For a single sign-on: the identity provider (its issuer URL),
    /// Herald's client id there, and the scopes to ask for besides
    /// `openid` and `offline_access`, separated by spaces.
    pub issuer: String,
    pub client_id: String,
    pub scopes: String,
    /// The feed's own proxy: a URL (`http://…`, `socks5h://…`), `none`
    /// for straight to the server, or blank for the environment's or the
    /// desktop's.
    pub proxy: String,
    /// Trusted certificates (PEM), as "Trust this certificate" saved them.
    pub ca_cert: Option<String>,
    /// The client certificate to present (mutual TLS): a PEM chain or a
    /// PKCS#12 file. Its key goes to the keyring as a [`ClientKey`].
    pub client_cert: Option<String>,
    #[ts(type = "number | null")]
    pub keep_days: Option<u64>,
    #[ts(type = "number | null")]
    pub keep_count: Option<u64>,
    pub paused: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum FormAuth {
    #[default]
    None,
    Bearer,
    Basic,
    /// Single sign-on with an OpenID provider (`scheme = "oidc"`).
    SignIn,
}

/// What unlocks a form's client certificate, given once, to go to the
/// keyring: the PEM key's file (read by the tray process), or a PKCS#12
/// file's passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum ClientKey {
    File {
        #[ts(type = "string")]
        path: PathBuf,
    },
    Passphrase {
        passphrase: String,
    },
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientKey::File { path } => write!(f, "the key file {}", path.display()),
            ClientKey::Passphrase { .. } => f.write_str("a passphrase"),
        }
    }
}

impl ClientKey {
    /// What the keyring keeps: the key file's contents, or the passphrase.
    /// Blocking: it reads the file.
    pub fn secret(&self) -> Result<String, String> {
        match self {
            ClientKey::File { path } => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display())),
            ClientKey::Passphrase { passphrase } => Ok(passphrase.clone()),
        }
    }
}

/// Why a form was refused, and which field to fix (empty: a setting the
/// form does not show). It crosses to the window as an invalid
/// [`Error`](crate::Error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The form's field (`name`, `url`, `headers`, …).
    pub field: String,
    pub message: String,
}

const DAY: u64 = 24 * 3600;

impl FeedForm {
    /// The form for an existing feed, to edit it.
    pub fn of(feed: &Feed) -> FeedForm {
        let s = &feed.settings;
        let sign_in = s.auth.as_ref().filter(|a| a.scheme == AuthScheme::Oidc);
        let (auth, username) = match &s.auth {
            None => (FormAuth::None, String::new()),
            Some(auth) => match auth.scheme {
                AuthScheme::Bearer => (FormAuth::Bearer, String::new()),
                AuthScheme::Basic => (FormAuth::Basic, auth.username.clone().unwrap_or_default()),
                AuthScheme::Oidc => (FormAuth::SignIn, String::new()),
            },
        };
        FeedForm {
            name: feed.name.clone(),
            url: feed.url.clone(),
            preset: s.preset,
            headers: s
                .headers
                .iter()
                .map(|(name, value)| HeaderField { name: name.clone(), value: value.clone() })
                .collect(),
            snapshot_url: s.snapshot_url.clone().unwrap_or_default(),
            key_field: s.key_field.clone().unwrap_or_default(),
            me: match &s.me {
                None => String::new(),
                Some(Me::Actor { actor }) => actor.clone(),
                Some(Me::Endpoint { url, .. }) => url.clone(),
            },
            auth,
            username,
            issuer: sign_in.and_then(|a| a.issuer.clone()).unwrap_or_default(),
            client_id: sign_in.and_then(|a| a.client_id.clone()).unwrap_or_default(),
            scopes: sign_in.map(|a| a.scopes.join(" ")).unwrap_or_default(),
            proxy: match &s.proxy {
                None => String::new(),
                Some(ProxyChoice::None) => "none".into(),
                Some(ProxyChoice::Via(url)) => url.clone(),
            },
            ca_cert: s.ca_cert.as_ref().map(|p| p.display().to_string()),
            client_cert: s.client_identity.as_ref().map(|i| i.cert.display().to_string()),
            keep_days: feed.retention.max_age.map(|age| age.as_secs().div_ceil(DAY)),
            keep_count: feed.retention.max_count,
            paused: s.paused,
        }
    }

    /// The feed this form describes, or the first field that is wrong.
    pub fn to_feed(&self) -> Result<Feed, FieldError> {
        self.to_feed_over(None)
    }

    /// The feed the form describes, over `existing` (the feed as stored, when
    /// editing): what the form does not show (its meaning, rules, resume
    /// mode and write URL) stays as it was, rather than reverting to the
    /// preset's. Checked by [`check`], as a feeds file is; a refusal names
    /// the form's input, or none when the setting is not on the form.
    pub fn to_feed_over(&self, existing: Option<&Feed>) -> Result<Feed, FieldError> {
        let mut feed = existing.cloned().unwrap_or_else(|| Feed::new("", ""));
        let name = self.name.trim();
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        feed.name = name.to_owned();
        feed.url = self.url.trim().to_owned();
        let s = &mut feed.settings;
        s.preset = self.preset;
        s.headers = self
            .headers
            .iter()
            .filter(|h| !h.name.trim().is_empty() || !h.value.is_empty())
            .map(|h| (h.name.trim().to_owned(), h.value.clone()))
            .collect();
        s.snapshot_url = given(&self.snapshot_url);
        s.key_field = given(&self.key_field);
        s.me = given(&self.me).map(|me| match (&s.me, me.contains("://")) {
            (Some(Me::Endpoint { pointer, .. }), true) => Me::Endpoint { url: me, pointer: pointer.clone() },
            (_, true) => Me::Endpoint { url: me, pointer: herald_wire::ME_POINTER.into() },
            (_, false) => Me::Actor { actor: me },
        });
        s.auth = match self.auth {
            FormAuth::None => None,
            FormAuth::Bearer => Some(Auth::bearer(name)),
            FormAuth::Basic => Some(Auth { username: given(&self.username), ..Auth::basic("", name) }),
            FormAuth::SignIn => {
                // Where its refresh token is kept stays as it was.
                let kept = s.auth.as_ref().filter(|a| a.scheme == AuthScheme::Oidc).map(|a| a.keyring.clone());
                let scopes: Vec<&str> = self.scopes.split_whitespace().collect();
                let auth = Auth::oidc(self.issuer.trim(), self.client_id.trim(), &scopes);
                Some(Auth { keyring: kept.unwrap_or_default(), ..auth })
            }
        };
        s.proxy = match given(&self.proxy) {
            None => None,
            Some(proxy) => Some(proxy.parse().map_err(|message| FieldError { field: "proxy".into(), message })?),
        };
        if !matches!(s.proxy, Some(ProxyChoice::Via(_))) {
            // A password for a proxy no longer named has nothing to sign in to.
            s.proxy_auth = None;
        }
        s.ca_cert = self.ca_cert.as_deref().and_then(given).map(PathBuf::from);
        s.client_identity = self
            .client_cert
            .as_deref()
            .and_then(given)
            .map(|cert| ClientIdentity { cert: PathBuf::from(cert), keyring: client_key_entry(name) });
        s.paused = self.paused;
        feed.retention = Retention { max_count: self.keep_count, max_age: self.max_age() };
        check(&feed).map_err(|refusal| {
            let field = match self.input(refusal.setting) {
                "issuer" if refusal.reason.contains("client_id") => "clientId",
                "issuer" if refusal.reason.contains("scope") => "scopes",
                field => field,
            };
            FieldError { field: field.into(), message: refusal.reason }
        })?;
        Ok(feed)
    }

    /// The form's input for a setting; empty for one the form does not show.
    fn input(&self, setting: Setting) -> &'static str {
        match setting {
            Setting::Name => "name",
            Setting::Url => "url",
            Setting::Headers => "headers",
            Setting::CaCert => "caCert",
            Setting::ClientIdentity => "clientCert",
            Setting::SnapshotUrl => "snapshotUrl",
            Setting::KeyField => "keyField",
            Setting::Me => "me",
            Setting::Auth if self.auth == FormAuth::Basic => "username",
            Setting::Auth if self.auth == FormAuth::SignIn => "issuer",
            Setting::ProxyAuth => "proxy",
            Setting::Auth => "auth",
            Setting::KeepCount => "keepCount",
            Setting::KeepDays => "keepDays",
            _ => "",
        }
    }

    /// The keyring entry that holds this feed's secret, when it has one.
    pub fn secret_entry(&self) -> Option<String> {
        matches!(self.auth, FormAuth::Bearer | FormAuth::Basic).then(|| self.name.trim().to_owned())
    }
}

/// The keyring entry a feed's client key (or passphrase) is kept in, as
/// the window and `herald-cli feeds add` name it.
pub fn client_key_entry(feed: &str) -> String {
    format!("{feed} client key")
}

/// Where a certificate the user chose to trust is kept: beside the store,
/// named by its fingerprint, so trusting it twice writes one file.
pub fn pinned_certificate_path(dir: &std::path::Path, fingerprint: &str) -> PathBuf {
    let name: String = fingerprint.chars().filter(char::is_ascii_hexdigit).collect();
    dir.join(format!("{}.pem", name.to_ascii_lowercase()))
}

impl FeedForm {
    /// The retention this form keeps.
    pub fn max_age(&self) -> Option<Duration> {
        self.keep_days.map(|d| Duration::from_secs(d.saturating_mul(DAY)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{parse_feeds, Auth};

    fn form(name: &str, url: &str) -> FeedForm {
        FeedForm { name: name.into(), url: url.into(), ..FeedForm::default() }
    }

    #[test]
    fn a_good_form_is_the_feed_it_describes_and_reads_back() {
        let mut good = form("tasks", "https://tasks.example.com/events");
        good.preset = Some(Preset::TaskList);
        good.headers = vec![HeaderField { name: "X-Team".into(), value: "blue \"sky\"".into() }];
        good.snapshot_url = "https://tasks.example.com/tasks".into();
        good.me = "ana".into();
        good.auth = FormAuth::Basic;
        good.username = "ana".into();
        good.keep_days = Some(30);
        let feed = good.to_feed().unwrap();
        assert_eq!(feed.settings.headers["X-Team"], "blue \"sky\"");
        assert_eq!(feed.settings.auth, Some(Auth::basic("ana", "tasks")));
        assert_eq!(feed.settings.me, Some(Me::Actor { actor: "ana".into() }));
        assert_eq!(feed.retention.max_age, good.max_age());
        assert_eq!(FeedForm::of(&feed), good);
    }

    #[test]
    fn editing_keeps_what_the_form_does_not_show() {
        let text = r#"
[[feed]]
name = "alerts"
url = "https://ntfy.example.com/alerts/sse"
preset = "ntfy"
write_url = "https://ntfy.example.com/alerts"
message = { title = "/title", body = "/message" }
coalesce = { burst_count = 10 }

[[feed.rule]]
when = [{ pointer = "/priority", equals = 5 }]
then = "urgent"
"#;
        let stored = parse_feeds(text).unwrap().remove(0);
        let mut edited = FeedForm::of(&stored);
        edited.url = "https://ntfy.example.com/alerts/sse?x=1".into();
        let saved = edited.to_feed_over(Some(&stored)).unwrap();
        assert_eq!(saved.url, edited.url);
        assert_eq!(saved.settings.rules, stored.settings.rules);
        assert_eq!(saved.settings.rules.len(), 1);
        assert_eq!(saved.settings.coalesce.map(|c| c.burst_count), Some(10));
        assert_eq!(
            (&saved.settings.message, &saved.settings.write_url),
            (&stored.settings.message, &stored.settings.write_url)
        );
        assert!(edited.to_feed_over(None).unwrap().settings.rules.is_empty(), "a new feed has only what the form says");
    }

    #[test]
    fn each_refusal_names_its_field_with_the_feeds_files_words() {
        let refused = |f: FeedForm| f.to_feed().unwrap_err();
        let bad_url = refused(form("x", "ftp://example.com/x"));
        assert_eq!(
            bad_url,
            FieldError { field: "url".into(), message: "\"ftp://example.com/x\" is not an http(s) URL".into() }
        );
        assert_eq!(refused(form("  ", "http://127.0.0.1/")).field, "name");
        let mut header = form("x", "http://127.0.0.1/");
        header.headers = vec![HeaderField { name: "Authorization".into(), value: "Bearer t".into() }];
        let error = refused(header);
        assert_eq!(error.field, "headers");
        assert!(error.message.contains("OS keyring"), "{}", error.message);
        let mut cookie = form("x", "http://127.0.0.1/");
        cookie.headers = vec![HeaderField { name: "Cookie".into(), value: "s=1".into() }];
        assert_eq!(refused(cookie).field, "headers");
        let mut basic = form("x", "http://127.0.0.1/");
        basic.auth = FormAuth::Basic;
        assert_eq!(refused(basic).field, "username", "basic needs a username");
        let mut snapshot = form("x", "http://127.0.0.1/");
        snapshot.snapshot_url = "not a url".into();
        assert_eq!(refused(snapshot).field, "snapshotUrl");
        let mut hostile = form("x\"\n[[feed]]\nname = \"y\\", "http://127.0.0.1/");
        hostile.me = "\" }\nme = { actor = \"z".into();
        let feed = hostile.to_feed().unwrap();
        assert_eq!(feed.name, "x\"\n[[feed]]\nname = \"y\\", "values are quoted, never read as TOML");
        assert_eq!(feed.settings.me, Some(Me::Actor { actor: hostile.me.clone() }));
        let mut me = form("x", "http://127.0.0.1/");
        me.me = "ftp://who".into();
        assert_eq!(refused(me).field, "me");
        let mut proxy = form("x", "http://127.0.0.1/");
        proxy.proxy = "http://ana:pw@proxy:3128".into();
        let error = refused(proxy);
        assert_eq!(error.field, "proxy");
        assert!(!error.message.contains("pw"), "{}", error.message);
        let mut sso = form("x", "http://127.0.0.1/");
        sso.auth = FormAuth::SignIn;
        sso.issuer = "http://id.corp.example".into();
        assert_eq!(refused(sso.clone()).field, "issuer");
        sso.issuer = "https://id.corp.example".into();
        assert_eq!(refused(sso).field, "clientId");
    }

    #[test]
    fn a_sign_in_and_a_proxy_go_through_the_form_and_back() {
        let mut sso = form("tasks", "https://tasks.corp.example/events");
        sso.auth = FormAuth::SignIn;
        sso.issuer = "https://id.corp.example/realms/staff".into();
        sso.client_id = "herald".into();
        sso.scopes = " tasks  profile ".into();
        sso.proxy = "socks5h://127.0.0.1:1080".into();
        let feed = sso.to_feed().unwrap();
        assert_eq!(
            feed.settings.auth,
            Some(Auth::oidc("https://id.corp.example/realms/staff", "herald", &["tasks", "profile"]))
        );
        assert_eq!(feed.settings.proxy, Some(ProxyChoice::Via("socks5h://127.0.0.1:1080".into())));
        assert_eq!(sso.secret_entry(), None, "a sign-in has no secret to type");
        let back = FeedForm::of(&feed);
        assert_eq!((back.scopes.as_str(), back.proxy.as_str()), ("tasks profile", "socks5h://127.0.0.1:1080"));
        let mut direct = back.clone();
        direct.proxy = "none".into();
        assert_eq!(direct.to_feed().unwrap().settings.proxy, Some(ProxyChoice::None));
        direct.proxy = String::new();
        assert_eq!(direct.to_feed().unwrap().settings.proxy, None);
    }

    #[test]
    fn a_pinned_certificate_is_named_by_its_fingerprint() {
        let path = pinned_certificate_path(std::path::Path::new("/d"), "AB:CD:0F");
        assert_eq!(path, PathBuf::from("/d/abcd0f.pem"));
    }
}
