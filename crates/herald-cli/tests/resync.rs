//! `herald-cli sync` resyncs from a feed's snapshot when continuity is
//! broken, and reports each difference exactly once as a missed change:
//! after Herald's own restart (the hub's database changed meanwhile, behind
//! the hub's back), and after a reconnection to a server whose stream
//! carries no ids.

use herald_test_support as common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{serve, sse, Answer};
use herald_core::feed::parse_feeds;
use herald_core::store::Store;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

struct Sync {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Sync {
    fn start(store: &Path) -> Sync {
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald-cli"))
            .args(["sync", "--json", "--store", store.to_str().unwrap()])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Sync { child, lines }
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.lines.next_line()).await.expect("sync talks");
        serde_json::from_str(&line.unwrap().expect("sync is running")).unwrap()
    }

    /// The lines up to and including the first one `until` accepts.
    async fn lines_until(&mut self, until: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let line = self.next().await;
            let done = until(&line);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }

    async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

fn import(store: &Path, feeds: &str) {
    Store::open(store).unwrap().import_feeds(&parse_feeds(feeds).unwrap()).unwrap();
}

fn is_open(line: &Value) -> bool {
    line["kind"] == "state" && line["state"] == "open"
}

/// (event type, data, missed) of every stored event, oldest first.
fn history(store: &Path) -> Vec<(String, Value, bool)> {
    let events = Store::open(store).unwrap().history(None, None).unwrap();
    events.into_iter().map(|e| (e.event_type, serde_json::from_str(&e.data).unwrap(), e.missed)).collect()
}

fn missed_lines(lines: &[Value]) -> Vec<(String, Value)> {
    let missed = lines.iter().filter(|l| l["kind"] == "missed");
    missed.map(|l| (l["event"].as_str().unwrap().to_owned(), l["data"].clone())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn what_changed_while_herald_was_closed_is_reported_once_as_missed() {
    let dir = tempfile::tempdir().unwrap();
    let db = StoreLocation::File(dir.path().join("hub.db"));
    let mut config = HubConfig::default().with_anonymous_reads(true);
    config.retry = Duration::from_millis(50);
    let hub = LocalHub::start(config.clone(), &db).await.unwrap();
    for name in ["one", "two", "three"] {
        hub.hub.create("Ana", name).await.unwrap();
    }
    let store = dir.path().join("herald.db");
    import(
        &store,
        &format!("[[feed]]\nname = \"tasks\"\nurl = \"{0}/tasks/subscribe\"\nsnapshot_url = \"{0}/tasks\"\n", hub.url),
    );

    // The first run takes the snapshot as its baseline, then follows live changes.
    let mut sync = Sync::start(&store);
    let started = sync.lines_until(is_open).await;
    assert_eq!(missed_lines(&started), [], "a baseline reports nothing");
    hub.hub.create("Ana", "four").await.unwrap();
    sync.lines_until(|l| l["kind"] == "event").await;
    sync.kill().await;

    // Herald is closed, the hub is stopped, and its tasks change directly in its database.
    let addr = hub.addr;
    hub.stop().await.unwrap();
    let hub_db = rusqlite::Connection::open(dir.path().join("hub.db")).unwrap();
    hub_db
        .execute_batch(
            "UPDATE tasks SET name = 'TWO' WHERE id = 2;
             DELETE FROM tasks WHERE id = 3;
             INSERT INTO tasks (name, done) VALUES ('five', 1);",
        )
        .unwrap();
    drop(hub_db);
    let hub = LocalHub::start_on(addr, config, &db).await.unwrap();

    // Restarted, Herald reports exactly those three, then the digest, then goes live.
    let mut sync = Sync::start(&store);
    let resumed = sync.lines_until(is_open).await;
    assert_eq!(
        missed_lines(&resumed),
        [
            // Changed behind the hub's back, the versions did not move.
            ("update".to_owned(), json!({"id": 2, "name": "TWO", "done": false, "version": 1})),
            ("create".to_owned(), json!({"id": 5, "name": "five", "done": true, "version": 1})),
            ("delete".to_owned(), json!({"id": 3, "name": "three", "done": false, "version": 1})),
        ]
    );
    let digest = resumed.iter().find(|l| l["kind"] == "digest").expect("one digest");
    assert_eq!((digest["missed"].as_u64(), digest["deleted"].as_u64()), (Some(3), Some(1)));
    hub.hub.create("Ana", "six").await.unwrap();
    let live = sync.lines_until(|l| l["kind"] == "event").await;
    assert_eq!(missed_lines(&live), []);
    sync.kill().await;

    // A third run finds nothing more to report.
    let mut sync = Sync::start(&store);
    assert_eq!(missed_lines(&sync.lines_until(is_open).await), []);
    sync.kill().await;

    let kept: Vec<(String, String, bool)> =
        history(&store).into_iter().map(|(kind, data, missed)| (kind, data["name"].to_string(), missed)).collect();
    let row = |kind: &str, name: &str, missed| (kind.to_owned(), format!("\"{name}\""), missed);
    assert_eq!(
        kept,
        [
            row("create", "four", false),
            row("update", "TWO", true),
            row("create", "five", true),
            row("delete", "three", true),
            row("create", "six", false),
        ]
    );
}

/// Imports `feed` into a new store, runs `sync` until its first digest, and
/// stops it once `server` has had `requests` requests.
async fn sync_until_digest(
    feed: &str,
    server: &common::Server,
    requests: usize,
) -> (tempfile::TempDir, std::path::PathBuf, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    import(&store, feed);
    let mut sync = Sync::start(&store);
    let lines = sync.lines_until(|l| l["kind"] == "digest").await;
    server.requests_made(requests).await;
    sync.kill().await;
    (dir, store, lines)
}

fn json_answer(body: &Value) -> Answer {
    json_answer_with(body, "")
}

/// A snapshot answer, with extra header lines.
fn json_answer_with(body: &Value, headers: &str) -> Answer {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n",
        body.len()
    );
    Answer::Close([head.as_bytes(), body.as_bytes()].concat())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_without_ids_is_resynced_on_every_reconnection() {
    let book = |isbn: &str, title: &str| json!({"isbn": isbn, "title": title});
    let server = serve(vec![
        // The baseline.
        json_answer(&json!([book("A", "Dune"), book("B", "Emma")])),
        // The stream: one live change, then it drops (and asks for a prompt retry).
        Answer::Close(sse(b"retry: 50\n\nevent: update\ndata: {\"isbn\":\"A\",\"title\":\"Dune Messiah\"}\n\n")),
        // Back: while it was away, B went and C came; nothing says so but the snapshot.
        Answer::Hold(sse(b": hello\n\n")),
        json_answer(&json!([book("A", "Dune Messiah"), book("C", "Ulysses")])),
    ])
    .await;
    let feed = format!(
        "[[feed]]\nname = \"books\"\nurl = \"{0}/books/stream\"\nsnapshot_url = \"{0}/books\"\nkey_field = \"isbn\"\n",
        server.url
    );
    let (_dir, store, lines) = sync_until_digest(&feed, &server, 4).await;

    let requests: Vec<String> = (0..4).map(|i| server.request_line(i)).collect();
    assert_eq!(
        requests,
        ["GET /books HTTP/1.1", "GET /books/stream HTTP/1.1", "GET /books/stream HTTP/1.1", "GET /books HTTP/1.1"]
    );
    // The live change is not reported again; the two the stream never told are, once.
    assert_eq!(
        missed_lines(&lines),
        [("create".to_owned(), book("C", "Ulysses")), ("delete".to_owned(), book("B", "Emma"))]
    );
    assert_eq!(
        history(&store),
        [
            ("update".to_owned(), book("A", "Dune Messiah"), false),
            ("create".to_owned(), book("C", "Ulysses"), true),
            ("delete".to_owned(), book("B", "Emma"), true),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_older_than_the_hubs_history_is_resynced_not_left_with_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let db = StoreLocation::File(dir.path().join("hub.db"));
    let mut config = HubConfig::default().with_anonymous_reads(true);
    config.retry = Duration::from_millis(50);
    config.history = Some(2);
    let hub = LocalHub::start(config.clone(), &db).await.unwrap();
    hub.hub.create("Ana", "one").await.unwrap();
    let store = dir.path().join("herald.db");
    import(
        &store,
        &format!("[[feed]]\nname = \"tasks\"\nurl = \"{0}/tasks/subscribe\"\nsnapshot_url = \"{0}/tasks\"\n", hub.url),
    );
    let mut sync = Sync::start(&store);
    sync.lines_until(is_open).await;

    // The hub goes down while Herald runs; meanwhile more changes happen
    // than it keeps, so Herald's cursor is older than its history.
    let addr = hub.addr;
    hub.stop().await.unwrap();
    sync.lines_until(|l| l["state"] == "retrying").await;
    {
        let offline = herald_hub::Hub::open(config.clone(), &db).await.unwrap();
        for name in ["two", "three", "four"] {
            offline.create("Bo", name).await.unwrap();
        }
        offline.delete("Bo", 1, None).await.unwrap();
    }
    let hub = LocalHub::start_on(addr, config, &db).await.unwrap();

    let lines = sync.lines_until(|l| l["kind"] == "digest").await;
    let names: Vec<(String, Value)> =
        missed_lines(&lines).into_iter().map(|(kind, data)| (kind, data["name"].clone())).collect();
    assert_eq!(
        names,
        [
            ("create".to_owned(), json!("two")),
            ("create".to_owned(), json!("three")),
            ("create".to_owned(), json!("four")),
            ("delete".to_owned(), json!("one")),
        ]
    );
    assert!(!lines.iter().any(|l| l["kind"] == "event"), "no partial replay: {lines:?}");
    // Then live again, from the snapshot's cursor.
    hub.hub.create("Ana", "five").await.unwrap();
    let live = sync.lines_until(|l| l["kind"] == "event").await;
    let event = live.last().unwrap();
    assert_eq!(serde_json::from_str::<Value>(event["data"].as_str().unwrap()).unwrap()["name"], "five");
    sync.kill().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gap_in_sequential_ids_is_resynced() {
    let item = |id: &str, v: u64| json!({"id": id, "v": v});
    let server = serve(vec![
        json_answer_with(&json!([item("A", 1), item("B", 1)]), "herald-sequence: 2\r\n"),
        // After 3 comes 7: 4 to 6 were lost.
        Answer::Hold(sse(b"id: 3\nevent: update\ndata: {\"id\":\"A\",\"v\":3}\n\n\
                           id: 7\nevent: update\ndata: {\"id\":\"B\",\"v\":7}\n\n")),
        json_answer_with(&json!([item("A", 3), item("B", 7), item("C", 5)]), "herald-sequence: 7\r\n"),
        Answer::Hold(sse(b": resumed\n\n")),
    ])
    .await;
    let feed = format!(
        "[[feed]]\nname = \"seq\"\nurl = \"{0}/stream\"\nsnapshot_url = \"{0}/items\"\nsequential_ids = true\n",
        server.url
    );
    let (_dir, store, lines) = sync_until_digest(&feed, &server, 4).await;

    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("2"), "resumed from the first snapshot");
    assert_eq!(server.request_line(2), "GET /items HTTP/1.1", "the gap fetched the snapshot again");
    assert_eq!(server.header(3, "last-event-id").as_deref(), Some("7"), "and resumed from its cursor");
    // What did arrive is kept as it came; only what the gap hid is missed.
    assert_eq!(missed_lines(&lines), [("create".to_owned(), item("C", 5))]);
    assert_eq!(
        history(&store),
        [
            ("update".to_owned(), item("A", 3), false),
            ("update".to_owned(), item("B", 7), false),
            ("create".to_owned(), item("C", 5), true),
        ]
    );
}
