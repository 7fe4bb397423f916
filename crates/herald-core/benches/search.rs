//! Timeline search over a store of 1,000,000 events: the FTS5 index that
//! `Store::timeline` uses, beside a `LIKE` scan of the same columns on the
//! same store, in one run. Each query asks what the window asks: the first
//! page of matches (100, newest first) and how many match in all.
//!
//! `cargo bench -p herald-core --bench search`; figures in BENCHMARKS.md.
//! `HERALD_SEARCH_EVENTS` sets the store's size (default 1,000,000).

use std::time::{Duration, Instant};

use herald_core::feed::meaning::{raw, Context};
use herald_core::sse::Event;
use herald_core::store::{Store, TimelineQuery};

/// Words the events are made of: common ones, and rarer ones to find.
const WORDS: [&str; 24] = [
    "milk", "invoice", "deploy", "disk", "backup", "review", "plumber", "garden", "release", "ticket", "alert",
    "server", "paper", "meeting", "budget", "report", "printer", "coffee", "window", "ladder", "zebra", "quartz",
    "walrus", "glacier",
];
const QUERIES: usize = 40;
const BATCH: usize = 1000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let (median, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
    println!("{name:>12}: median {:>9.2} ms, p95 {:>9.2} ms", median.as_secs_f64() * 1e3, p95.as_secs_f64() * 1e3);
    (median, p95)
}

fn main() {
    let total: usize = std::env::var("HERALD_SEARCH_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search.db");
    let mut store = Store::open(&path).unwrap();
    let feed = store.feed_for("tasks", "http://127.0.0.1/").unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let started = Instant::now();
    for first in (0..total).step_by(BATCH) {
        let events: Vec<Event> = (first..(first + BATCH).min(total))
            .map(|i| {
                // Rarer words appear in fewer events: word k in about 1 of k+1.
                let pick = |rng: &mut fastrand::Rng| WORDS[(rng.f64().powi(3) * WORDS.len() as f64) as usize];
                let (a, b, c) = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
                let data = format!(r#"{{"id":{i},"name":"{a} {b}","note":"about the {c}","done":false}}"#);
                Event { event: "message".into(), data: data.into(), last_event_id: i.to_string().into() }
            })
            .collect();
        store
            .ingest_with(feed, &events, 0, |_, event, _| {
                Ok(Some(raw(Context { feed: "tasks", me: None, now: 0 }, event)))
            })
            .unwrap();
    }
    println!("stored {total} events in {:.1} s", started.elapsed().as_secs_f64());

    let like = rusqlite::Connection::open(&path).unwrap();
    let mut fts_times = Vec::new();
    let mut like_times = Vec::new();
    for q in 0..QUERIES {
        let word = WORDS[q % WORDS.len()];
        let query = TimelineQuery { text: Some(word.into()), ..TimelineQuery::default() };
        let at = Instant::now();
        let page = store.timeline(&query).unwrap();
        fts_times.push(at.elapsed());

        let at = Instant::now();
        let pattern = format!("%{word}%");
        let count: i64 = like
            .query_row(
                "SELECT count(*) FROM events WHERE title LIKE ?1 OR summary LIKE ?1 OR data LIKE ?1",
                [&pattern],
                |r| r.get(0),
            )
            .unwrap();
        let mut statement = like
            .prepare_cached(
                "SELECT id, change FROM events WHERE title LIKE ?1 OR summary LIKE ?1 OR data LIKE ?1
                 ORDER BY id DESC LIMIT 100",
            )
            .unwrap();
        let rows = statement.query_map([&pattern], |r| r.get::<_, i64>(0)).unwrap().count();
        like_times.push(at.elapsed());
        // Both find the same events (a prefix match may find more: "milk" in "milkshake").
        let found = page.total.unwrap_or(0);
        assert!(found >= count.unsigned_abs(), "{word}: fts {found} < like {count}");
        assert_eq!(page.entries.len(), rows);
    }
    let (fts_median, fts_p95) = report("FTS5", fts_times);
    let (like_median, like_p95) = report("LIKE scan", like_times);
    println!(
        "LIKE / FTS5: {:.1}x at the median, {:.1}x at p95",
        like_median.as_secs_f64() / fts_median.as_secs_f64(),
        like_p95.as_secs_f64() / fts_p95.as_secs_f64()
    );
}
