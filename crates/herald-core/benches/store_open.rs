//! What checking every page of the store costs at start:
//! `Store::open_or_recover`, with which Herald follows its feeds, and which
//! runs SQLite's `quick_check` before the engine writes anything, beside
//! the same connection and pragmas without it, on stores of 10,000,
//! 100,000 and 1,000,000 events, in one run. Each is opened cold for the
//! page cache of SQLite (a new connection) but warm for the OS's.
//!
//! `cargo bench -p herald-core --bench store_open`; figures in BENCHMARKS.md.
//! `HERALD_OPEN_EVENTS` sets the largest store (default 1,000,000).

use std::path::Path;
use std::time::{Duration, Instant};

use herald_core::feed::meaning::{raw, Context};
use herald_core::sse::Event;
use herald_core::store::Store;

const BATCH: usize = 1000;
const OPENS: usize = 7;

fn fill(path: &Path, total: usize) {
    let mut store = Store::open(path).unwrap();
    let feed = store.feed_for("tasks", "http://127.0.0.1/").unwrap();
    for first in (0..total).step_by(BATCH) {
        let events: Vec<Event> = (first..(first + BATCH).min(total))
            .map(|i| {
                let data =
                    format!(r#"{{"id":{i},"name":"task {i} of the soak","note":"a line of text","done":false}}"#);
                Event { event: "message".into(), data: data.into(), last_event_id: i.to_string().into() }
            })
            .collect();
        store
            .ingest_with(feed, &events, 0, |_, event, _| {
                Ok(Some(raw(Context { feed: "tasks", me: None, now: 0 }, event)))
            })
            .unwrap();
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The connection and pragmas of `Store::open`, without its check.
fn open_unchecked(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let _: i64 = conn.query_row("SELECT count(*) FROM feeds", [], |r| r.get(0)).unwrap();
}

fn main() {
    let largest: usize = std::env::var("HERALD_OPEN_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    println!("| events | store | open without the check | `Store::open_or_recover`, with it | ratio |");
    println!("|---|---|---|---|---|");
    for total in [10_000, 100_000, 1_000_000].into_iter().filter(|n| *n <= largest) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        fill(&path, total);
        let size = std::fs::metadata(&path).unwrap().len()
            + std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len());
        let (mut plain, mut checked) = (Vec::new(), Vec::new());
        for _ in 0..OPENS {
            let started = Instant::now();
            open_unchecked(&path);
            plain.push(started.elapsed());
            let started = Instant::now();
            drop(Store::open_or_recover(&path).unwrap());
            checked.push(started.elapsed());
        }
        let (plain, checked) = (median(plain), median(checked));
        println!(
            "| {total} | {:.0} MiB | {:.1} ms | {:.1} ms | {:.0}× |",
            size as f64 / 1048576.0,
            plain.as_secs_f64() * 1e3,
            checked.as_secs_f64() * 1e3,
            checked.as_secs_f64() / plain.as_secs_f64()
        );
    }
}
