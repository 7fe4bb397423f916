//! `herald-cli tail --ca-cert` against an HTTPS server on loopback that
//! speaks only HTTP/2 and has a self-signed certificate.

use std::process::Output;
use std::time::Duration;

use herald_test_support::tls::{self_signed_ca_true, serve_h2};
use serde_json::Value;

async fn tail(args: &[&str]) -> Output {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-cli")).arg("tail").args(args).output();
    tokio::time::timeout(Duration::from_secs(30), run).await.expect("herald-cli finished").unwrap()
}

fn last_json_line(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().expect("some output")).expect("one JSON object per line")
}

#[tokio::test]
async fn ca_cert_trusts_a_self_signed_server_over_http2() {
    let identity = self_signed_ca_true();
    let server = serve_h2(&identity, "id: 7\ndata: over h2\n\n").await;
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("server.pem");
    std::fs::write(&pem, &identity.trust_pem).unwrap();

    let output = tail(&[&server.url, "--json", "--max-events", "1", "--ca-cert", pem.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let event = last_json_line(&output);
    assert_eq!((event["data"].as_str(), event["lastEventId"].as_str()), (Some("over h2"), Some("7")));
    assert_eq!(server.request(0).version, http::Version::HTTP_2);
}

#[tokio::test]
async fn without_ca_cert_the_refusal_says_how_to_trust_it_and_exits_3() {
    let identity = self_signed_ca_true();
    let server = serve_h2(&identity, "data: never seen\n\n").await;
    let output = tail(&[&server.url, "--json"]).await;
    assert_eq!(output.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let stopped = lines.iter().find(|l| l["state"] == "stopped").expect("a stopped state");
    assert_eq!(stopped["reason"]["kind"], "certificateRefused", "the kind, not only the text");
    let message = stopped["reason"]["message"].as_str().unwrap();
    assert!(message.contains("--ca-cert") && message.contains("SHA-256"), "{message}");
}

#[tokio::test]
async fn a_ca_cert_file_that_is_not_pem_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("not.pem");
    std::fs::write(&pem, "hello").unwrap();
    let output = tail(&["https://127.0.0.1:9/", "--json", "--ca-cert", pem.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(2));
    let error = last_json_line(&output);
    assert_eq!(error["kind"], "error");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("--ca-cert ") && message.contains("no PEM certificate"), "{message}");
}
