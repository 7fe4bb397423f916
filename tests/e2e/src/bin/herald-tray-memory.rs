//! The tray process alone (no window, `HERALD_WINDOW=none`), as it runs
//! most of the day: its memory (RSS and PSS, settled) and its binary's size,
//! for each `herald` given, in the same run:
//!
//! - with 10 idle feeds, each a stream of one hub on loopback;
//! - with the embedded demo (`--demo`), whose hub runs inside the process.
//!
//! ```sh
//! dbus-run-session --config-file=tests/dbus/session.conf -- \
//!   cargo run -p herald-e2e --bin herald-tray-memory -- BEFORE/herald AFTER/herald
//! ```

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use herald_core::feed::{Feed, Preset};
use herald_core::store::Store;
use herald_e2e::procs::{rss_pss, tree_rss, Settling};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

const FEEDS: usize = 10;

/// Waits until the RSS of `pid` has stayed within 1% for 3 s.
async fn settled(pid: u32) -> anyhow::Result<()> {
    let mut settling = Settling::default();
    let give_up = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if settling.settled(tree_rss(pid)) {
            return Ok(());
        }
        anyhow::ensure!(tokio::time::Instant::now() < give_up, "the memory of {pid} did not settle");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `herald` started for a measurement, stopped however the measurement
/// ends: one left running would share its pages with the next one of the
/// same binary, and halve that one's PSS.
struct Herald(Child);

impl Drop for Herald {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `herald` on `store` (or its demo), and waits until `open` feeds
/// are connected, as its socket says.
async fn start(herald: &Path, dir: &Path, demo: bool, open: usize) -> anyhow::Result<Herald> {
    let socket = dir.join("herald.sock");
    let mut command = Command::new(herald);
    command
        .arg("--hidden")
        .env("HERALD_WINDOW", "none")
        .env("HERALD_SOCKET", &socket)
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if demo {
        command.arg("--demo");
    } else {
        command.env("HERALD_STORE", dir.join("herald.db"));
    }
    let child = Herald(command.spawn()?);
    let give_up = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if open_feeds(&socket).await.is_some_and(|live| live >= open) {
            return Ok(child);
        }
        anyhow::ensure!(tokio::time::Instant::now() < give_up, "{} feeds did not open", open);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many feeds are open, as the socket says. Asked in both forms the
/// socket has had (the typed calls of issue 23, and the engine's commands
/// before them), so that builds from before and after compare in one run.
async fn open_feeds(socket: &Path) -> Option<usize> {
    let stream = tokio::net::UnixStream::connect(socket).await.ok()?;
    let (read, mut write) = stream.into_split();
    let asks = concat!(
        r#"{"id":1,"request":{"kind":"getFeeds"}}"#,
        "\n",
        r#"{"id":2,"request":{"kind":"engine","command":{"command":"feeds"}}}"#,
        "\n"
    );
    write.write_all(asks.as_bytes()).await.ok()?;
    let mut lines = tokio::io::BufReader::new(read).lines();
    let mut open = None;
    for _ in 0..2 {
        let answer: Value = serde_json::from_str(&lines.next_line().await.ok()??).ok()?;
        let feeds = answer["ok"].as_array().or_else(|| answer["ok"]["feeds"].as_array());
        let live = feeds.map(|feeds| feeds.iter().filter(|f| f["connection"]["phase"]["phase"] == "open").count());
        open = open.max(live);
    }
    open
}

async fn measure(herald: &Path, demo: bool, hub: &LocalHub) -> anyhow::Result<(u64, u64)> {
    let dir = tempfile::tempdir()?;
    if !demo {
        let feeds: Vec<Feed> = (0..FEEDS)
            .map(|i| {
                Feed::new(format!("tasks {i}"), format!("{}/tasks/subscribe", hub.url)).with_preset(Preset::HeraldHub)
            })
            .collect();
        Store::open(&dir.path().join("herald.db"))?.import_feeds(&feeds)?;
    }
    let mut herald = start(herald, dir.path(), demo, if demo { 1 } else { FEEDS }).await?;
    settled(herald.0.id()).await?;
    let memory = rss_pss(herald.0.id());
    Command::new("kill").args(["-TERM", &herald.0.id().to_string()]).status()?;
    herald.0.wait()?;
    Ok(memory)
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let heralds: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(!heralds.is_empty(), "usage: herald-tray-memory HERALD...");
    let mut config = HubConfig::default().with_actor("Ana", "ana-token");
    config.anonymous_reads = true;
    let hub = LocalHub::start(config, &StoreLocation::Memory).await?;
    println!("| herald | binary (MiB) | {FEEDS} idle feeds: RSS | PSS (MiB) | demo: RSS | PSS (MiB) |");
    println!("|---|---|---|---|---|---|");
    for herald in &heralds {
        let path = Path::new(herald);
        let size = std::fs::metadata(path)?.len() / 1024;
        let (feeds_rss, feeds_pss) = measure(path, false, &hub).await?;
        let (demo_rss, demo_pss) = measure(path, true, &hub).await?;
        println!(
            "| {herald} | {} | {} | {} | {} | {} |",
            mib(size),
            mib(feeds_rss),
            mib(feeds_pss),
            mib(demo_rss),
            mib(demo_pss)
        );
    }
    hub.stop().await?;
    Ok(())
}
