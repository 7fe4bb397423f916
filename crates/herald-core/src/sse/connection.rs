//! The task behind a [`Subscription`](super::Subscription): it owns the
//! connection, decodes the stream, and decides after every attempt whether
//! to stop, or when to try again.
//!
//! Timing goes through `tokio::time` (tests pause it) and published times
//! through an injected [`Clock`]; the network goes through a [`Transport`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::backoff::backoff;
use super::clock::{Clock, EpochMs};
use super::config::{stall_timeout, Resume, SubscriptionConfig};
use super::credentials::CredentialSource;
use super::decoder::{ByteString, Decoder, Event, Frame};
use super::state::{millis, ConnectionState, Failure, Phase, StopReason};
use super::transport::{StreamRequest, StreamResponse, Transport, TransportError, TransportFailure};

pub(super) enum Command {
    ReconnectNow,
    Close,
}

/// How one connection attempt ended.
enum Outcome {
    Stop(StopReason),
    Retry { reason: Failure, healthy: bool, retry_after: Option<Duration> },
    ReconnectNow,
}

/// A connection that lasted this long counts as healthy, and resets the backoff.
const HEALTHY_AFTER: Duration = Duration::from_secs(30);

/// The longest a server's `Retry-After` is obeyed: a feed never waits
/// longer than this for its next attempt, whatever it was told.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Chunks that are already waiting go into one batch until it holds this
/// many bytes or events. With EVENT_BUFFER batches queued for a slow reader,
/// this bounds what a subscription holds.
const MAX_BATCH_BYTES: usize = 256 * 1024;
const MAX_BATCH_EVENTS: usize = 4096;

pub(super) struct Connection {
    pub transport: Arc<dyn Transport>,
    pub clock: Arc<dyn Clock>,
    pub config: SubscriptionConfig,
    pub decoder: Decoder,
    pub retry: Duration,
    pub commands: mpsc::UnboundedReceiver<Command>,
    /// Each chunk's events, in order.
    pub events: mpsc::Sender<Vec<Event>>,
    pub state: watch::Sender<ConnectionState>,
    pub last_heard: Option<EpochMs>,
    /// Times the stream has opened (see [`ConnectionState::opened`]).
    pub opened: u32,
    /// The longest wait for a keepalive seen on this feed, which the
    /// stall timeout allows twice over.
    pub keepalive: Option<Duration>,
    /// The `Authorization` a 401 just refused, for the credentials to
    /// replace: a refreshed token is tried at once, and a second 401 in a
    /// row is the user's to fix.
    pub refused: Option<HeaderValue>,
}

/// What one chunk held besides its events.
#[derive(Default)]
struct Decoded {
    /// A comment that says the feed is gone.
    gone: Option<String>,
    /// A sign of life that is not news: a control event or a comment.
    alive: bool,
}

impl Connection {
    pub async fn run(mut self) {
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
                    let at = self.clock.now_ms() + delay.as_millis() as i64;
                    self.publish(Phase::Retrying { attempt: failures, at, reason });
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
        self.state.send_replace(ConnectionState {
            phase,
            last_heard: self.last_heard,
            opened: self.opened,
            stall_timeout_ms: millis(self.stall_timeout()),
            keepalive_ms: self.keepalive.map(millis),
        });
    }

    fn stall_timeout(&self) -> Duration {
        stall_timeout(self.config.stall_timeout, self.keepalive)
    }

    /// A keepalive ended a silence of `quiet`: if that is the longest yet,
    /// the stall timeout grows to allow twice it, and the state says so.
    fn learn_keepalive(&mut self, quiet: Duration) {
        if self.keepalive.is_some_and(|known| known >= quiet) {
            return;
        }
        self.keepalive = Some(quiet);
        let (stall, keepalive) = (millis(self.stall_timeout()), millis(quiet));
        tracing::debug!(url = %self.config.url, keepalive, stall, "learned the server's keepalive");
        self.state.send_modify(|state| {
            state.stall_timeout_ms = stall;
            state.keepalive_ms = Some(keepalive);
        });
    }

