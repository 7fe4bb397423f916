//! How to reach a feed and how patient to be with it: one builder, read by
//! the connection task.
//!
//! Every setting has a builder method that takes and returns the config, so
//! a config reads as one expression; the fields stay readable for the
//! connection task and for tests that check what a feed set up.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};

use super::decoder::DEFAULT_MAX_EVENT_BYTES;

#[derive(Debug, Clone)]
pub struct SubscriptionConfig {
    pub url: String,
    /// Extra request headers, such as `Authorization` (marked sensitive).
    pub headers: HeaderMap,
    /// Resume after this event (sent as `Last-Event-ID`); empty for none.
    pub last_event_id: String,
    /// The reconnection delay until the server sends `retry:`.
    pub retry: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Reconnect when no byte arrives for this long.
    pub stall_timeout: Duration,
    pub max_event_bytes: usize,
    /// How the server is told where to resume.
    pub resume: Resume,
    /// A JSON pointer to the cursor inside each event's data, for servers
    /// that send no `id:` lines (ntfy: `/id`); it then is the last event ID.
    pub cursor_pointer: Option<String>,
    /// A comment that means the feed is gone for good, by its start: Nchan
    /// sends `:410: 410 Gone` for a deleted channel, then closes.
    pub gone_comment: Option<String>,
    /// Event types that say the connection is alive but are not news
    /// (ntfy's `open` and `keepalive`): they count as heard, but they never
    /// move the cursor and are never handed on.
    pub control_events: Vec<String>,
    /// The longest wait for the server's keepalive already seen on this
    /// feed: the stall timeout is never less than twice it (see
    /// [`stall_timeout`]).
    pub keepalive: Option<Duration>,
    /// The proxy the feed's own settings send it through ("the proxy
    /// http://…"), for a failure to name: a proxy that is down is not the
    /// server's fault.
    pub proxy: Option<String>,
    /// Where `Authorization` comes from when it changes over time (a
    /// single sign-on's access token): asked before every request.
    pub credentials: Option<super::CredentialSource>,
}

/// The most a learned keepalive raises the stall timeout to: a server
/// that says nothing for longer is not keeping the stream alive.
const MAX_LEARNED_STALL: Duration = Duration::from_secs(30 * 60);

/// The stall timeout in force: the feed's own, or twice the longest wait
/// for a keepalive seen on the feed when that is longer, so that a stream
/// is never recycled while the server's keepalive is merely on its way.
pub fn stall_timeout(configured: Duration, keepalive: Option<Duration>) -> Duration {
    match keepalive {
        Some(gap) => configured.max(gap.saturating_mul(2).min(MAX_LEARNED_STALL)),
        None => configured,
    }
}

