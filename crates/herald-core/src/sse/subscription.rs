//! One SSE subscription: a task that owns the HTTP connection and keeps it alive.
//!
//! The owner talks to the task through a [`Subscription`] handle: commands go
//! in over a channel, events come out over a bounded channel (so a slow
//! consumer slows the reader instead of losing events), and the connection
//! state is published on a watch channel that always holds the latest value.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use tokio::sync::{mpsc, watch};

use super::backoff::backoff;
use super::decoder::{Decoder, Event, Frame, DEFAULT_MAX_EVENT_BYTES};
use super::state::{now_ms, ConnectionState, EpochMs, Phase, StopReason};

/// How to reach a feed and how patient to be with it.
#[derive(Debug, Clone)]
pub struct SubscriptionConfig {
    pub url: String,
    /// Extra request headers, such as `Authorization`.
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
}

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
        }
    }

    pub fn bearer(mut self, token: &str) -> Result<Self, InvalidHeader> {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| InvalidHeader("Authorization".into()))?;
        value.set_sensitive(true);
        self.headers.insert(reqwest::header::AUTHORIZATION, value);
        Ok(self)
    }

    pub fn header(mut self, name: &str, value: &str) -> Result<Self, InvalidHeader> {
        let bad = || InvalidHeader(name.to_owned());
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        self.headers.insert(name, HeaderValue::from_str(value).map_err(|_| bad())?);
        Ok(self)
    }

    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the header {0} has an invalid name or value")]
pub struct InvalidHeader(pub String);

enum Command {
    ReconnectNow,
    Close,
}

/// The handle to a running subscription. Dropping it ends the subscription.
pub struct Subscription {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<Event>,
    state: watch::Receiver<ConnectionState>,
}

/// Events buffered between the connection task and a busy consumer.
const EVENT_BUFFER: usize = 256;

impl Subscription {
    /// Starts the connection task on the current tokio runtime.
    pub fn start(client: reqwest::Client, config: SubscriptionConfig) -> Subscription {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::channel(EVENT_BUFFER);
        let (state_tx, state) = watch::channel(ConnectionState { phase: Phase::Connecting, last_heard: None });
        let connection = Connection {
            decoder: Decoder::new(config.max_event_bytes).with_last_event_id(config.last_event_id.clone()),
            retry: config.retry,
            client,
            config,
            commands: command_rx,
            events: event_tx,
            state: state_tx,
            last_heard: None,
        };
        tokio::spawn(connection.run());
        Subscription { commands, events, state }
    }

    /// The next event; `None` once the subscription has stopped.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// A receiver of the connection state.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Skips any wait and reconnects now (e.g. on resume from sleep).
    pub fn reconnect_now(&self) {
        let _ = self.commands.send(Command::ReconnectNow);
    }

    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }
}

/// How one connection attempt ended.
enum Outcome {
    Stop(StopReason),
    Retry { reason: String, healthy: bool, retry_after: Option<Duration> },
    ReconnectNow,
}

/// A connection that lasted this long counts as healthy, and resets the backoff.
const HEALTHY_AFTER: Duration = Duration::from_secs(30);

struct Connection {
    client: reqwest::Client,
    config: SubscriptionConfig,
    decoder: Decoder,
    retry: Duration,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<Event>,
    state: watch::Sender<ConnectionState>,
    last_heard: Option<EpochMs>,
}

impl Connection {
    async fn run(mut self) {
        let mut failures = 0u32;
        loop {
            self.publish(Phase::Connecting);
            let delay = match self.attempt().await {
                Outcome::Stop(reason) => return self.publish(Phase::Stopped { reason }),
                Outcome::ReconnectNow => {
                    failures = 0;
                    continue;
                }
                Outcome::Retry { reason, healthy, retry_after } => {
                    failures = if healthy { 1 } else { failures.saturating_add(1) };
                    let delay = retry_after.unwrap_or_else(|| backoff(self.retry, failures, self.config.max_backoff));
                    tracing::info!(url = %self.config.url, %reason, ?delay, "reconnecting");
                    self.publish(Phase::Retrying {
                        attempt: failures,
                        at: now_ms() + delay.as_millis() as i64,
                        reason,
                    });
                    delay
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                command = self.commands.recv() => match command {
                    Some(Command::ReconnectNow) => failures = 0,
                    Some(Command::Close) | None => return self.publish(Phase::Stopped { reason: StopReason::Closed }),
                },
            }
        }
    }

    fn publish(&self, phase: Phase) {
        self.state.send_replace(ConnectionState { phase, last_heard: self.last_heard });
    }

    fn request(&self) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .get(&self.config.url)
            .headers(self.config.headers.clone())
            .header(ACCEPT, "text/event-stream")
            .header(CACHE_CONTROL, "no-cache");
        if !self.decoder.last_event_id().is_empty() {
            request = request.header("last-event-id", self.decoder.last_event_id());
        }
        request
    }

