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

/// A server that checks client certificates in the handshake (as Go's and
/// Caddy do, where nginx answers 400): one without a certificate, and one
/// from another CA, are refused by a TLS alert, which stops the feed as
/// its identity refused; a certificate of the right CA gets the event.
#[tokio::test]
async fn a_server_that_refuses_the_client_certificate_in_the_handshake_stops_the_feed_with_why() {
    use common::mtls::{ClientCa, Validity};
    use herald_core::secrets::{MemorySecrets, Secrets};
    use herald_core::tls::ClientIdentity;

    let company = ClientCa::new("Example Corp");
    let identity = signed_by_private_ca();
    let server = common::tls::serve_h2_to_clients_of(&identity, &company.pem, STREAM).await;
    let trust = ExtraTrust::from_pem(identity.trust_pem.as_bytes()).unwrap();
    let refusal = |subscription: Subscription| async move {
        let mut state = subscription.state();
        let stopped = state.wait_for(|s| matches!(s.phase, Phase::Stopped { .. }));
        let state = tokio::time::timeout(Duration::from_secs(30), stopped)
            .await
            .unwrap_or_else(|_| panic!("not stopped: {:?}", subscription.state().borrow().phase))
            .unwrap()
            .clone();
        match state.phase {
            Phase::Stopped { reason: StopReason::IdentityRefused { message } } => message,
            other => panic!("expected the identity refused, got {other:?}"),
        }
    };
    let none = refusal(subscribe(http_client_trusting(&trust).unwrap(), &server)).await;
    assert!(none.contains("CertificateRequired") && none.contains("client_identity"), "{none}");

    let dir = tempfile::tempdir().unwrap();
    let present = |ca: &ClientCa, who: &str| {
        let (cert, key) = ca.issue(who, Validity::Current).write(dir.path(), who);
        let secrets = MemorySecrets::default();
        secrets.set("key", &std::fs::read_to_string(key).unwrap()).unwrap();
        let presented = ClientIdentity { cert, keyring: "key".into() }.load(&secrets, 1_800_000_000).unwrap();
        herald_core::http_client_for(&trust, Some(&presented), &Default::default()).unwrap()
    };
    let other = refusal(subscribe(present(&ClientCa::new("Someone else"), "mallory"), &server)).await;
    assert!(other.contains("does not trust whoever issued"), "{other}");

    let mut subscription = subscribe(present(&company, "ana"), &server);
    let event = tokio::time::timeout(Duration::from_secs(30), subscription.next_event()).await.unwrap().unwrap();
    assert_eq!(&*event.data, "over h2");
}
