//! Herald's subscription and eventsource-client 0.18 (the measured baseline),
//! side by side against the same scripted servers on loopback. Each case
//! asserts what the spec requires of Herald, and records what the baseline
//! does with the same bytes.

use herald_test_support as common;

use std::time::Duration;

use common::{serve, sse, Answer, Server};
use eventsource_client::{Client, ClientBuilder, ReconnectOptions, SSE};
use futures_util::StreamExt;
use herald_core::sse::{Phase, StopReason, Subscription, SubscriptionConfig};
use launchdarkly_sdk_transport::HyperTransport;

const DEADLINE: Duration = Duration::from_secs(20);

fn herald(server: &Server) -> Subscription {
    Subscription::start(herald_core::http_client().unwrap(), SubscriptionConfig::new(&server.url))
}

/// The baseline, reconnecting quickly so that the cases stay short.
fn baseline(server: &Server) -> impl Client {
    let reconnect = ReconnectOptions::reconnect(true).delay(Duration::from_millis(10)).build();
    ClientBuilder::for_url(&server.url)
        .unwrap()
        .reconnect(reconnect)
        .build_with_transport(HyperTransport::new().unwrap())
}

/// Data of the baseline's next `n` events (errors and other items skipped).
async fn baseline_events(client: &impl Client, n: usize) -> Vec<String> {
    let mut stream = client.stream();
    let mut got = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        while got.len() < n {
            match stream.next().await {
                Some(Ok(SSE::Event(e))) => got.push(e.data),
                Some(_) => {}
                None => break,
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the baseline delivered only {got:?}"));
    got
}

async fn herald_stop(sub: &Subscription) -> StopReason {
    let mut state = sub.state();
    let stopped = tokio::time::timeout(DEADLINE, state.wait_for(|s| matches!(s.phase, Phase::Stopped { .. })))
        .await
        .expect("herald stopped")
        .unwrap()
        .clone();
    match stopped.phase {
        Phase::Stopped { reason } => reason,
        _ => unreachable!(),
    }
}

/// Two connections: an event with an id, then the end of the stream; the
/// second request shows which Last-Event-ID the client resumed with.
fn resume_script(first: &'static [u8]) -> Vec<Answer> {
    vec![Answer::Close(sse(first)), Answer::Hold(sse(b"data: after\n\n"))]
}

#[tokio::test]
async fn the_last_event_id_is_sent_after_a_reconnect() {
    let first = b"retry: 10\nid: 7\ndata: before\n\n";
    let server = serve(resume_script(first)).await;
    let mut sub = herald(&server);
    while sub.next_event().await.map(|e| e.data) != Some("after".into()) {}
    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("7"), "Herald resumes where it was");

    let server = serve(resume_script(first)).await;
    let client = baseline(&server);
    assert_eq!(baseline_events(&client, 2).await, ["before", "after"]);
    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("7"), "so does the baseline, here");
}

#[tokio::test]
async fn the_last_event_id_survives_events_without_ids_across_reconnects() {
    let script = || {
        vec![
            Answer::Close(sse(b"retry: 10\nid: 7\ndata: one\n\n")),
            Answer::Close(sse(b"data: two\n\n")),
            Answer::Hold(sse(b"data: three\n\n")),
        ]
    };
    let server = serve(script()).await;
    let mut sub = herald(&server);
    while sub.next_event().await.map(|e| e.data) != Some("three".into()) {}
    assert_eq!(server.header(2, "last-event-id").as_deref(), Some("7"), "an event without an id keeps the cursor");

    let server = serve(script()).await;
    let client = baseline(&server);
    assert_eq!(baseline_events(&client, 3).await, ["one", "two", "three"]);
    assert_eq!(
        server.header(2, "last-event-id"),
        None,
        "the baseline drops it: a replaying server would resend everything"
    );
}

#[tokio::test]
async fn an_id_only_block_moves_the_cursor() {
    let first = b"retry: 10\nid: 7\ndata: before\n\nid: 8\n\n";
    let server = serve(resume_script(first)).await;
    let mut sub = herald(&server);
    while sub.next_event().await.map(|e| e.data) != Some("after".into()) {}
    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("8"), "the spec sets the id at dispatch");

    let server = serve(resume_script(first)).await;
    let client = baseline(&server);
    baseline_events(&client, 2).await;
    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("7"), "the baseline skips id-only blocks");
}

#[tokio::test]
async fn a_204_is_final() {
    let no_content = || Answer::Close(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec());
    let server = serve(vec![no_content()]).await;
    let sub = herald(&server);
    assert_eq!(herald_stop(&sub).await, StopReason::NoContent);
    assert_eq!(server.requests.lock().unwrap().len(), 1, "Herald never asks again");

    let server = serve((0..5).map(|_| no_content()).collect()).await;
    let client = baseline(&server);
    let mut stream = client.stream();
    let polling = tokio::spawn(async move { while stream.next().await.is_some() {} });
    // The baseline keeps reconnecting to a server that said stop.
    tokio::time::timeout(DEADLINE, server.requests_made(3)).await.expect("the baseline asked again");
    polling.abort();
}

#[tokio::test]
async fn a_response_that_is_not_an_event_stream_is_refused() {
    let html = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 14\r\n\r\ndata: spoof\n\n\n".to_vec();
    let server = serve(vec![Answer::Close(html.clone())]).await;
    let sub = herald(&server);
    assert_eq!(
        herald_stop(&sub).await,
        StopReason::Failed { message: "expected text/event-stream, got text/html".into() }
    );

    let server = serve(vec![Answer::Close(html)]).await;
    let client = baseline(&server);
    // The baseline reads the HTML body as events.
    assert_eq!(baseline_events(&client, 1).await, ["spoof"]);
}