    async fn attempt(&mut self) -> Outcome {
        let response = tokio::select! {
            response = self.request().send() => response,
            command = self.commands.recv() => return command_outcome(command),
        };
        let response = match response {
            Ok(response) => response,
            Err(e) => return Outcome::Retry { reason: error_chain(&e), healthy: false, retry_after: None },
        };
        if let Some(outcome) = judge(&response) {
            return outcome;
        }
        let opened = Instant::now();
        self.publish(Phase::Open { since: now_ms() });
        let outcome = self.stream(response).await;
        self.decoder.end_of_stream();
        match outcome {
            Outcome::Retry { reason, healthy, retry_after } => {
                Outcome::Retry { reason, healthy: healthy || opened.elapsed() >= HEALTHY_AFTER, retry_after }
            }
            other => other,
        }
    }

    async fn stream(&mut self, mut response: reqwest::Response) -> Outcome {
        let mut frames = Vec::new();
        let mut delivered = false;
        loop {
            let chunk = tokio::select! {
                chunk = tokio::time::timeout(self.config.stall_timeout, response.chunk()) => chunk,
                command = self.commands.recv() => return command_outcome(command),
            };
            let bytes = match chunk {
                Err(_) => {
                    let reason = format!("nothing heard for {} s", self.config.stall_timeout.as_secs());
                    return Outcome::Retry { reason, healthy: delivered, retry_after: None };
                }
                Ok(Ok(None)) => {
                    return Outcome::Retry {
                        reason: "the server ended the stream".into(),
                        healthy: delivered,
                        retry_after: None,
                    }
                }
                Ok(Err(e)) => return Outcome::Retry { reason: error_chain(&e), healthy: delivered, retry_after: None },
                Ok(Ok(Some(bytes))) => bytes,
            };
            self.heard();
            self.decoder.feed(&bytes, &mut |frame| frames.push(frame));
            for frame in frames.drain(..) {
                match frame {
                    Frame::Event(event) => {
                        delivered = true;
                        if self.events.send(event).await.is_err() {
                            return Outcome::Stop(StopReason::Closed);
                        }
                    }
                    Frame::Retry(delay) => self.retry = delay,
                    Frame::Comment => {}
                    Frame::Oversized { limit } => {
                        tracing::warn!(url = %self.config.url, limit, "skipped an event larger than the limit");
                    }
                }
            }
        }
    }

    /// Records that a byte arrived, publishing it at most once a second.
    fn heard(&mut self) {
        let now = now_ms();
        self.last_heard = Some(now);
        self.state.send_if_modified(|state| {
            let stale = state.last_heard.is_none_or(|t| now - t >= 1000);
            if stale {
                state.last_heard = Some(now);
            }
            stale
        });
    }
}

fn command_outcome(command: Option<Command>) -> Outcome {
    match command {
        Some(Command::ReconnectNow) => Outcome::ReconnectNow,
        Some(Command::Close) | None => Outcome::Stop(StopReason::Closed),
    }
}

/// What a response's status and type mean for the subscription; `None` to read it.
fn judge(response: &reqwest::Response) -> Option<Outcome> {
    let status = response.status();
    let code = status.as_u16();
    match code {
        200 => {
            let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            let essence = content_type.split(';').next().unwrap_or("").trim();
            if essence.eq_ignore_ascii_case("text/event-stream") {
                None
            } else {
                let shown = if content_type.is_empty() { "no Content-Type" } else { content_type };
                Some(Outcome::Stop(StopReason::Failed { message: format!("expected text/event-stream, got {shown}") }))
            }
        }
        204 => Some(Outcome::Stop(StopReason::NoContent)),
        401 | 403 => Some(Outcome::Stop(StopReason::NeedsAuthentication { status: code })),
        404 | 410 => Some(Outcome::Stop(StopReason::Gone { status: code })),
        408 | 429 | 500..=599 => Some(Outcome::Retry {
            reason: format!("the server answered {status}"),
            healthy: false,
            retry_after: retry_after(response.headers()),
        }),
        _ => Some(Outcome::Stop(StopReason::Failed { message: format!("the server answered {status}") })),
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// An error with its causes, which is where reqwest keeps the useful part.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO), "a past date means now");
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
