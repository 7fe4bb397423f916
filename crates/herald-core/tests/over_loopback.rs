//! The subscription against scripted raw HTTP servers on 127.0.0.1: each
//! connection gets the next scripted answer, byte for byte, and every
//! request's headers are recorded. Each test asserts the exact events
//! delivered (none lost, none repeated) and the exact request headers.

use herald_test_support as common;

use std::time::Duration;

use common::{serve, sse, Answer};
use herald_core::sse::{Event, Failure, Phase, Resume, StopReason, Subscription, SubscriptionConfig};

const DEADLINE: Duration = Duration::from_secs(20);

async fn events(subscription: &mut Subscription, n: usize) -> Vec<Event> {
    let mut got = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        while got.len() < n {
            got.push(subscription.next_event().await.expect("the subscription ended early"));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} of {n} events arrived", got.len()));
    got
}

fn data(events: &[Event]) -> Vec<(&str, &str)> {
    events.iter().map(|e| (&*e.data, &*e.last_event_id)).collect()
}

fn start(url: &str) -> Subscription {
    Subscription::start(herald_core::http_client().unwrap(), SubscriptionConfig::new(url))
}

#[tokio::test]
async fn a_stream_cut_mid_event_resumes_with_its_last_event_id_and_loses_nothing() {
    let server = serve(vec![
        Answer::Close(sse(b"retry: 10\nid: 1\ndata: one\n\nid: 2\ndata: tw")),
        Answer::Hold(sse(b"id: 2\ndata: two\n\nid: 3\ndata: three\n\n")),
    ])
    .await;
    let mut sub = start(&format!("{}/events", server.url));
    assert_eq!(data(&events(&mut sub, 3).await), [("one", "1"), ("two", "2"), ("three", "3")]);
    assert_eq!(server.header(0, "accept").as_deref(), Some("text/event-stream"));
    assert_eq!(server.header(0, "cache-control").as_deref(), Some("no-cache"));
    assert_eq!(server.header(0, "last-event-id"), None);
    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("1"));
}

/// Nchan, older Mercure hubs and ntfy want the cursor in the URL.
#[tokio::test]
async fn a_query_parameter_can_carry_the_cursor_instead_of_the_header() {
    let server =
        serve(vec![Answer::Close(sse(b"retry: 10\nid: 5\ndata: one\n\n")), Answer::Hold(sse(b"id: 6\ndata: two\n\n"))])
            .await;
    let mut config = SubscriptionConfig::new(format!("{}/sub?topic=tasks", server.url));
    config.resume = Resume::Query("last_event_id".into());
    let mut sub = Subscription::start(herald_core::http_client().unwrap(), config);
    assert_eq!(data(&events(&mut sub, 2).await), [("one", "5"), ("two", "6")]);
    assert_eq!(server.request_line(0), "GET /sub?topic=tasks HTTP/1.1");
    assert_eq!(server.request_line(1), "GET /sub?topic=tasks&last_event_id=5 HTTP/1.1");
    assert_eq!(server.header(1, "last-event-id"), None);
}

/// ntfy sends no `id:` lines; each message's id is in its JSON data.
#[tokio::test]
async fn a_cursor_can_come_from_the_payload() {
    let server = serve(vec![
        Answer::Close(sse(b"retry: 10\ndata: {\"id\":\"aB3\",\"message\":\"one\"}\n\n")),
        Answer::Hold(sse(b"data: {\"id\":\"cD4\",\"message\":\"two\"}\n\n")),
    ])
    .await;
    let mut config = SubscriptionConfig::new(format!("{}/mytopic/sse", server.url));
    config.resume = Resume::Query("since".into());
    config.cursor_pointer = Some("/id".into());
    let mut sub = Subscription::start(herald_core::http_client().unwrap(), config);
    let got = events(&mut sub, 2).await;
    let ids: Vec<&str> = got.iter().map(|e| &*e.last_event_id).collect();
    assert_eq!(ids, ["aB3", "cD4"]);
    assert_eq!(server.request_line(1), "GET /mytopic/sse?since=aB3 HTTP/1.1");
}

