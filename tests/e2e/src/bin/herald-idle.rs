//! How often the tray process wakes while nothing happens: `herald --hidden`
//! following 10 idle ntfy-style feeds, every one connected, measured over
//! `SECS` seconds (default 60) from the scheduler's own count of each of its
//! threads' turns on a CPU (`/proc/PID/task/TID/schedstat`, field 2).
//!
//! ```sh
//! dbus-run-session -- cargo run -p herald-e2e --bin herald-idle -- target/tray/herald
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use herald_core::engine::GetFeeds;
use herald_core::feed::{Feed, Preset};
use herald_core::ipc::Client;
use herald_core::sse::Phase;
use herald_core::store::Store;
use herald_test_support::ntfy::Ntfy;

const FEEDS: usize = 10;

/// Turns on a CPU so far, by thread name (threads of one name summed), and
/// how many threads there are.
fn turns(pid: u32) -> (BTreeMap<String, u64>, usize) {
    let mut by_name = BTreeMap::new();
    let mut threads = 0;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
        let dir = entry.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default().trim().to_owned();
        let stat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
        let count: u64 = stat.split_whitespace().nth(2).and_then(|n| n.parse().ok()).unwrap_or(0);
        *by_name.entry(name).or_default() += count;
        threads += 1;
    }
    (by_name, threads)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let herald = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/tray/herald".into()));
    let secs: u64 = std::env::var("SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let ntfy = Ntfy::start().await;
    let dir = tempfile::tempdir()?;
    let store = dir.path().join("idle.db");
    let feeds: Vec<Feed> = (0..FEEDS)
        .map(|i| Feed::new(format!("idle-{i}"), format!("{}/idle{i}/sse", ntfy.url)).with_preset(Preset::Ntfy))
        .collect();
    Store::open(&store)?.import_feeds(&feeds)?;
    let socket = dir.path().join("run").join("herald.sock");
    let mut child = std::process::Command::new(&herald)
        .arg("--hidden")
        .env("HERALD_STORE", &store)
        .env("HERALD_SOCKET", &socket)
        .env("HERALD_WINDOW", "none")
        .env("XDG_DATA_HOME", dir.path())
        .spawn()?;
    let pid = child.id();
    let client =
        herald_e2e::eventually("Herald to answer", || async { Ok(Client::connect(&socket).await.ok()) }).await?;
    herald_e2e::eventually("every feed connected", || async {
        let Ok(feeds) = client.ask(GetFeeds).await else { return Ok(None) };
        let open = feeds.iter().filter(|f| matches!(f.connection.phase, Phase::Open { .. })).count();
        Ok((open == FEEDS).then_some(()))
    })
    .await?;
    drop(client);
    let (before, _) = turns(pid);
    anyhow::ensure!(before.values().sum::<u64>() > 0, "no scheduler statistics for {pid}");
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (after, threads) = turns(pid);
    let elapsed = started.elapsed().as_secs_f64();
    child.kill()?;
    child.wait()?;

    println!("| thread | turns on a CPU | per second |\n|---|---|---|");
    let mut total = 0;
    for (name, count) in &after {
        let delta = count.saturating_sub(before.get(name).copied().unwrap_or(0));
        total += delta;
        if delta > 0 {
            println!("| {name} | {delta} | {:.2} |", delta as f64 / elapsed);
        }
    }
    println!("| **all {threads} threads** | **{total}** | **{:.2}** |", total as f64 / elapsed);
    println!("\n{FEEDS} idle feeds, connected, over {elapsed:.0} s");
    Ok(())
}
