//! Every rule of staying connected, on a scripted transport and tokio's
//! paused clock: what each situation makes the subscription do, and exactly
//! when (in virtual time) it tries again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use herald_core::sse::{
    Clock, ConnectionState, Credentials, CredentialsError, EpochMs, Failure, Phase, StopReason, StreamRequest,
    StreamResponse, Subscription, SubscriptionConfig, Transport, TransportError,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::watch;
use tokio::time::Instant;

/// What the scripted server does for one request.
enum Reply {
    /// The connection fails.
    Fail,
    /// A status with headers and an empty body.
    Status(u16, &'static [(&'static str, &'static str)]),
    /// An event stream: these chunks, then the end, or a stall if `stall`.
    Stream { chunks: &'static [&'static str], stall: bool },
    /// An event stream whose chunks each come this many seconds after the
    /// one before, then a stall.
    Paced(&'static [(u64, &'static str)]),
}

fn stream(chunks: &'static [&'static str]) -> Reply {
    Reply::Stream { chunks, stall: false }
}

struct Script {
    replies: Mutex<VecDeque<Reply>>,
    /// Each request, and when it was made.
    requests: Mutex<Vec<(Instant, StreamRequest)>>,
    /// How many requests have been made.
    count: watch::Sender<usize>,
}

impl Transport for Script {
    fn open(&self, request: StreamRequest) -> BoxFuture<'static, Result<StreamResponse, TransportError>> {
        let mut requests = self.requests.lock().unwrap();
        requests.push((Instant::now(), request));
        self.count.send_replace(requests.len());
        // When the script runs out, the server just stays quiet.
        let reply = self.replies.lock().unwrap().pop_front().unwrap_or(Reply::Stream { chunks: &[], stall: true });
        Box::pin(async move {
            let mut headers = HeaderMap::new();
            let (status, body): (u16, BoxStream<'static, Result<Bytes, TransportError>>) = match reply {
                Reply::Fail => return Err(TransportError::unreachable("connection refused")),
                Reply::Status(status, extra) => {
                    for (name, value) in extra {
                        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
                    }
                    (status, stream::empty().boxed())
                }
                Reply::Stream { chunks, stall } => {
                    headers.insert("content-type", HeaderValue::from_static("text/event-stream; charset=utf-8"));
                    let body = stream::iter(chunks.iter().map(|c| Ok(Bytes::from_static(c.as_bytes()))));
                    let body = if stall { body.chain(stream::pending()).boxed() } else { body.boxed() };
                    (200, body)
                }
                Reply::Paced(chunks) => {
                    headers.insert("content-type", HeaderValue::from_static("text/event-stream"));
                    let body = stream::iter(chunks.iter()).then(|(secs, chunk)| async move {
                        tokio::time::sleep(Duration::from_secs(*secs)).await;
                        Ok(Bytes::from_static(chunk.as_bytes()))
                    });
                    (200, body.chain(stream::pending()).boxed())
                }
            };
            Ok(StreamResponse { status, headers, body })
        })
    }
}

/// Wall-clock time that follows tokio's paused clock.
struct VirtualClock(Instant);

impl Clock for VirtualClock {
    fn now_ms(&self) -> EpochMs {
        1_000_000 + self.0.elapsed().as_millis() as i64
    }
}

struct Run {
    script: Arc<Script>,
    subscription: Subscription,
    start: Instant,
}

fn run(replies: Vec<Reply>, config: SubscriptionConfig) -> Run {
    let script = Arc::new(Script {
        replies: Mutex::new(replies.into()),
        requests: Mutex::default(),
        count: watch::channel(0).0,
    });
    let start = Instant::now();
    let subscription = Subscription::start_with(script.clone(), Arc::new(VirtualClock(start)), config);
    Run { script, subscription, start }
}

fn config() -> SubscriptionConfig {
    SubscriptionConfig::new("http://feed.test/events")
}

