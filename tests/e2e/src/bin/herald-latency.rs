//! How long from a change published to the desktop's `Notify` call, over
//! `N` single changes (default 1,000) on loopback with coalescing off: the
//! real app (its engine, relay, attention and notifier) with a notification
//! recorder on the session bus, beside the engine alone in this process
//! (publish to its `Changes` event) in the same run, as the baseline.
//!
//! Each change is published only once the one before it has arrived, so
//! every figure is one change's own path, not a queue.
//!
//! ```sh
//! xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
//!   cargo run -p herald-e2e --bin herald-latency -- target/tray/herald
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_core::engine::{Engine, EngineConfig, EngineEvent, StoreAt};
use herald_core::feed::{Coalesce, Feed, Preset};
use herald_core::secrets::MemorySecrets;
use herald_core::sse::Phase;
use herald_core::store::Store;
use herald_e2e::notifications::NotificationServer;
use herald_test_support::ntfy::{Message, Ntfy};

fn report(name: &str, mut times: Vec<Duration>) -> f64 {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    println!("| {name} | {} | {:.2} | {:.2} | {:.2} |", times.len(), at(0.5), at(0.99), at(1.0));
    at(0.5)
}

fn alerts(url: &str) -> Feed {
    let mut feed = Feed::new("alerts", format!("{url}/alerts/sse")).with_preset(Preset::Ntfy);
    feed.settings.coalesce = Some(Coalesce { enabled: false, ..Coalesce::default() });
    feed
}

fn message(i: usize) -> String {
    format!("change {i}")
}

/// The engine alone: publish, then its `Changes` event.
async fn engine_alone(ntfy: &Ntfy, n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut store = Store::in_memory()?;
    store.import_feeds(&[alerts(&ntfy.url)])?;
    let config = EngineConfig::new(StoreAt::Open(store), Arc::new(MemorySecrets::default()));
    let (_engine, mut events) = Engine::start(config).await?;
    while let Some(event) = events.recv().await {
        if matches!(&event, EngineEvent::State { state } if matches!(state.connection.phase, Phase::Open { .. })) {
            break;
        }
    }
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let title = message(i);
        let at = Instant::now();
        ntfy.publish("alerts", &Message { title: Some(&title), message: "latency", ..Default::default() });
        loop {
            match events.recv().await {
                Some(EngineEvent::Changes { changes }) if changes.iter().any(|c| c.title == title) => break,
                Some(_) => {}
                None => anyhow::bail!("the engine stopped"),
            }
        }
        times.push(at.elapsed());
    }
    Ok(times)
}

/// The app: publish, then the recorder's `Notify` call.
async fn the_app(app: &PathBuf, ntfy: &Ntfy, n: usize) -> anyhow::Result<Vec<Duration>> {
    let notifications = NotificationServer::start().await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("latency.db");
    Store::open(&path)?.import_feeds(&[alerts(&ntfy.url)])?;
    let _app = Running(
        std::process::Command::new(app)
            .arg("--hidden")
            .env("HERALD_STORE", &path)
            .env("XDG_DATA_HOME", dir.path())
            .spawn()?,
    );
    // Until the app follows the topic, a published change reaches no one:
    // publish a warm-up change each second until one is told.
    let give_up = Instant::now() + herald_e2e::DEADLINE;
    loop {
        let seen = notifications.shown().len();
        ntfy.publish("alerts", &Message { title: Some("warm-up"), message: "latency", ..Default::default() });
        let told = tokio::time::timeout(Duration::from_secs(1), notifications.wait_for(seen + 1)).await;
        if matches!(told, Ok(Ok(_))) {
            break;
        }
        anyhow::ensure!(Instant::now() < give_up, "the app never told a change");
    }
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let seen = notifications.shown().len();
        let at = Instant::now();
        ntfy.publish("alerts", &Message { title: Some(&message(i)), message: "latency", ..Default::default() });
        let shown = notifications.wait_for(seen + 1).await?;
        times.push(at.elapsed());
        anyhow::ensure!(shown[seen].summary == message(i), "told {:?} for {:?}", shown[seen].summary, message(i));
    }
    Ok(times)
}

/// The app, stopped when this goes, whatever happened.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/tray/herald".into()));
    let n: usize = std::env::var("N").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    println!("| path | changes | p50 (ms) | p99 (ms) | max (ms) |");
    println!("|---|---|---|---|---|");
    let engine = report(
        "publish → the engine's Changes event (in-process, the baseline)",
        engine_alone(&Ntfy::start().await, n).await?,
    );
    let app = report("publish → the app's Notify call on D-Bus", the_app(&app, &Ntfy::start().await, n).await?);
    println!("\nthe app's p50 is {:.1}× the engine's", app / engine);
    Ok(())
}
