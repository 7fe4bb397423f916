//! The hub goes down mid-stream, tasks change in its database while it is
//! down, and it comes back on the same port and database: `herald-cli tail`
//! resumes with Last-Event-ID and prints every change exactly once, in order.

use std::process::Stdio;
use std::time::Duration;

use herald_hub::{Hub, HubConfig, LocalHub, StoreLocation};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

const TOKEN: &str = "restart-test-token";

/// Read anonymously: a reader with a token would also be told who is here,
/// which is not what this test counts.
fn config() -> HubConfig {
    let mut config = HubConfig::default().with_actor("Ana", TOKEN).with_anonymous_reads(true);
    config.retry = Duration::from_millis(50); // so the reconnection is prompt
    config
}

/// The next line tail prints, as JSON.
async fn next(lines: &mut Lines<BufReader<ChildStdout>>) -> Value {
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.expect("tail keeps talking");
    serde_json::from_str(&line.unwrap().expect("tail is still running")).unwrap()
}

#[tokio::test]
async fn tail_resumes_across_a_hub_restart_and_misses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = StoreLocation::File(dir.path().join("hub.db"));
    let hub = LocalHub::start(config(), &db).await.unwrap();
    hub.hub.create("Ana", "one").await.unwrap();
    hub.hub.create("Ana", "two").await.unwrap();

    let url = format!("{}/tasks/subscribe", hub.url);
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald-cli"))
        .args(["tail", &url, "--json", "--last-event-id", "0", "--max-events", "5"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events = Vec::new();
    while events.len() < 2 {
        let line = next(&mut lines).await;
        if line["kind"] == "event" {
            events.push(line);
        }
    }

    let addr = hub.addr;
    hub.stop().await.unwrap();
    while next(&mut lines).await["state"] != "retrying" {}
    {
        // While the hub is down, its database changes.
        let offline = Hub::open(config(), &db).await.unwrap();
        offline.create("Ana", "three").await.unwrap();
        offline.delete("Ana", 1, None).await.unwrap();
    }
    let hub = LocalHub::start_on(addr, config(), &db).await.unwrap();
    let mut live = None;
    while events.len() < 5 {
        let line = next(&mut lines).await;
        if line["kind"] == "event" {
            events.push(line);
        }
        // Once tail is back and has caught up, a live change follows.
        if events.len() == 4 && live.is_none() {
            live = Some(hub.hub.create("Ana", "four").await.unwrap());
        }
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0), "--max-events ends it normally");

    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| (e["event"].as_str().unwrap().to_owned(), e["lastEventId"].as_str().unwrap().to_owned()))
        .collect();
    let want = [("create", "1"), ("create", "2"), ("create", "3"), ("delete", "4"), ("create", "5")];
    assert_eq!(seen, want.map(|(e, id)| (e.to_owned(), id.to_owned())));
}
