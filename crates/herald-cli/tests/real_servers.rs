//! `herald-cli` against the real ntfy and Mercure (see
//! `herald-test-support::real`): `sync` stopped and started again prints
//! each message once, `tail --max-events` counts only what is new, and a
//! feed the server refuses is a clear error and exit 3.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use herald_test_support::real::mercure::{self, Mercure};
use herald_test_support::real::ntfy::{self, Ntfy};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const WITHIN: Duration = Duration::from_secs(30);

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_herald-cli")).args(args).output().unwrap()
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A running `herald-cli` whose JSON lines are read as they come.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald-cli"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Running { child, lines }
    }

    /// The next line, or `None` once it exited.
    async fn line(&mut self) -> Option<Value> {
        let line = tokio::time::timeout(WITHIN, self.lines.next_line()).await.expect("it keeps talking");
        line.unwrap().map(|l| serde_json::from_str(&l).unwrap())
    }

    /// The ids of the events it prints until it has printed `last`.
    async fn events_until(&mut self, last: &str) -> Vec<String> {
        let mut ids = Vec::new();
        while ids.last().map(String::as_str) != Some(last) {
            let line = self.line().await.expect("still running");
            if line["kind"] == "event" {
                ids.push(line["lastEventId"].as_str().unwrap().to_owned());
            }
        }
        ids
    }

    async fn exit_code(mut self) -> Option<i32> {
        tokio::time::timeout(WITHIN, self.child.wait()).await.expect("it exits").unwrap().code()
    }
}

async fn publish(server: &Ntfy, n: usize) -> Vec<String> {
    server.publish_numbered("alerts", 0..n).await
}

fn add_ntfy_feed(store: &Path, server: &Ntfy) {
    let url = format!("{}/alerts/sse", server.url);
    let added = cli(&["feeds", "add", "alerts", &url, "--preset", "ntfy", "--store", store.to_str().unwrap()]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
}

/// Five times: messages published while `sync` is away, then `sync` again.
/// Every message is printed exactly once across all runs.
#[tokio::test(flavor = "multi_thread")]
async fn sync_stopped_and_started_five_times_prints_each_message_once() {
    let options = ntfy::Options { keepalive: Duration::from_secs(5), ..Default::default() };
    let Some(server) = Ntfy::start(options).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    add_ntfy_feed(&store, &server);
    let mut published = Vec::new();
    let mut printed: BTreeMap<String, usize> = BTreeMap::new();
    for round in 0..5 {
        // A new feed starts at the live edge, so the first round's come once it is open.
        let early = if round == 0 { Vec::new() } else { publish(&server, 3 + round).await };
        let mut sync = Running::start(&["sync", "--json", "--store", store.to_str().unwrap()]);
        let missed = if round == 0 {
            while sync.line().await.expect("running")["state"] != "open" {}
            publish(&server, 3).await
        } else {
            early
        };
        published.extend(missed.iter().cloned());
        let mut seen = sync.events_until(missed.last().unwrap()).await;
        // And one live, which comes after anything the server might send again.
        let live = publish(&server, 1).await;
        published.extend(live.iter().cloned());
        seen.extend(sync.events_until(&live[0]).await);
        let mut wanted = missed.clone();
        wanted.extend(live);
        assert_eq!(seen, wanted, "round {round}: exactly what was new, in order");
        for id in seen {
            *printed.entry(id).or_default() += 1;
        }
    }
    let twice: Vec<_> = printed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "printed twice: {twice:?}");
    assert_eq!(printed.len(), published.len());
}

/// After a restart, `tail --feed --max-events 3` shows the 3 new messages,
/// not messages it had stored before, nor ntfy's `open`.
#[tokio::test(flavor = "multi_thread")]
async fn tail_max_events_counts_only_what_is_new() {
    let Some(server) = Ntfy::start(ntfy::Options::default()).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    let store_arg = store.to_str().unwrap();
    add_ntfy_feed(&store, &server);
    let old = publish(&server, 2).await;
    let mut tail = Running::start(&["tail", "--feed", "alerts", "--json", "--store", store_arg, "--max-events", "2"]);
    // A new feed starts at the live edge: its messages are published once it is open.
    while tail.line().await.expect("running")["state"] != "open" {}
    let first = publish(&server, 2).await;
    assert_eq!(tail.events_until(&first[1]).await, first);
    assert_eq!(tail.exit_code().await, Some(0));

    let new = publish(&server, 3).await;
    let mut tail = Running::start(&["tail", "--feed", "alerts", "--json", "--store", store_arg, "--max-events", "3"]);
    let mut printed = Vec::new();
    while let Some(line) = tail.line().await {
        if line["kind"] == "event" {
            printed.push(line["lastEventId"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(printed, new, "the 3 new ones, none of {old:?} or {first:?}");
    assert_eq!(tail.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_ntfy_or_mercure_feed_is_a_clear_error_and_exit_3() {
    let Some(ntfy) = Ntfy::start(ntfy::Options { deny_all: true, ..Default::default() }).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    add_ntfy_feed(&store, &ntfy);
    let refused = cli(&["tail", "--feed", "alerts", "--store", store.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(text(&refused).contains("authentication needed (403)"), "{}", text(&refused));

    let Some(hub) = Mercure::start(mercure::Options { anonymous: false, ..Default::default() }).await else { return };
    let refused = cli(&["tail", &hub.subscribe_url("https://example.com/tasks")]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(text(&refused).contains("authentication needed (401)"), "{}", text(&refused));
}