impl Run {
    async fn events(&mut self, n: usize) -> Vec<(String, String)> {
        let mut got = Vec::new();
        while got.len() < n {
            let e = self.subscription.next_event().await.expect("the subscription ended early");
            got.push((e.data.into(), e.last_event_id.into()));
        }
        got
    }

    async fn until(&self, what: impl Fn(&ConnectionState) -> bool) -> ConnectionState {
        self.subscription.state().wait_for(|s| what(s)).await.unwrap().clone()
    }

    async fn stopped(&self) -> StopReason {
        match self.until(|s| matches!(s.phase, Phase::Stopped { .. })).await.phase {
            Phase::Stopped { reason } => reason,
            _ => unreachable!(),
        }
    }

    async fn requests_made(&self, n: usize) {
        self.script.count.subscribe().wait_for(|c| *c >= n).await.unwrap();
    }

    /// Milliseconds after the start at which each request was made.
    fn times(&self) -> Vec<u64> {
        self.script.requests.lock().unwrap().iter().map(|(t, _)| (*t - self.start).as_millis() as u64).collect()
    }

    fn url(&self, request: usize) -> String {
        self.script.requests.lock().unwrap()[request].1.url.clone()
    }

    fn header(&self, request: usize, name: &str) -> Option<String> {
        let requests = self.script.requests.lock().unwrap();
        requests[request].1.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }
}

#[tokio::test(start_paused = true)]
async fn every_request_asks_for_an_event_stream_with_the_feeds_own_headers() {
    let config = config().bearer("s3cret").unwrap().header("X-Team", "blue").unwrap();
    let mut r = run(vec![stream(&["data: a\n\n"])], config);
    r.events(1).await;
    assert_eq!(r.header(0, "accept").as_deref(), Some("text/event-stream"));
    assert_eq!(r.header(0, "cache-control").as_deref(), Some("no-cache"));
    assert_eq!(r.header(0, "authorization").as_deref(), Some("Bearer s3cret"));
    assert_eq!(r.header(0, "x-team").as_deref(), Some("blue"));
    assert_eq!(r.header(0, "last-event-id"), None, "no id known yet");
}

#[tokio::test(start_paused = true)]
async fn the_end_of_a_stream_reconnects_after_the_servers_retry_with_the_last_event_id() {
    let mut r = run(
        vec![stream(&["retry: 1500\nid: 1\ndata: a\n\nid: 2\ndata: cut off"]), stream(&["data: b\n\n"])],
        config().last_event_id("0"),
    );
    assert_eq!(r.events(2).await, [("a".into(), "1".into()), ("b".into(), "1".into())]);
    assert_eq!(r.header(0, "last-event-id").as_deref(), Some("0"), "a stored cursor is used from the start");
    assert_eq!(r.header(1, "last-event-id").as_deref(), Some("1"), "the cut-off block's id is not taken");
    assert_eq!(r.times(), [0, 1500]);
}

#[tokio::test(start_paused = true)]
async fn repeated_failures_back_off_exponentially_with_jitter_up_to_the_cap() {
    let r = run((0..9).map(|_| Reply::Fail).collect(), config());
    r.requests_made(9).await;
    let times = r.times();
    let waits: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(waits[0], 3000, "the first retry waits the server's retry delay");
    for (i, wait) in waits.iter().enumerate().skip(1) {
        let full = (3000u64 << i).min(60_000);
        assert!(*wait >= full / 2 && *wait <= full, "wait {i} was {wait} ms, expected {}..={full}", full / 2);
    }
    let state = r.until(|s| matches!(s.phase, Phase::Retrying { attempt: 9, .. })).await;
    let Phase::Retrying { at, reason, .. } = state.phase else { unreachable!() };
    assert_eq!(reason, Failure::Unreachable { detail: "connection refused".into() });
    assert!(at > 1_000_000 + times[8] as i64, "`at` is in the future");
}

