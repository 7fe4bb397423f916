//! `herald-cli sync`: every stored feed followed at once, each with its own
//! settings, every event kept with its feed; Ctrl-C ends it cleanly.

use herald_test_support as common;

use std::process::Stdio;
use std::time::Duration;

use common::{serve, sse, Answer};
use herald_core::feed::parse_feeds;
use herald_core::store::Store;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn sync_follows_every_feed_and_keeps_each_event_with_its_feed() {
    let hub = LocalHub::start(HubConfig::default().with_anonymous_reads(true), &StoreLocation::Memory).await.unwrap();
    let ntfy_like = serve(vec![Answer::Hold(sse(b"data: {\"id\":\"n1\",\"message\":\"disk full\"}\n\n"))]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let feeds = format!(
        "[[feed]]\nname = \"tasks\"\nurl = \"{}/tasks/subscribe\"\n\n\
         [[feed]]\nname = \"alerts\"\nurl = \"{}/alerts/sse\"\nresume_query = \"since\"\ncursor_pointer = \"/id\"\n",
        hub.url, ntfy_like.url
    );
    Store::open(&path).unwrap().import_feeds(&parse_feeds(&feeds).unwrap()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_herald-cli"))
        .args(["sync", "--json", "--store", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = async || -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.expect("sync keeps talking");
        serde_json::from_str(&line.unwrap().expect("sync is running")).unwrap()
    };
    // The hub sends only live changes to a new feed: make them once its feed is open.
    let mut events = Vec::new();
    let open = serde_json::json!({"kind": "state", "feed": "tasks", "state": "open", "condition": "live"});
    while events.len() < 3 {
        let line = next().await;
        if line == open {
            hub.hub.create("Ana", "Buy milk").await.unwrap();
            hub.hub.create("Ana", "Call Bo").await.unwrap();
        }
        if line["kind"] == "event" {
            events.push((line["feed"].as_str().unwrap().to_owned(), line["lastEventId"].as_str().unwrap().to_owned()));
        }
    }
    events.sort();
    assert_eq!(events, [("alerts", "n1"), ("tasks", "1"), ("tasks", "2")].map(|(f, i)| (f.to_owned(), i.to_owned())));

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(130), "Ctrl-C ends it cleanly");

    let store = Store::open(&path).unwrap();
    let alerts = store.feed_id("alerts").unwrap();
    assert_eq!(store.cursor(alerts).unwrap().as_deref(), Some("n1"), "the cursor came from the payload");
    let tasks = store.feed_id("tasks").unwrap();
    assert_eq!(store.cursor(tasks).unwrap().as_deref(), Some("2"));
    assert_eq!(store.history(Some(tasks), None).unwrap().len(), 2);
}