/// How a feed tells the server where to resume.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resume {
    /// The `Last-Event-ID` header, as the standard has it.
    #[default]
    Header,
    /// A query parameter of this name: Nchan's `last_event_id`, older
    /// Mercure hubs' `lastEventID`, ntfy's `since`.
    Query(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the header {0} has an invalid name or value")]
pub struct InvalidHeader(pub String);

impl SubscriptionConfig {
    pub fn new(url: impl Into<String>) -> Self {
        SubscriptionConfig {
            url: url.into(),
            headers: HeaderMap::new(),
            last_event_id: String::new(),
            retry: Duration::from_secs(3),
            max_backoff: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(45),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            resume: Resume::Header,
            cursor_pointer: None,
            gone_comment: None,
            control_events: Vec::new(),
            proxy: None,
            keepalive: None,
            credentials: None,
        }
    }

    /// `Authorization` from `credentials`, asked before every request.
    pub fn credentials(mut self, credentials: std::sync::Arc<dyn super::Credentials>) -> Self {
        self.credentials = Some(super::CredentialSource(credentials));
        self
    }

    /// `Authorization: Bearer`, marked sensitive so no log or `Debug` shows it.
    pub fn bearer(self, token: &str) -> Result<Self, InvalidHeader> {
        self.authorization(&format!("Bearer {token}"))
    }

    /// HTTP Basic authentication (RFC 7617), marked sensitive like [`Self::bearer`].
    pub fn basic(self, username: &str, password: &str) -> Result<Self, InvalidHeader> {
        use base64::Engine as _;
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.authorization(&format!("Basic {credentials}"))
    }

    fn authorization(mut self, value: &str) -> Result<Self, InvalidHeader> {
        let mut value = HeaderValue::from_str(value).map_err(|_| InvalidHeader("Authorization".into()))?;
        value.set_sensitive(true);
        self.headers.insert(AUTHORIZATION, value);
        Ok(self)
    }

    pub fn header(mut self, name: &str, value: &str) -> Result<Self, InvalidHeader> {
        let bad = || InvalidHeader(name.to_owned());
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        self.headers.insert(name, HeaderValue::from_str(value).map_err(|_| bad())?);
        Ok(self)
    }

    /// Adds headers that are already checked (and marked sensitive where due).
    pub fn headers(mut self, headers: &HeaderMap) -> Self {
        self.headers.extend(headers.iter().map(|(name, value)| (name.clone(), value.clone())));
        self
    }

    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self
    }

    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = retry;
        self
    }

    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    pub fn max_event_bytes(mut self, max: usize) -> Self {
        self.max_event_bytes = max;
        self
    }

    pub fn resume(mut self, resume: Resume) -> Self {
        self.resume = resume;
        self
    }

    pub fn cursor_pointer(mut self, pointer: Option<String>) -> Self {
        self.cursor_pointer = pointer;
        self
    }

    pub fn gone_comment(mut self, start: Option<String>) -> Self {
        self.gone_comment = start;
        self
    }

    pub fn control_events(mut self, types: Vec<String>) -> Self {
        self.control_events = types;
        self
    }

    pub fn proxy(mut self, proxy: Option<String>) -> Self {
        self.proxy = proxy;
        self
    }

    pub fn keepalive(mut self, gap: Option<Duration>) -> Self {
        self.keepalive = gap;
        self
    }

    /// Whether `event_type` is a control event: alive, but not news.
    pub fn is_control(&self, event_type: &str) -> bool {
        self.control_events.iter().any(|t| t == event_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_sets_each_field_and_credentials_are_sensitive() {
        let config = SubscriptionConfig::new("http://127.0.0.1/e")
            .retry(Duration::from_millis(5))
            .stall_timeout(Duration::from_secs(600))
            .resume(Resume::Query("since".into()))
            .cursor_pointer(Some("/id".into()))
            .gone_comment(Some("410".into()))
            .bearer("t0ken")
            .unwrap();
        assert_eq!(config.retry, Duration::from_millis(5));
        assert_eq!(config.stall_timeout, Duration::from_secs(600));
        assert_eq!(config.resume, Resume::Query("since".into()));
        assert!(config.headers[AUTHORIZATION].is_sensitive());
        assert!(!format!("{config:?}").contains("t0ken"));
        assert_eq!(config.clone().header("bad name", "x").unwrap_err(), InvalidHeader("bad name".into()));
    }

    #[test]
    fn a_learned_keepalive_raises_the_stall_timeout_to_twice_it_and_no_further_than_a_cap() {
        let secs = Duration::from_secs;
        assert_eq!(stall_timeout(secs(45), None), secs(45));
        assert_eq!(stall_timeout(secs(45), Some(secs(45))), secs(90), "ntfy's 45 s keepalive");
        assert_eq!(stall_timeout(secs(900), Some(secs(15))), secs(900), "never lowered");
        assert_eq!(stall_timeout(secs(45), Some(secs(86_400))), MAX_LEARNED_STALL);
        let config = SubscriptionConfig::new("http://h/e").control_events(vec!["open".into(), "keepalive".into()]);
        assert!(config.is_control("keepalive") && !config.is_control("message"));
    }
}
