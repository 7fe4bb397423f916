//! Who may use the hub, and how its event stream behaves.
//!
//! A config file looks like this:
//!
//! ```toml
//! anonymous_reads = true   # GET without a token is allowed (default false)
//! keepalive_secs = 15      # a `:` comment this often on idle streams (default 15)
//! retry_ms = 3000          # the `retry:` sent once per stream (default 3000)
//! presence_debounce_ms = 2000  # joins and leaves told at most this often (default 2000)
//! focus_ttl_secs = 60      # a `PUT /presence` holds this long unless renewed (default 60)
//!
//! [actors]                 # actor name = bearer token
//! Ana = "ana-secret"
//! Bob = "bob-secret"
//! ```
//!
//! A bad file is refused with the line and the reason, never half-applied.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct HubConfig {
    /// (actor name, bearer token) pairs; tokens are unique.
    actors: Vec<(String, String)>,
    pub anonymous_reads: bool,
    pub keepalive: Duration,
    pub retry: Duration,
    /// Keep only this many changes in the log; a subscriber whose
    /// `Last-Event-ID` is older gets `event: reset`. `None` keeps them all.
    pub history: Option<u64>,
    /// Joins and leaves within this long are told as one `event: presence`,
    /// so that a storm of reconnections stays quiet.
    pub presence_debounce: Duration,
    /// How long a `PUT /presence` holds before it must be renewed.
    pub focus_ttl: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            actors: Vec::new(),
            anonymous_reads: false,
            keepalive: Duration::from_secs(15),
            retry: Duration::from_millis(3000),
            history: None,
            presence_debounce: Duration::from_secs(2),
            focus_ttl: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("line {line}: {reason}")]
    Invalid { line: usize, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    anonymous_reads: bool,
    keepalive_secs: Option<Spanned<u64>>,
    retry_ms: Option<Spanned<u64>>,
    history: Option<Spanned<u64>>,
    presence_debounce_ms: Option<Spanned<u64>>,
    focus_ttl_secs: Option<Spanned<u64>>,
    #[serde(default)]
    actors: BTreeMap<String, Spanned<String>>,
}

impl HubConfig {
    /// Adds an actor who authenticates with `token`.
    pub fn with_actor(mut self, name: impl Into<String>, token: impl Into<String>) -> Self {
        self.actors.push((name.into(), token.into()));
        self
    }

    pub fn with_anonymous_reads(mut self, allowed: bool) -> Self {
        self.anonymous_reads = allowed;
        self
    }

    pub fn with_keepalive(mut self, every: Duration) -> Self {
        self.keepalive = every;
        self
    }

    pub fn with_presence(mut self, debounce: Duration, focus_ttl: Duration) -> Self {
        self.presence_debounce = debounce;
        self.focus_ttl = focus_ttl;
        self
    }

    /// The actor a bearer token belongs to.
    pub fn actor_for(&self, token: &str) -> Option<&str> {
        self.actors.iter().find(|(_, t)| t == token).map(|(name, _)| name.as_str())
    }

    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            line: e.span().map(|s| line_of(s.start)).unwrap_or(1),
            reason: e.message().to_owned(),
        })?;
        let invalid =
            |span: std::ops::Range<usize>, reason: String| ConfigError::Invalid { line: line_of(span.start), reason };

        let mut config = HubConfig { anonymous_reads: raw.anonymous_reads, ..HubConfig::default() };
        if let Some(secs) = raw.keepalive_secs {
            if !(1..=3600).contains(secs.get_ref()) {
                return Err(invalid(secs.span(), "keepalive_secs must be between 1 and 3600".into()));
            }
            config.keepalive = Duration::from_secs(*secs.get_ref());
        }
        if let Some(ms) = raw.retry_ms {
            if !(100..=600_000).contains(ms.get_ref()) {
                return Err(invalid(ms.span(), "retry_ms must be between 100 and 600000".into()));
            }
            config.retry = Duration::from_millis(*ms.get_ref());
        }
        if let Some(history) = raw.history {
            if *history.get_ref() == 0 {
                return Err(invalid(history.span(), "history must keep at least 1 change".into()));
            }
            config.history = Some(*history.get_ref());
        }
        if let Some(ms) = raw.presence_debounce_ms {
            if *ms.get_ref() > 60_000 {
                return Err(invalid(ms.span(), "presence_debounce_ms must be at most 60000".into()));
            }
            config.presence_debounce = Duration::from_millis(*ms.get_ref());
        }
        if let Some(secs) = raw.focus_ttl_secs {
            if !(1..=3600).contains(secs.get_ref()) {
                return Err(invalid(secs.span(), "focus_ttl_secs must be between 1 and 3600".into()));
            }
            config.focus_ttl = Duration::from_secs(*secs.get_ref());
        }
        for (name, token) in raw.actors {
            let span = token.span();
            let token = token.into_inner();
            if name.trim().is_empty() {
                return Err(invalid(span, "an actor's name must not be empty".into()));
            }
            if token.len() < 8 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(span, format!("the token of {name} must be at least 8 characters with no spaces")));
            }
            if let Some(other) = config.actor_for(&token) {
                return Err(invalid(span, format!("{name} has the same token as {other}")));
            }
            config.actors.push((name, token));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_is_read() {
        let c = HubConfig::from_toml(
            "anonymous_reads = true\nkeepalive_secs = 5\n[actors]\nAna = \"ana-secret\"\nBob = \"bob-secret\"\n",
        )
        .unwrap();
        assert!(c.anonymous_reads);
        assert_eq!(c.keepalive, Duration::from_secs(5));
        assert_eq!(c.actor_for("bob-secret"), Some("Bob"));
        assert_eq!(c.actor_for("nope"), None);
    }

    #[test]
    fn errors_name_the_line() {
        let err = |text: &str| HubConfig::from_toml(text).unwrap_err().to_string();
        assert_eq!(err("\n\nkeepalive_secs = 0\n"), "line 3: keepalive_secs must be between 1 and 3600");
        assert_eq!(err("retry_ms = 500\nhistory = 0\n"), "line 2: history must keep at least 1 change");
        assert_eq!(err("focus_ttl_secs = 0\n"), "line 1: focus_ttl_secs must be between 1 and 3600");
        assert_eq!(
            err("[actors]\nAna = \"same-token\"\nBob = \"same-token\"\n"),
            "line 3: Bob has the same token as Ana"
        );
        assert_eq!(
            err("[actors]\nAna = \"short\"\n"),
            "line 2: the token of Ana must be at least 8 characters with no spaces"
        );
        assert!(
            err("anonymous_reads = true\ncolour = 1\n").starts_with("line 2: unknown field `colour`"),
            "{}",
            err("anonymous_reads = true\ncolour = 1\n")
        );
        assert!(err("[actors\n").starts_with("line 1:"));
    }
}
