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
//! max_streams = 10000      # open event streams in all (default 10000)
//! max_streams_per_client = 100  # open event streams per client address (default 100)
//! slow_subscriber_ms = 10000    # a stream that takes nothing this long is reset (default 10000)
//! trusted_proxies = ["10.0.0.0/8"]  # load balancers whose X-Forwarded-For names the client (default none)
//!
//! [actors]                 # actor name = bearer token
//! Ana = "ana-secret"
//! Bob = "bob-secret"
//! ```
//!
//! A bad file is refused with the line and the reason, never half-applied.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;

#[derive(Clone)]
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
    /// Open event streams in all, and per client address; past either, a
    /// new stream gets `503` and `Retry-After`.
    pub max_streams: usize,
    pub max_streams_per_client: usize,
    /// A subscriber that has taken nothing for this long while its buffer
    /// is full is told `event: reset`, and its stream ends.
    pub slow_subscriber: Duration,
    /// The load balancers and proxies in front of the hub: for a request
    /// from one of them, the client is the address `X-Forwarded-For` names
    /// (read from the right, as `limits.rs` says). From anyone else, the header is
    /// not believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// Tokens are never printed: a config in a log names its actors only.
impl std::fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let actors: Vec<&str> = self.actors.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HubConfig")
            .field("actors", &actors)
            .field("anonymous_reads", &self.anonymous_reads)
            .field("keepalive", &self.keepalive)
            .field("retry", &self.retry)
            .field("history", &self.history)
            .field("max_streams", &self.max_streams)
            .field("max_streams_per_client", &self.max_streams_per_client)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
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
            max_streams: 10_000,
            max_streams_per_client: 100,
            slow_subscriber: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
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
    max_streams: Option<Spanned<u64>>,
    max_streams_per_client: Option<Spanned<u64>>,
    slow_subscriber_ms: Option<Spanned<u64>>,
    #[serde(default)]
    trusted_proxies: Vec<Spanned<String>>,
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

    pub fn with_stream_limits(mut self, total: usize, per_client: usize) -> Self {
        self.max_streams = total;
        self.max_streams_per_client = per_client;
        self
    }

    pub fn with_slow_subscriber(mut self, after: Duration) -> Self {
        self.slow_subscriber = after;
        self
    }

    pub fn with_trusted_proxies(mut self, proxies: impl IntoIterator<Item = IpNet>) -> Self {
        self.trusted_proxies = proxies.into_iter().collect();
        self
    }

    /// The actor a bearer token belongs to. Every token is compared, each
    /// in constant time, so how long it takes says nothing of how much of a
    /// guess was right (only, at most, whether its length was).
    pub fn actor_for(&self, token: &str) -> Option<&str> {
        use subtle::ConstantTimeEq;
        let mut found = None;
        for (name, known) in &self.actors {
            if bool::from(known.as_bytes().ct_eq(token.as_bytes())) {
                found = Some(name.as_str());
            }
        }
        found
    }

    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            line: e.span().map(|s| line_of(s.start)).unwrap_or(1),
            reason: e.message().to_owned(),
        })?;
        let invalid =
            |span: std::ops::Range<usize>, reason: String| ConfigError::Invalid { line: line_of(span.start), reason };
        // A setting's value, if it is given, when it lies in `range`; else `rule`, at its line.
        let within = |value: Option<Spanned<_>>, range: std::ops::RangeInclusive<_>, rule: &str| match value {
            Some(value) if !range.contains(value.get_ref()) => Err(invalid(value.span(), rule.to_owned())),
            value => Ok(value.map(Spanned::into_inner)),
        };

        let mut config = HubConfig { anonymous_reads: raw.anonymous_reads, ..HubConfig::default() };
        let keepalive = within(raw.keepalive_secs, 1..=3600, "keepalive_secs must be between 1 and 3600")?;
        config.keepalive = keepalive.map(Duration::from_secs).unwrap_or(config.keepalive);
        let retry = within(raw.retry_ms, 100..=600_000, "retry_ms must be between 100 and 600000")?;
        config.retry = retry.map(Duration::from_millis).unwrap_or(config.retry);
        if let Some(history) = within(raw.history, 1..=u64::MAX, "history must keep at least 1 change")? {
            config.history = Some(history);
        }
        let debounce = within(raw.presence_debounce_ms, 0..=60_000, "presence_debounce_ms must be at most 60000")?;
        config.presence_debounce = debounce.map(Duration::from_millis).unwrap_or(config.presence_debounce);
        let focus = within(raw.focus_ttl_secs, 1..=3600, "focus_ttl_secs must be between 1 and 3600")?;
        config.focus_ttl = focus.map(Duration::from_secs).unwrap_or(config.focus_ttl);
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let streams = within(raw.max_streams, 1..=u64::MAX, "max_streams must be at least 1")?;
        config.max_streams = streams.map(count).unwrap_or(config.max_streams);
        let per_client = within(raw.max_streams_per_client, 1..=u64::MAX, "max_streams_per_client must be at least 1")?;
        config.max_streams_per_client = per_client.map(count).unwrap_or(config.max_streams_per_client);
        let slow = within(raw.slow_subscriber_ms, 100..=600_000, "slow_subscriber_ms must be between 100 and 600000")?;
        config.slow_subscriber = slow.map(Duration::from_millis).unwrap_or(config.slow_subscriber);
        for proxy in raw.trusted_proxies {
            let net = proxy.get_ref().parse::<IpNet>().or_else(|_| proxy.get_ref().parse::<IpAddr>().map(IpNet::from));
            let reason =
                || format!("trusted_proxies: {:?} is not an address or a network like 10.0.0.0/8", proxy.get_ref());
            config.trusted_proxies.push(net.map_err(|_| invalid(proxy.span(), reason()))?);
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
        assert_eq!(c.actor_for("ana-secre"), None);
        let shown = format!("{c:?}");
        assert!(shown.contains("Bob") && !shown.contains("bob-secret"), "{shown}");
    }

    #[test]
    fn errors_name_the_line() {
        let err = |text: &str| HubConfig::from_toml(text).unwrap_err().to_string();
        assert_eq!(err("\n\nkeepalive_secs = 0\n"), "line 3: keepalive_secs must be between 1 and 3600");
        assert_eq!(err("retry_ms = 500\nhistory = 0\n"), "line 2: history must keep at least 1 change");
        assert_eq!(err("focus_ttl_secs = 0\n"), "line 1: focus_ttl_secs must be between 1 and 3600");
        assert_eq!(err("\nmax_streams_per_client = 0\n"), "line 2: max_streams_per_client must be at least 1");
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
        assert_eq!(
            err("max_streams = 5\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0.300\"]\n"),
            "line 2: trusted_proxies: \"10.0.0.300\" is not an address or a network like 10.0.0.0/8"
        );
    }

    #[test]
    fn trusted_proxies_are_networks_or_single_addresses() {
        let c = HubConfig::from_toml("trusted_proxies = [\"10.0.0.0/8\", \"::1\", \"192.168.1.7\"]\n").unwrap();
        let shown: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "::1/128", "192.168.1.7/32"]);
        assert!(HubConfig::default().trusted_proxies.is_empty(), "none unless told");
    }
}
