//! TLS against an HTTPS server on 127.0.0.1 that speaks only HTTP/2: a
//! self-signed certificate is refused with a way out, trusting exactly that
//! certificate works, and a private CA works as a root.

use herald_test_support as common;

use std::time::Duration;

use common::tls::{self_signed_ca_true, serve_h2, signed_by_private_ca, TlsServer};
use herald_core::sse::{Phase, StopReason, Subscription, SubscriptionConfig};
use herald_core::tls::{fingerprint, ExtraTrust};
use herald_core::{http_client, http_client_trusting};

/// One event, and a `retry` short enough that the reconnection comes at once.
const STREAM: &str = "retry: 1\nid: 1\ndata: over h2\n\n";

fn trusting(pem: &str) -> reqwest::Client {
    http_client_trusting(&ExtraTrust::from_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn subscribe(client: reqwest::Client, server: &TlsServer) -> Subscription {
    let mut config = SubscriptionConfig::new(&server.url);
    config.retry = Duration::from_millis(1);
    Subscription::start(client, config)
}

/// Waits for the subscription to stop on a refused certificate, and
/// returns what it says.
async fn stop_message(subscription: &Subscription) -> String {
    let mut state = subscription.state();
    let state = state.wait_for(|s| matches!(s.phase, Phase::Stopped { .. })).await.unwrap().clone();
    match state.phase {
        Phase::Stopped { reason: StopReason::CertificateRefused { message } } => message,
        other => panic!("expected a refused certificate, got {other:?}"),
    }
}

#[tokio::test]
async fn a_self_signed_certificate_is_refused_with_its_fingerprint_and_the_fix() {
    let identity = self_signed_ca_true();
    let server = serve_h2(&identity, STREAM).await;
    let subscription = subscribe(http_client().unwrap(), &server);
    let message = stop_message(&subscription).await;
    assert!(message.contains(&fingerprint(&identity.chain[0])), "{message}");
    assert!(message.contains("--ca-cert"), "{message}");
    assert!(message.contains("a CA certificate used as the server's own"), "{message}");
    assert!(server.requests.lock().unwrap().is_empty(), "nothing is sent to a server that is not trusted");
}

#[tokio::test]
async fn trusting_exactly_that_certificate_connects_over_http2_and_resumes() {
    let identity = self_signed_ca_true();
    let server = serve_h2(&identity, STREAM).await;
    let mut subscription = subscribe(trusting(&identity.trust_pem), &server);
    let event = subscription.next_event().await.unwrap();
    assert_eq!((&*event.data, &*event.last_event_id), ("over h2", "1"));
    server.requests_made(2).await;
    let (first, second) = (server.request(0), server.request(1));
    assert_eq!(first.version, http::Version::HTTP_2);
    assert_eq!(first.accept.as_deref(), Some("text/event-stream"));
    assert_eq!(first.last_event_id, None);
    assert_eq!(second.last_event_id.as_deref(), Some("1"), "the reconnection resumes after the event");
}

#[tokio::test]
async fn a_private_ca_is_trusted_as_a_root() {
    let identity = signed_by_private_ca();
    let server = serve_h2(&identity, STREAM).await;
    let mut subscription = subscribe(trusting(&identity.trust_pem), &server);
    assert_eq!(&*subscription.next_event().await.unwrap().data, "over h2");
}

#[tokio::test]
async fn trusting_one_certificate_does_not_trust_another() {
    let trusted = self_signed_ca_true();
    let presented = self_signed_ca_true();
    let server = serve_h2(&presented, STREAM).await;
    let subscription = subscribe(trusting(&trusted.trust_pem), &server);
    let message = stop_message(&subscription).await;
    assert!(message.contains(&fingerprint(&presented.chain[0])), "{message}");
}