#[tokio::test(start_paused = true)]
async fn a_healthy_connection_resets_the_backoff() {
    let mut r = run(vec![Reply::Fail, Reply::Fail, Reply::Fail, stream(&["data: ok\n\n"]), Reply::Fail], config());
    r.events(1).await;
    r.requests_made(6).await;
    let times = r.times();
    assert_eq!(times[4] - times[3], 3000, "after a stream that delivered, the wait is the retry delay again");
    assert!((3000..=6000).contains(&(times[5] - times[4])), "then it grows from the start");
}

#[tokio::test(start_paused = true)]
async fn overload_and_server_errors_retry_honouring_retry_after() {
    let r = run(
        vec![
            Reply::Status(503, &[("retry-after", "7")]),
            Reply::Status(429, &[("retry-after", "20")]),
            Reply::Status(408, &[]),
            Reply::Status(500, &[]),
        ],
        config(),
    );
    r.requests_made(5).await;
    let times = r.times();
    assert_eq!(&times[..3], [0, 7000, 27_000]);
    let wait = times[3] - times[2];
    assert!((6000..=12_000).contains(&wait), "without Retry-After, the third failure's backoff: {wait} ms");
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_is_capped_at_an_hour_and_the_state_says_when() {
    let r = run(vec![Reply::Status(503, &[("retry-after", "86400")])], config());
    let state = r.until(|s| matches!(s.phase, Phase::Retrying { .. })).await;
    let Phase::Retrying { at, .. } = state.phase else { unreachable!() };
    assert_eq!(at, 1_000_000 + 3_600_000, "the next attempt, an hour on");
    r.requests_made(2).await;
    assert_eq!(r.times(), [0, 3_600_000]);
}

#[tokio::test(start_paused = true)]
async fn statuses_that_retrying_cannot_fix_stop_the_subscription() {
    let cases: Vec<(Reply, StopReason)> = vec![
        (Reply::Status(204, &[]), StopReason::NoContent),
        (Reply::Status(401, &[]), StopReason::NeedsAuthentication { status: 401 }),
        (Reply::Status(403, &[]), StopReason::NeedsAuthentication { status: 403 }),
        (Reply::Status(404, &[]), StopReason::Gone { status: 404 }),
        (Reply::Status(410, &[]), StopReason::Gone { status: 410 }),
        (Reply::Status(202, &[]), StopReason::Failed { message: "the server answered 202".into() }),
        (
            Reply::Status(200, &[("content-type", "text/html; charset=utf-8")]),
            StopReason::Failed { message: "expected text/event-stream, got text/html; charset=utf-8".into() },
        ),
        (
            Reply::Status(200, &[]),
            StopReason::Failed { message: "expected text/event-stream, got no Content-Type".into() },
        ),
    ];
    for (reply, want) in cases {
        let r = run(vec![reply], config());
        assert_eq!(r.stopped().await, want);
        tokio::time::advance(Duration::from_secs(3600)).await; // virtual time
        assert_eq!(r.script.requests.lock().unwrap().len(), 1, "{want:?}: no retry, ever");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stalled_stream_is_dropped_and_resumed_with_the_last_event_id() {
    let mut config = config();
    config.stall_timeout = Duration::from_secs(45);
    let mut r =
        run(vec![Reply::Stream { chunks: &["id: 5\ndata: x\n\n"], stall: true }, stream(&["data: y\n\n"])], config);
    assert_eq!(r.events(2).await, [("x".into(), "5".into()), ("y".into(), "5".into())]);
    assert_eq!(r.times(), [0, 48_000], "45 s of silence, then the 3 s retry delay");
    assert_eq!(r.header(1, "last-event-id").as_deref(), Some("5"));
}

#[tokio::test(start_paused = true)]
async fn comments_keep_a_quiet_stream_alive() {
    let mut config = config();
    config.stall_timeout = Duration::from_secs(45);
    let keepalives = Reply::Stream { chunks: &[": ping\n\n", ": ping\n\n", "data: after\n\n"], stall: true };
    let mut r = run(vec![keepalives], config);
    r.events(1).await;
    let state = r.until(|s| s.last_heard.is_some()).await;
    assert!(matches!(state.phase, Phase::Open { .. }));
    assert_eq!(r.times(), [0]);
}

/// ntfy's stream as it really is: a message has no `event:` line, and its
/// id is in its data; `open` and `keepalive` carry ids of their own there.
#[tokio::test(start_paused = true)]
async fn control_events_are_signs_of_life_never_news_and_never_the_cursor() {
    let ntfy = config()
        .resume(herald_core::sse::Resume::Query("since".into()))
        .cursor_pointer(Some("/id".into()))
        .control_events(vec!["open".into(), "keepalive".into()]);
    let mut r = run(
        vec![
            stream(&[
                "event: open\ndata: {\"id\":\"o1\",\"event\":\"open\"}\n\n",
                "data: {\"id\":\"m1\",\"event\":\"message\",\"message\":\"a\"}\n\n",
                "event: keepalive\ndata: {\"id\":\"k1\",\"event\":\"keepalive\"}\n\n",
            ]),
            stream(&[
                "event: open\ndata: {\"id\":\"o2\",\"event\":\"open\"}\n\ndata: {\"id\":\"m2\",\"message\":\"b\"}\n\n",
                "event: keepalive\ndata: {\"id\":\"k2\"}\n\n",
            ]),
        ],
        ntfy,
    );
    let got = r.events(2).await;
    assert_eq!(got.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>(), ["m1", "m2"], "only messages: {got:?}");
    r.requests_made(3).await;
    assert_eq!(r.url(1), "http://feed.test/events?since=m1", "resumed from the message, not the keepalive");
    assert_eq!(r.url(2), "http://feed.test/events?since=m2");

    // A control event's `id:` line moves nothing either.
    let mut r = run(
        vec![stream(&["id: 7\ndata: x\n\n", "event: ping\nid: 99\ndata: {}\n\n"]), stream(&["data: y\n\n"])],
        config().control_events(vec!["ping".into()]),
    );
    assert_eq!(r.events(2).await, [("x".into(), "7".into()), ("y".into(), "7".into())]);
    assert_eq!(r.header(1, "last-event-id").as_deref(), Some("7"));
}

/// A stall timeout that races the server's keepalive grows to twice the
/// longest wait for one, and the state says what it learned.
#[tokio::test(start_paused = true)]
async fn the_stall_timeout_learns_the_servers_keepalive() {
    let config = config().stall_timeout(Duration::from_secs(5)).control_events(vec!["keepalive".into()]);
    const KEEPALIVE: &str = "event: keepalive\ndata: {}\n\n";
    let r = run(vec![Reply::Paced(&[(4, KEEPALIVE), (7, ": ping\n\n"), (13, KEEPALIVE)]), stream(&[])], config);
    let learned = r.until(|s| s.keepalive_ms == Some(13_000)).await;
    assert_eq!(learned.stall_timeout_ms, 26_000);
    r.requests_made(2).await;
    assert_eq!(r.times(), [0, 4_000 + 7_000 + 13_000 + 26_000 + 3_000], "silence twice the longest wait, then retry");

    // News alone teaches nothing: its pace is the users', not the server's keepalive.
    let config = stalling_after(Duration::from_secs(45));
    let r = run(vec![Reply::Paced(&[(40, "data: a\n\n")])], config);
    r.requests_made(2).await;
    assert_eq!(r.times(), [0, 40_000 + 45_000 + 3_000]);
    assert_eq!(r.until(|_| true).await.keepalive_ms, None);

    // What was learned before (the store keeps it) holds from the first byte.
    let config = stalling_after(Duration::from_secs(45)).keepalive(Some(Duration::from_secs(45)));
    let r = run(vec![Reply::Paced(&[(60, ": ping\n\n")])], config);
    assert_eq!(r.until(|_| true).await.stall_timeout_ms, 90_000);
    r.requests_made(2).await;
    // 60 s of quiet is borne, and then taught: twice it, before the retry.
    assert_eq!(r.times(), [0, 60_000 + 120_000 + 3_000]);
}

/// A config that recycles a stream silent for `stall`.
fn stalling_after(stall: Duration) -> SubscriptionConfig {
    config().stall_timeout(stall)
}

#[tokio::test(start_paused = true)]
async fn reconnect_now_skips_the_wait() {
    let r = run(vec![Reply::Fail, Reply::Fail, Reply::Fail], config());
    r.until(|s| matches!(s.phase, Phase::Retrying { attempt: 2, .. })).await;
    let before = r.times();
    r.subscription.reconnect_now();
    r.requests_made(3).await;
    let times = r.times();
    assert_eq!(times[2], before[1], "the third attempt came at once, not after the backoff");
    r.until(|s| matches!(s.phase, Phase::Retrying { attempt: 1, .. })).await;
}

#[tokio::test(start_paused = true)]
async fn a_malformed_block_costs_neither_the_events_after_it_nor_the_connection() {
    let mut r = run(
        vec![Reply::Stream {
            chunks: &["data: a\n\nretry: x\nid: 1\0\nno colon at all\nevent\n\ndata: b\n\n"],
            stall: true,
        }],
        config(),
    );
    assert_eq!(r.events(2).await, [("a".into(), "".into()), ("b".into(), "".into())]);
    assert_eq!(r.times(), [0]);
}

#[tokio::test(start_paused = true)]
async fn close_stops_the_subscription() {
    let r = run(vec![Reply::Fail], config());
    r.until(|s| matches!(s.phase, Phase::Retrying { .. })).await;
    r.subscription.close();
    assert_eq!(r.stopped().await, StopReason::Closed);
}

/// Credentials that hand out "Bearer t1", then the next token each time
/// one is refused; or, once `ended`, say the user must sign in.
struct Tokens {
    issued: Mutex<u32>,
    ended: bool,
}

impl Credentials for Tokens {
    fn authorization(
        &self,
        refused: Option<HeaderValue>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<HeaderValue, CredentialsError>> + Send + '_>> {
        Box::pin(async move {
            if self.ended {
                return Err(CredentialsError { message: "not signed in".into(), needs_sign_in: true });
            }
            let mut issued = self.issued.lock().unwrap();
            let current = HeaderValue::from_str(&format!("Bearer t{issued}")).unwrap();
            if *issued == 0 || refused.as_ref() == Some(&current) {
                *issued += 1;
            }
            Ok(HeaderValue::from_str(&format!("Bearer t{issued}")).unwrap())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_refused_token_is_replaced_at_once_and_refused_twice_it_is_the_users() {
    let tokens = Arc::new(Tokens { issued: Mutex::new(0), ended: false });
    let replies = vec![
        Reply::Status(401, &[]),
        Reply::Stream { chunks: &["retry: 1000\nid: 1\ndata: a\n\n"], stall: false },
        Reply::Status(401, &[]),
        Reply::Status(401, &[]),
    ];
    let mut r = run(replies, config().credentials(tokens.clone()));
    assert_eq!(r.events(1).await, [("a".to_owned(), "1".to_owned())]);
    assert_eq!(r.stopped().await, StopReason::NeedsAuthentication { status: 401 });
    let sent: Vec<Option<String>> = (0..4).map(|i| r.header(i, "authorization")).collect();
    let bearer = |n: u32| Some(format!("Bearer t{n}"));
    // Refused: the next token at once. The stream ends: the same token
    // again, after the server's retry. Refused twice in a row: it stops.
    assert_eq!(sent, [bearer(1), bearer(2), bearer(2), bearer(3)]);
    let times = r.times();
    assert_eq!(times[1], times[0], "a refused token is replaced without a wait");
    assert_eq!(r.header(2, "last-event-id").as_deref(), Some("1"), "it resumes where it was");

    let ended = Arc::new(Tokens { issued: Mutex::new(0), ended: true });
    let r = run(Vec::new(), config().credentials(ended));
    assert_eq!(r.stopped().await, StopReason::NeedsSignIn { message: "not signed in".into() });
    assert_eq!(r.script.requests.lock().unwrap().len(), 0, "nothing is sent without a token");
}
