//! `herald-cli tail --store`: every event kept exactly once, in order, across
//! restarts and across SIGKILL at random points, resuming from the store's
//! cursor.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use herald_core::store::Store;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use tokio::process::{Child, Command};

const TOKEN: &str = "store-test-token";

/// Read anonymously: a reader with a token would also be told who is here,
/// an event with no id of its own, which is not what this test counts.
async fn hub() -> LocalHub {
    let config = HubConfig::default().with_actor("Ana", TOKEN).with_anonymous_reads(true);
    LocalHub::start(config, &StoreLocation::Memory).await.unwrap()
}

/// Starts `tail --store`; `--last-event-id 0` only matters until the store has a cursor.
fn tail(hub: &LocalHub, store: &Path, extra: &[&str]) -> Child {
    let url = format!("{}/tasks/subscribe", hub.url);
    Command::new(env!("CARGO_BIN_EXE_herald-cli"))
        .args(["tail", &url, "--json", "--store", store.to_str().unwrap(), "--last-event-id", "0"])
        .args(extra)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// The ids of the stored events, in the order they were stored.
fn stored_ids(store: &Path) -> Vec<String> {
    let Ok(store) = Store::open(store) else { return Vec::new() };
    let history = store.history(None, None).unwrap();
    history.into_iter().map(|e| e.event_id.unwrap_or_default()).collect()
}

/// Polls the store until it holds at least `n` events, and returns how many
/// it holds. Tail must keep running meanwhile; reading the store beside it
/// is what a user's `history` does.
async fn stored_at_least(store: &Path, n: u64, tail: &mut Child) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut ticks = tokio::time::interval(Duration::from_millis(20));
    loop {
        ticks.tick().await;
        let count = Store::open(store).and_then(|s| s.event_count()).unwrap_or(0);
        if count >= n {
            return count;
        }
        assert_eq!(tail.try_wait().unwrap(), None, "tail exited with {count} of {n} events stored");
        assert!(Instant::now() < deadline, "the store reached only {count} of {n} events");
    }
}

fn numbers(from: u64, to: u64) -> Vec<String> {
    (from..=to).map(|n| n.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_tail_resumes_from_the_store_and_keeps_each_event_once() {
    let hub = hub().await;
    for name in ["one", "two", "three"] {
        hub.hub.create("Ana", name).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");

    let first = tail(&hub, &store, &["--max-events", "2"]).wait_with_output().await.unwrap();
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(stored_ids(&store), numbers(1, 2), "only what was shown is kept");

    hub.hub.create("Ana", "four").await.unwrap();
    let second = tail(&hub, &store, &["--max-events", "2"]).wait_with_output().await.unwrap();
    assert_eq!(second.status.code(), Some(0));
    assert_eq!(stored_ids(&store), numbers(1, 4), "resumed after 2, from the store's cursor");

    // `history` prints them back, one JSON object per line, for one feed or all.
    let feed = format!("{}/tasks/subscribe", hub.url);
    let history = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_herald-cli"));
        command.args(["history", "--json", "--store", store.to_str().unwrap()]).args(extra).output().unwrap()
    };
    let listed = history(&["--feed", &feed, "--since", "1h"]);
    assert_eq!(listed.status.code(), Some(0), "{}", String::from_utf8_lossy(&listed.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&listed.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let shown: Vec<(&str, &str)> =
        lines.iter().map(|l| (l["eventId"].as_str().unwrap(), l["feed"].as_str().unwrap())).collect();
    assert_eq!(shown, [("1", &*feed), ("2", &*feed), ("3", &*feed), ("4", &*feed)]);
    assert_eq!(lines[3]["event"], "create");
    // What the window marks read (here, straight in the store) drops out of `--unread`.
    let first_two = Store::open(&store).unwrap().timeline(&Default::default()).unwrap().entries[2..]
        .iter()
        .map(|e| e.id)
        .collect::<Vec<_>>();
    Store::open(&store).unwrap().mark_rows_read(&first_two).unwrap();
    let unread = history(&["--unread"]);
    let unread: Vec<serde_json::Value> =
        String::from_utf8_lossy(&unread.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(unread.iter().map(|l| l["eventId"].as_str().unwrap()).collect::<Vec<_>>(), ["3", "4"]);
    assert_eq!(lines[0]["read"], false);
    let unknown = history(&["--feed", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&unknown.stdout).unwrap();
    assert_eq!(error["message"], "there is no feed named \"nope\"");
}

/// The crash test: a hub publishes 100,000 changes in bursts while `tail
/// --store` keeps them; tail is killed with SIGKILL at random points and
/// started again, six times. The store ends with every event exactly once,
/// in order.
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_points_loses_and_repeats_nothing() {
    const TOTAL: u64 = 100_000;
    let hub = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    let seed = fastrand::u64(..);
    println!("seed {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);

    let mut child = tail(&hub, &store, &[]);
    let publisher = {
        let hub = hub.hub.clone();
        let mut rng = rng.fork();
        tokio::spawn(async move {
            let mut published = 0;
            while published < TOTAL {
                let burst = rng.u64(1..=5_000).min(TOTAL - published);
                for _ in 0..burst {
                    published += 1;
                    hub.create("Ana", &format!("task {published}")).await.unwrap();
                }
                tokio::task::yield_now().await;
            }
        })
    };

    let mut stored = 0;
    for _ in 0..6 {
        stored = stored_at_least(&store, stored + rng.u64(2_000..=15_000), &mut child).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        child = tail(&hub, &store, &[]);
    }
    stored_at_least(&store, TOTAL, &mut child).await;
    child.start_kill().unwrap();
    publisher.await.unwrap();

    let ids = stored_ids(&store);
    assert_eq!(ids.len() as u64, TOTAL, "seed {seed}");
    assert!(ids == numbers(1, TOTAL), "every event once, in order (seed {seed})");
}
