//! Probing feeds on real servers over loopback, as "Test connection" does:
//! a self-signed HTTP/2-only server is refused with its fingerprint, then
//! trusted exactly; an ntfy topic and a task list are recognised; a wrong
//! status or Content-Type is told as it is.

use std::sync::Arc;
use std::time::Duration;

use herald_core::feed::{pinned_certificate_path, Feed, Preset};
use herald_core::probe::probe;
use herald_core::proxy::NoDesktop;
use herald_core::secrets::MemorySecrets;
use herald_core::tls::{fingerprint, pem};
use herald_test_support::ntfy::{Message, Ntfy};
use herald_test_support::tls::{self_signed_ca_true, serve_h2};
use herald_test_support::{serve, Answer};

const BUDGET: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_self_signed_certificate_is_refused_with_its_fingerprint_then_trusted_exactly() {
    let identity = self_signed_ca_true();
    let server = serve_h2(&identity, "event: create\ndata: {\"id\":1,\"name\":\"a\",\"done\":false}\n\n").await;
    let feed = Feed::new("list", &server.url);
    let (report, refused) = probe(&feed, Arc::new(MemorySecrets::default()), &NoDesktop, BUDGET, 1).await;
    let expected = fingerprint(identity.chain[0].as_ref());
    assert_eq!(report.certificate.as_deref(), Some(expected.as_str()));
    assert!(
        report.problem.as_deref().is_some_and(|p| p.contains(&expected) && p.contains("not trusted")),
        "{report:?}"
    );
    let refused = refused.expect("the certificate comes back to be trusted");
    assert_eq!(refused.der, identity.chain[0].as_ref());

    // The user compared the fingerprint and trusts it: exactly that certificate.
    let dir = tempfile::tempdir().unwrap();
    let path = pinned_certificate_path(dir.path(), &refused.fingerprint);
    std::fs::write(&path, pem(&refused.der)).unwrap();
    let mut trusted = feed.clone();
    trusted.settings.ca_cert = Some(path);
    let (report, refused) = probe(&trusted, Arc::new(MemorySecrets::default()), &NoDesktop, BUDGET, 1).await;
    assert_eq!((report.problem.as_deref(), refused), (None, None));
    assert_eq!(report.status, Some(200));
    assert_eq!(report.events.len(), 1);
    assert!(!report.ids, "the task list sends no ids");
    assert_eq!(report.looks_like, Some(Preset::TaskList));
}

#[tokio::test]
async fn an_ntfy_topic_is_recognised_by_its_first_events() {
    let ntfy = Ntfy::start().await;
    ntfy.publish("alerts", &Message { title: Some("Disk"), message: "full", ..Default::default() });
    // ntfy sends a new subscriber only what comes next, unless asked for its cache.
    let feed = Feed::new("alerts", format!("{}/alerts/sse?since=all", ntfy.url));
    let (report, _) = probe(&feed, Arc::new(MemorySecrets::default()), &NoDesktop, BUDGET, 2).await;
    assert_eq!(report.problem, None);
    assert_eq!(report.content_type.as_deref().map(|t| t.starts_with("text/event-stream")), Some(true));
    assert_eq!(report.events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["open", "message"]);
    assert_eq!(report.looks_like, Some(Preset::Ntfy));
}

#[tokio::test]
async fn a_wrong_status_or_content_type_is_told_exactly() {
    let missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec();
    let html = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi".to_vec();
    let server = serve(vec![Answer::Close(missing), Answer::Close(html)]).await;
    let feed = Feed::new("x", format!("{}/events", server.url));
    let (report, _) = probe(&feed, Arc::new(MemorySecrets::default()), &NoDesktop, BUDGET, 1).await;
    assert_eq!((report.status, report.problem.as_deref()), (Some(404), Some("the server answered 404 Not Found")));
    let (report, _) = probe(&feed, Arc::new(MemorySecrets::default()), &NoDesktop, BUDGET, 1).await;
    assert_eq!(report.content_type.as_deref(), Some("text/html"));
    assert_eq!(report.problem.as_deref(), Some("the server sent text/html, not an event stream (text/event-stream)"));
    assert_eq!(server.header(1, "accept").as_deref(), Some("text/event-stream"));
}
