//! `herald-cli tail --client-cert` through a company's front door: real
//! nginx with `ssl_verify_client on`, in front of an event stream, all on
//! loopback, with certificates made by the test. A good identity (PEM, and
//! PKCS#12) gets through; none, an expired one, one from another CA, a key
//! that does not match, and a wrong passphrase each stop the feed with a
//! clear reason of the kind `identityRefused`, and exit 3.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use herald_test_support::mtls::{ClientCa, FrontDoor, Validity};
use herald_test_support::{serve, sse, Answer};
use serde_json::Value;

async fn tail(args: &[&str], stdin: &str) -> Output {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-cli"))
        .arg("tail")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut input, stdin.as_bytes()).await.unwrap();
    drop(input);
    tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await.expect("herald-cli finished").unwrap()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON lines")).collect()
}

/// The reason the feed stopped for, once it is the client certificate.
fn refused(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let lines = lines(output);
    let stopped = lines.iter().find(|l| l["state"] == "stopped").expect("a stopped state");
    assert_eq!(stopped["reason"]["kind"], "identityRefused", "{stopped}");
    stopped["reason"]["message"].as_str().unwrap().to_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_front_door_that_asks_for_a_client_certificate_lets_in_only_a_good_one() {
    let answers = (0..4).map(|_| Answer::Close(sse(b"id: 1\ndata: inside\n\n"))).collect();
    let upstream = serve(answers).await;
    let ca = ClientCa::new("Example Corp");
    let door = FrontDoor::start(&ca, &upstream.url).await;
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("door-ca.pem");
    std::fs::write(&trust, &door.trust_pem).unwrap();
    let url = format!("{}/events", door.nginx.url);
    let through = |extra: Vec<String>| {
        let mut args = vec![url.clone(), "--json".into(), "--ca-cert".into(), path(&trust).into()];
        args.extend(extra);
        args
    };
    let identity = |cert: &Path, key: Option<&Path>| {
        let mut args = vec!["--client-cert".to_owned(), path(cert).to_owned()];
        if let Some(key) = key {
            args.extend(["--client-key".to_owned(), path(key).to_owned()]);
        }
        through(args)
    };
    let run = |args: Vec<String>, stdin: &'static str| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tail(&args, stdin).await
    };

    // A good identity, as PEM: the event from behind the door.
    let ana = ca.issue("ana", Validity::Current);
    let (cert, key) = ana.write(dir.path(), "ana");
    let mut args = identity(&cert, Some(&key));
    args.extend(["--max-events".into(), "1".into()]);
    let output = run(args, "").await;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(lines(&output).last().unwrap()["data"], "inside");

    // The same, as a PKCS#12 file, its passphrase on standard input.
    let p12 = dir.path().join("ana.p12");
    std::fs::write(&p12, ana.pkcs12("correct horse")).unwrap();
    let mut args = identity(&p12, None);
    args.extend(["--max-events".into(), "1".into()]);
    let output = run(args, "correct horse\n").await;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let wrong = refused(&run(identity(&p12, None), "battery staple\n").await);
    assert!(wrong.contains("does not open with the passphrase"), "{wrong}");

    // None: nginx says so, and so does Herald, with the fix.
    let none = refused(&run(through(Vec::new()), "").await);
    assert!(none.starts_with("the server asks for a client certificate"), "{none}");
    assert!(none.contains("client_identity"), "the fix: {none}");

    // Expired: refused before a connection is made.
    let (cert, key) = ca.issue("ana", Validity::Expired).write(dir.path(), "expired");
    let expired = refused(&run(identity(&cert, Some(&key)), "").await);
    assert!(expired.contains("CN=ana expired on 2021-01-01"), "{expired}");

    // From another CA: the server refuses it.
    let (cert, key) = ClientCa::new("Someone else").issue("mallory", Validity::Current).write(dir.path(), "other");
    let other = refused(&run(identity(&cert, Some(&key)), "").await);
    assert!(other.contains("refused the client certificate"), "{other}");

    // Ana's certificate with Bob's key.
    let (_, bobs_key) = ca.issue("bob", Validity::Current).write(dir.path(), "bob");
    let (anas_cert, _) = ana.write(dir.path(), "ana");
    let mismatch = refused(&run(identity(&anas_cert, Some(&bobs_key)), "").await);
    assert!(mismatch.contains("does not match its private key"), "{mismatch}");

    let reached = upstream.requests.lock().unwrap().len();
    assert_eq!(reached, 2, "only the good identities got through the door");
}