#[tokio::test]
async fn redirects_of_every_kind_are_followed_with_the_headers_kept() {
    let hop = |code: &str, to: &str| {
        Answer::Close(format!("HTTP/1.1 {code}\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n").into_bytes())
    };
    let server = serve(vec![
        hop("301 Moved Permanently", "/b"),
        hop("302 Found", "/c"),
        hop("303 See Other", "/d"),
        hop("307 Temporary Redirect", "/e"),
        hop("308 Permanent Redirect", "/final"),
        Answer::Hold(sse(b"data: arrived\n\n")),
    ])
    .await;
    let config = SubscriptionConfig::new(format!("{}/a", server.url)).last_event_id("41");
    let mut sub = Subscription::start(herald_core::http_client().unwrap(), config);
    assert_eq!(data(&events(&mut sub, 1).await), [("arrived", "41")]);
    let lines: Vec<String> = (0..6).map(|i| server.request_line(i)).collect();
    assert_eq!(
        lines,
        [
            "GET /a HTTP/1.1",
            "GET /b HTTP/1.1",
            "GET /c HTTP/1.1",
            "GET /d HTTP/1.1",
            "GET /e HTTP/1.1",
            "GET /final HTTP/1.1"
        ]
    );
    assert_eq!(server.header(5, "accept").as_deref(), Some("text/event-stream"));
    assert_eq!(server.header(5, "last-event-id").as_deref(), Some("41"));
}

#[tokio::test]
async fn a_503_with_retry_after_is_retried_after_that_long() {
    let server = serve(vec![
        Answer::Close(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n".to_vec()),
        Answer::Hold(sse(b"data: back\n\n")),
    ])
    .await;
    let mut sub = start(&server.url);
    let mut state = sub.state();
    let retrying = tokio::time::timeout(DEADLINE, state.wait_for(|s| matches!(s.phase, Phase::Retrying { .. })))
        .await
        .unwrap()
        .unwrap()
        .clone();
    let Phase::Retrying { reason, .. } = retrying.phase else { unreachable!() };
    assert_eq!(reason, Failure::Status { status: 503 });
    assert_eq!(reason.to_string(), "the server answered 503");
    assert_eq!(data(&events(&mut sub, 1).await), [("back", "")]);
}

#[tokio::test]
async fn a_5_mb_event_arrives_whole_and_one_over_the_limit_is_skipped_alone() {
    let big = "x".repeat(5 * 1024 * 1024);
    let body = format!("data: {big}\n\ndata: after big\n\n");
    let server = serve(vec![Answer::Hold(sse(body.as_bytes()))]).await;
    let mut sub = start(&server.url);
    let got = events(&mut sub, 2).await;
    assert_eq!(got[0].data.len(), big.len());
    assert_eq!(got[1].data, "after big");

    let huge = "y".repeat(2 * 1024 * 1024);
    let body = format!("data: small\n\ndata: {huge}\n\ndata: after huge\n\n");
    let server = serve(vec![Answer::Hold(sse(body.as_bytes()))]).await;
    let mut config = SubscriptionConfig::new(&server.url);
    config.max_event_bytes = 1024 * 1024;
    let mut sub = Subscription::start(herald_core::http_client().unwrap(), config);
    assert_eq!(data(&events(&mut sub, 2).await), [("small", ""), ("after huge", "")]);
}

#[tokio::test]
async fn invalid_utf8_becomes_replacement_characters() {
    let server = serve(vec![Answer::Hold(sse(b"data: caf\xC3\xA9 \xFF\xFE\n\n"))]).await;
    let mut sub = start(&server.url);
    assert_eq!(data(&events(&mut sub, 1).await), [("café \u{FFFD}\u{FFFD}", "")]);
}

#[tokio::test]
async fn a_204_stops_for_good() {
    let server = serve(vec![Answer::Close(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec())]).await;
    let sub = start(&server.url);
    let mut state = sub.state();
    let stopped = tokio::time::timeout(DEADLINE, state.wait_for(|s| matches!(s.phase, Phase::Stopped { .. })))
        .await
        .unwrap()
        .unwrap()
        .clone();
    assert_eq!(stopped.phase, Phase::Stopped { reason: StopReason::NoContent });
    assert_eq!(server.requests.lock().unwrap().len(), 1);
}