    fn request(&self) -> StreamRequest {
        let mut headers = self.config.headers.clone();
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let id = self.decoder.last_event_id();
        let url = match &self.config.resume {
            Resume::Query(name) => with_query(&self.config.url, name, id),
            Resume::Header => {
                if !id.is_empty() {
                    // Non-ASCII is allowed (obs-text); other control characters cannot be sent.
                    match HeaderValue::from_bytes(id.as_bytes()) {
                        Ok(value) => {
                            headers.insert("last-event-id", value);
                        }
                        Err(_) => {
                            tracing::warn!(url = %self.config.url, "the last event id cannot be sent as a header")
                        }
                    }
                }
                self.config.url.clone()
            }
        };
        StreamRequest { url, headers }
    }

    /// The `Authorization` of the next request from the config's
    /// credentials, if it has any; or how the attempt ends without one.
    async fn authorization(&mut self) -> Result<Option<HeaderValue>, Outcome> {
        let Some(CredentialSource(credentials)) = self.config.credentials.clone() else { return Ok(None) };
        let asked = tokio::select! {
            asked = credentials.authorization(self.refused.clone()) => asked,
            command = self.commands.recv() => return Err(command_outcome(command)),
        };
        match asked {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.needs_sign_in => Err(Outcome::Stop(StopReason::NeedsSignIn { message: e.message })),
            Err(e) => Err(Outcome::Retry {
                reason: Failure::Unreachable { detail: e.message },
                healthy: false,
                retry_after: None,
            }),
        }
    }

    async fn attempt(&mut self) -> Outcome {
        let mut request = self.request();
        let sent = match self.authorization().await {
            Ok(sent) => sent,
            Err(outcome) => return outcome,
        };
        if let Some(value) = &sent {
            request.headers.insert(AUTHORIZATION, value.clone());
        }
        let response = tokio::select! {
            response = self.transport.open(request) => response,
            command = self.commands.recv() => return command_outcome(command),
        };
        let response = match response {
            Ok(response) => response,
            Err(e) => return failed(e, false, self.config.proxy.as_deref()),
        };
        if let Some(outcome) = judge(&response) {
            if response.status == 400 {
                return refused_identity(response).await.unwrap_or(outcome);
            }
            // A token refused (expired early, or revoked): refresh it and
            // try again at once, resuming where the stream was. Once.
            if response.status == 401 && sent.is_some() && self.refused.is_none() {
                tracing::info!(url = %self.config.url, "the access token was refused: refreshing it");
                self.refused = sent;
                return Outcome::ReconnectNow;
            }
            return outcome;
        }
        self.refused = None;
        let opened = Instant::now();
        self.opened = self.opened.wrapping_add(1);
        self.publish(Phase::Open { since: self.clock.now_ms() });
        let outcome = self.stream(response).await;
        self.decoder.end_of_stream();
        match outcome {
            Outcome::Retry { reason, healthy, retry_after } => {
                Outcome::Retry { reason, healthy: healthy || opened.elapsed() >= HEALTHY_AFTER, retry_after }
            }
            other => other,
        }
    }

