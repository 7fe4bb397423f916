//! The storm: three feeds send `RATE` events a second each (default
//! 10,000) for `SECS` seconds (default 10) to the real app, window open,
//! with a notification recorder on the session bus. It reports the
//! notifications shown, the app's CPU from publishing to the last event
//! stored, the window's responsiveness (a WebDriver round trip) during the
//! storm beside the same at rest, and the events stored: all of them.
//!
//! ```sh
//! xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
//!   cargo run -p herald-e2e --bin herald-storm -- target/release/herald-window
//! ```
//!
//! The tray process is `$HERALD_BIN` (default `target/tray/herald`); its
//! CPU is the core's, reported apart from the window's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::Client;
use herald_core::feed::{Feed, Preset};
use herald_core::store::Store;
use herald_e2e::driver::Driver;
use herald_e2e::eventually;
use herald_e2e::notifications::NotificationServer;
use herald_e2e::page::until;
use herald_e2e::procs::cpu_seconds;
use herald_test_support::ntfy::{Message, Ntfy};

const FEEDS: usize = 3;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The app's process: the one whose executable is `app`.
fn pid_of(app: &Path) -> anyhow::Result<u32> {
    let app = app.canonicalize()?;
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == app) {
            return Ok(pid);
        }
    }
    anyhow::bail!("no process runs {}", app.display())
}

async fn round_trip(app: &Client) -> anyhow::Result<Duration> {
    let at = Instant::now();
    app.execute("return document.querySelectorAll('.entry').length", vec![]).await?;
    Ok(at.elapsed())
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

fn p95(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[((times.len() - 1) as f64 * 0.95).round() as usize].as_secs_f64() * 1e3
}

fn stored(path: &Path) -> anyhow::Result<Vec<u64>> {
    let store = Store::open(path)?;
    (1..=FEEDS).map(|k| Ok(store.activity(store.feed_id(&format!("storm-{k}"))?, 0)?.stored)).collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app_binary = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/release/herald-window".into()));
    let (rate, secs) = (env("RATE", 10_000), env("SECS", 10));
    let per_feed = rate * secs;
    let notifications = NotificationServer::start().await?;
    let mut servers = Vec::new();
    for _ in 0..FEEDS {
        servers.push(Arc::new(Ntfy::with_buffer(per_feed as usize + 1024).await));
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("storm.db");
    let feeds: Vec<Feed> = (1..=FEEDS)
        .map(|k| Feed::new(format!("storm-{k}"), format!("{}/storm/sse", servers[k - 1].url)).with_preset(Preset::Ntfy))
        .collect();
    Store::open(&path)?.import_feeds(&feeds)?;
    let driver = Driver::start(&[
        ("HERALD_STORE", path.to_str().expect("UTF-8")),
        ("XDG_DATA_HOME", dir.path().join("webview").to_str().expect("UTF-8")),
    ])
    .await?;
    let app = driver.session(&app_binary).await?;
    until(
        &app,
        "every feed live",
        "return [...document.querySelectorAll('button.entry.feed')].map(b => b.dataset.tone)",
        |t| t.as_array().is_some_and(|t| t.len() == FEEDS && t.iter().all(|t| t == "good")),
    )
    .await?;
    let window_pid = pid_of(&app_binary)?;
    let pid = driver.herald.pid().ok_or_else(|| anyhow::anyhow!("Herald is not running"))?;

    let mut at_rest = Vec::new();
    for _ in 0..50 {
        at_rest.push(round_trip(&app).await?);
    }

    let started = Instant::now();
    let cpu_before = cpu_seconds(pid)?;
    let window_cpu_before = cpu_seconds(window_pid)?;
    let publishers: Vec<_> = servers
        .iter()
        .map(|server| {
            let server = server.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(1));
                let per_tick = (rate / 1000).max(1);
                let mut sent = 0;
                while sent < per_feed {
                    tick.tick().await;
                    for _ in 0..per_tick.min(per_feed - sent) {
                        server
                            .publish("storm", &Message { title: Some("storm"), message: "load", ..Default::default() });
                        sent += 1;
                    }
                }
            })
        })
        .collect();
    let mut during = Vec::new();
    while publishers.iter().any(|p| !p.is_finished()) {
        during.push(round_trip(&app).await?);
    }
    let published = started.elapsed();
    // Polled with a deadline of its own: how long the store takes to catch
    // up is part of what is measured.
    let give_up = Instant::now() + Duration::from_secs(300);
    let counts = loop {
        let counts = stored(&path)?;
        if counts.iter().all(|&n| n >= per_feed) {
            break counts;
        }
        anyhow::ensure!(Instant::now() < give_up, "after 300 s the store holds only {counts:?} of {per_feed} each");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let all_stored = started.elapsed();
    let cpu = cpu_seconds(pid)? - cpu_before;
    let window_cpu = cpu_seconds(window_pid)? - window_cpu_before;
    // The bursts' last updates come after the storm: wait for each feed's
    // notification to count all of its events.
    let shown = eventually("each feed's burst to count its events", || async {
        let shown = notifications.shown();
        let done = (1..=FEEDS).all(|k| shown.iter().any(|n| n.summary == format!("{per_feed} changes to storm-{k}")));
        Ok(done.then_some(shown))
    })
    .await
    .unwrap_or_else(|_| notifications.shown());
    app.close().await?;

    println!("| | |");
    println!("|---|---|");
    println!(
        "| published | {FEEDS} feeds × {rate}/s × {secs} s = {} events in {:.1} s |",
        per_feed * FEEDS as u64,
        published.as_secs_f64()
    );
    println!(
        "| stored | {} ({counts:?}), all within {:.1} s of the start |",
        counts.iter().sum::<u64>(),
        all_stored.as_secs_f64()
    );
    println!("| notifications shown (Notify calls) | {} |", shown.len());
    println!(
        "| the tray process's CPU (the core), start to all stored | {cpu:.1} s over {:.1} s ({:.0}% of one core) |",
        all_stored.as_secs_f64(),
        100.0 * cpu / all_stored.as_secs_f64()
    );
    println!("| the window's process's CPU, the same span | {window_cpu:.1} s |");
    println!(
        "| WebDriver round trip at rest | median {:.1} ms, p95 {:.1} ms |",
        median(at_rest.clone()),
        p95(at_rest.clone())
    );
    println!(
        "| WebDriver round trip in the storm | median {:.1} ms, p95 {:.1} ms ({} trips) |",
        median(during.clone()),
        p95(during.clone()),
        during.len()
    );
    println!("\nthe storm's median round trip is {:.1}× the one at rest", median(during) / median(at_rest));
    Ok(())
}