    async fn stream(&mut self, mut response: StreamResponse) -> Outcome {
        let mut delivered = false;
        let mut batch_size = 0;
        let mut quiet_since = Instant::now();
        loop {
            let stall = self.stall_timeout();
            let chunk = tokio::select! {
                chunk = tokio::time::timeout(stall, response.body.next()) => chunk,
                command = self.commands.recv() => return command_outcome(command),
            };
            let Ok(mut chunk) = chunk else {
                let reason = Failure::Stalled { silent_ms: millis(stall) };
                return Outcome::Retry { reason, healthy: delivered, retry_after: None };
            };
            let quiet = quiet_since.elapsed();
            quiet_since = Instant::now();
            // Decode this chunk and any already waiting behind it into one
            // batch, sent once: the hop to the reader dominates for small events.
            let mut batch = Vec::with_capacity(batch_size);
            let mut read = 0;
            let mut decoded = Decoded::default();
            let ended = loop {
                match chunk {
                    Some(Ok(bytes)) => {
                        self.heard();
                        read += bytes.len();
                        let this = self.decode(&bytes, &mut batch);
                        decoded.alive |= this.alive;
                        decoded.gone = this.gone;
                        if decoded.gone.is_some() {
                            break None;
                        }
                    }
                    Some(Err(e)) => break Some(e),
                    None => {
                        break Some(TransportError {
                            message: "the server ended the stream".into(),
                            kind: TransportFailure::Broken,
                        })
                    }
                }
                if read >= MAX_BATCH_BYTES || batch.len() >= MAX_BATCH_EVENTS {
                    break None;
                }
                match response.body.next().now_or_never() {
                    Some(next) => chunk = next,
                    None => break None,
                }
            };
            if decoded.alive {
                self.learn_keepalive(quiet);
            }
            if !batch.is_empty() {
                delivered = true;
                batch_size = batch.len();
                if self.events.send(batch).await.is_err() {
                    return Outcome::Stop(StopReason::Closed);
                }
            }
            if let Some(comment) = decoded.gone {
                // "410: 410 Gone": the status leads the comment.
                let status = comment.split(|c: char| !c.is_ascii_digit()).next().and_then(|s| s.parse().ok());
                return Outcome::Stop(StopReason::Gone { status: status.unwrap_or(410) });
            }
            if let Some(error) = ended {
                return failed(error, delivered, self.config.proxy.as_deref());
            }
        }
    }

    /// Decodes a chunk into `batch`: its news, in order. Control events
    /// are signs of life and nothing more: they are left out, and the
    /// cursor stays where the news left it, whatever id they carried.
    fn decode(&mut self, bytes: &Bytes, batch: &mut Vec<Event>) -> Decoded {
        let config = &self.config;
        let retry = &mut self.retry;
        let first_new = batch.len();
        let cursor_before = self.decoder.cursor();
        let mut decoded = Decoded::default();
        let mut controls = false;
        self.decoder.feed(bytes, &mut |frame| match frame {
            Frame::Event(event) if config.is_control(&event.event) => controls = true,
            Frame::Event(event) => batch.push(event),
            Frame::Retry(delay) => *retry = delay,
            Frame::Comment(text) => {
                decoded.alive = true;
                if config.gone_comment.as_deref().is_some_and(|start| text.starts_with(start)) {
                    decoded.gone = Some(text);
                }
            }
            Frame::Oversized { limit } => {
                tracing::warn!(url = %config.url, limit, "skipped an event larger than the limit")
            }
        });
        decoded.alive |= controls;
        if controls {
            let news = batch[first_new..].last().map(|e| e.last_event_id.clone());
            self.decoder.set_last_event_id(news.unwrap_or(cursor_before));
        }
        if let Some(pointer) = &self.config.cursor_pointer {
            if let Some(cursor) = cursors_from_payload(&mut batch[first_new..], pointer) {
                self.decoder.set_last_event_id(cursor);
            }
        }
        decoded
    }

    /// Records that a byte arrived, publishing it at most once a second.
    fn heard(&mut self) {
        let now = self.clock.now_ms();
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

/// For servers whose events carry their id only inside the data (ntfy):
/// gives each event the cursor found at `pointer` in its JSON data, or the
/// one in force before it; returns the last one found.
fn cursors_from_payload(events: &mut [Event], pointer: &str) -> Option<ByteString> {
    let mut found = None;
    for event in events {
        let value = serde_json::from_str::<serde_json::Value>(&event.data).ok();
        let cursor = match value.as_ref().and_then(|v| v.pointer(pointer)) {
            Some(serde_json::Value::String(s)) => Some(ByteString::from(s.as_str())),
            Some(serde_json::Value::Number(n)) => Some(ByteString::from(n.to_string())),
            _ => None,
        };
        if cursor.is_some() {
            found = cursor;
        }
        if let Some(cursor) = &found {
            event.last_event_id = cursor.clone();
        }
    }
    found
}

/// `url` with the query parameter `name` set to `cursor` (or removed when
/// there is no cursor yet), keeping its other parameters.
fn with_query(url: &str, name: &str, cursor: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else { return url.to_owned() };
    let kept: Vec<(String, String)> =
        parsed.query_pairs().filter(|(key, _)| key != name).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    parsed.set_query(None);
    if !kept.is_empty() || !cursor.is_empty() {
        let mut query = parsed.query_pairs_mut();
        query.extend_pairs(kept);
        if !cursor.is_empty() {
            query.append_pair(name, cursor);
        }
    }
    parsed.into()
}

/// What a transport's failure means for the subscription: a refused
/// certificate or a redirect that cannot be followed stops it, anything else
/// is tried again. Through a proxy of the feed's own, a failure to reach
/// anything is said to be the proxy's.
fn failed(error: TransportError, healthy: bool, proxy: Option<&str>) -> Outcome {
    let TransportError { message, kind } = error;
    let message = match (kind, proxy) {
        (TransportFailure::Unreachable, Some(proxy)) => crate::proxy::blame(proxy, &message),
        _ => message,
    };
    let reason = match kind {
        TransportFailure::CertificateRefused => return Outcome::Stop(StopReason::CertificateRefused { message }),
        TransportFailure::IdentityRefused => return Outcome::Stop(StopReason::IdentityRefused { message }),
        TransportFailure::Redirect => return Outcome::Stop(StopReason::Failed { message }),
        TransportFailure::Unreachable => Failure::Unreachable { detail: message },
        TransportFailure::Broken => Failure::Ended { detail: message },
    };
    Outcome::Retry { reason, healthy, retry_after: None }
}

fn command_outcome(command: Option<Command>) -> Outcome {
    match command {
        Some(Command::ReconnectNow) => Outcome::ReconnectNow,
        Some(Command::Close) | None => Outcome::Stop(StopReason::Closed),
    }
}

/// What a response's status and type mean for the subscription; `None` to read it.
fn judge(response: &StreamResponse) -> Option<Outcome> {
    let code = response.status;
    match code {
        200 => {
            let content_type = response.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
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
            reason: Failure::Status { status: code },
            healthy: false,
            retry_after: retry_after(&response.headers).map(|wait| wait.min(MAX_RETRY_AFTER)),
        }),
        300..=399 => Some(Outcome::Stop(StopReason::Failed {
            message: format!("the server answered {code}, a redirect without a usable Location"),
        })),
        _ => Some(Outcome::Stop(StopReason::Failed { message: format!("the server answered {code}") })),
    }
}

/// How much of a 400's body is read for what it says, and for how long.
const REFUSAL_BYTES: usize = 4096;
const REFUSAL_WAIT: Duration = Duration::from_secs(5);

/// A 400 that is a front door refusing the client's certificate (nginx
/// with `ssl_verify_client` answers so), read from its first bytes.
async fn refused_identity(mut response: StreamResponse) -> Option<Outcome> {
    let read = async {
        let mut body = Vec::new();
        while body.len() < REFUSAL_BYTES {
            match response.body.next().await {
                Some(Ok(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body
    };
    let body = tokio::time::timeout(REFUSAL_WAIT, read).await.ok()?;
    let message = crate::tls::refused_by_server(&body)?;
    Some(Outcome::Stop(StopReason::IdentityRefused { message }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_goes_in_the_named_query_parameter_and_the_others_stay() {
        assert_eq!(with_query("http://h/e?topic=a&since=1", "since", "9"), "http://h/e?topic=a&since=9");
        assert_eq!(with_query("http://h/e", "last_event_id", "a b"), "http://h/e?last_event_id=a+b");
        assert_eq!(with_query("http://h/e?since=1", "since", ""), "http://h/e");
    }

    #[test]
    fn cursors_come_from_the_payload_and_stay_in_force() {
        let event = |data: &str| Event { event: "message".into(), data: data.into(), last_event_id: "".into() };
        let mut events = [event(r#"{"id":"a1"}"#), event("not json"), event(r#"{"id":7}"#)];
        assert_eq!(cursors_from_payload(&mut events, "/id").as_deref(), Some("7"));
        let ids: Vec<&str> = events.iter().map(|e| &*e.last_event_id).collect();
        assert_eq!(ids, ["a1", "a1", "7"]);
    }

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
