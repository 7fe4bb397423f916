//! Herald against the real ntfy and Mercure (`../shared/tools/real-servers/`),
//! a baseline `herald-cli` beside this one, in the same run:
//!
//! - an idle feed, followed by `herald-cli sync` for `MINUTES` (default 20)
//!   at each server's default keepalive (ntfy 45 s, Mercure 15 s): its
//!   reconnections per hour, and the rows its store gains per day;
//! - `sync` stopped and started 5 times, with messages published to ntfy
//!   while it is away, and each run staying through two keepalives (5 s
//!   apart here) as any run longer than a minute does: how many messages it
//!   printed more than once.
//!
//! ```sh
//! cargo run -p herald-e2e --bin herald-real-idle -- --minutes 20 --baseline OLD/herald-cli target/debug/herald-cli
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use herald_test_support::real::mercure::{self, Mercure};
use herald_test_support::real::ntfy::{self, Ntfy};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// A `herald-cli sync --json` whose lines are read as they come.
struct Sync {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Sync {
    fn start(cli: &Path, store: &Path) -> anyhow::Result<Sync> {
        let mut child = Command::new(cli)
            .args(["sync", "--json", "--store"])
            .arg(store)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting herald-cli sync")?;
        let lines = BufReader::new(child.stdout.take().context("its stdout")?).lines();
        Ok(Sync { child, lines })
    }

    /// The next line, however long it takes.
    async fn next(&mut self) -> anyhow::Result<Value> {
        let line = self.lines.next_line().await?;
        Ok(serde_json::from_str(&line.context("sync ended")?)?)
    }

    /// The next line, which is due within two minutes.
    async fn line(&mut self) -> anyhow::Result<Value> {
        tokio::time::timeout(Duration::from_secs(120), self.next()).await?
    }

    /// The ids of the events printed until `last` is.
    async fn events_until(&mut self, last: &str) -> anyhow::Result<Vec<String>> {
        let mut ids = Vec::new();
        while ids.last().map(String::as_str) != Some(last) {
            let line = self.line().await?;
            if line["kind"] == "event" {
                ids.push(line["lastEventId"].as_str().unwrap_or_default().to_owned());
            }
        }
        Ok(ids)
    }

    async fn interrupt(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().context("running")?.to_string();
        std::process::Command::new("kill").args(["-INT", &pid]).status()?;
        tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await??;
        Ok(())
    }
}

/// A store with one feed, written as a feeds file: every `herald-cli` reads those.
fn store_with(cli: &Path, dir: &Path, feed: &str) -> anyhow::Result<PathBuf> {
    let (store, file) = (dir.join("herald.db"), dir.join("feeds.toml"));
    std::fs::write(&file, feed)?;
    let imported =
        std::process::Command::new(cli).args(["feeds", "import"]).arg(&file).arg("--store").arg(&store).output()?;
    if !imported.status.success() {
        bail!("feeds import: {}", String::from_utf8_lossy(&imported.stderr));
    }
    Ok(store)
}

/// The rows a store keeps, as the binary that wrote it counts them.
fn rows(cli: &Path, store: &Path) -> anyhow::Result<usize> {
    let out = std::process::Command::new(cli).args(["history", "--json", "--store"]).arg(store).output()?;
    Ok(String::from_utf8_lossy(&out.stdout).lines().count())
}

struct Idle {
    reconnects_per_hour: f64,
    rows_per_day: f64,
}

/// An idle feed followed for `span`: connections beyond the first, and rows.
async fn idle(cli: &Path, feed: &str, span: Duration) -> anyhow::Result<Idle> {
    let dir = tempfile::tempdir()?;
    let store = store_with(cli, dir.path(), feed)?;
    let mut sync = Sync::start(cli, &store)?;
    let (start, mut opened) = (Instant::now(), 0u32);
    while start.elapsed() < span {
        match tokio::time::timeout(span.saturating_sub(start.elapsed()), sync.next()).await {
            Ok(line) => opened += u32::from(line?["state"] == "open"),
            Err(_) => break,
        }
    }
    sync.interrupt().await?;
    let hours = span.as_secs_f64() / 3600.0;
    Ok(Idle {
        reconnects_per_hour: f64::from(opened.saturating_sub(1)) / hours,
        rows_per_day: rows(cli, &store)? as f64 / hours * 24.0,
    })
}

/// `sync` stopped and started 5 times with ntfy messages published while it
/// is away; how many messages it printed more than once, of how many.
async fn restarts(cli: &Path) -> anyhow::Result<(usize, usize)> {
    let keepalive = Duration::from_secs(5);
    let server = Ntfy::start(ntfy::Options { keepalive, ..Default::default() }).await.context("the real ntfy")?;
    let dir = tempfile::tempdir()?;
    let feed = format!("[[feed]]\nname = \"alerts\"\nurl = \"{}/alerts/sse\"\npreset = \"ntfy\"\n", server.url);
    let store = store_with(cli, dir.path(), &feed)?;
    let publish = async |n: usize| server.publish_numbered("alerts", 0..n).await;
    let mut printed: BTreeMap<String, usize> = BTreeMap::new();
    for round in 0..6 {
        let away = if round == 0 { Vec::new() } else { publish(3).await };
        let mut sync = Sync::start(cli, &store)?;
        let mut seen = Vec::new();
        if round == 0 {
            while sync.line().await?["state"] != "open" {}
        } else {
            seen.extend(sync.events_until(away.last().context("published")?).await?);
        }
        let live = publish(2).await;
        seen.extend(sync.events_until(&live[1]).await?);
        // Time passing is what is measured: the run hears two keepalives.
        tokio::time::sleep(keepalive * 2 + Duration::from_secs(1)).await;
        sync.interrupt().await?;
        for id in seen {
            *printed.entry(id).or_default() += 1;
        }
    }
    Ok((printed.values().filter(|n| **n > 1).count(), printed.len()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut minutes, mut clis) = (20u64, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--minutes" => minutes = args.next().context("--minutes N")?.parse()?,
            "--baseline" => clis.insert(0, ("baseline", PathBuf::from(args.next().context("--baseline CLI")?))),
            cli => clis.push(("this", std::path::absolute(cli)?)),
        }
    }
    if clis.iter().all(|(who, _)| *who != "this") {
        bail!("usage: herald-real-idle [--minutes N] [--baseline CLI] CLI");
    }
    let span = Duration::from_secs(minutes * 60);
    let ntfy = Ntfy::start(ntfy::Options::default()).await.context("the real ntfy")?;
    let hub = Mercure::start(mercure::Options::default()).await.context("the real Mercure")?;
    let ntfy_feed = format!("[[feed]]\nname = \"alerts\"\nurl = \"{}/alerts/sse\"\npreset = \"ntfy\"\n", ntfy.url);
    let url = hub.subscribe_url("https://example.com/tasks");
    let mercure_feed = format!("[[feed]]\nname = \"tasks\"\nurl = \"{url}\"\npreset = \"mercure\"\n");
    println!("idle feeds for {minutes} min at the servers' default keepalives; 5 restarts of sync");
    println!("| herald-cli | server | reconnects per hour | rows per day | printed twice |");
    println!("|---|---|---|---|---|");
    // Every binary and server at once: the same minutes for all.
    let runs = clis.iter().map(|(who, cli)| {
        let (ntfy_feed, mercure_feed) = (ntfy_feed.clone(), mercure_feed.clone());
        async move {
            let (n, m, r) = tokio::join!(idle(cli, &ntfy_feed, span), idle(cli, &mercure_feed, span), restarts(cli));
            anyhow::Ok((who, n?, m?, r?))
        }
    });
    for done in futures_util::future::join_all(runs).await {
        let (who, n, m, (twice, of)) = done?;
        println!("| {who} | ntfy | {:.1} | {:.0} | {twice} of {of} |", n.reconnects_per_hour, n.rows_per_day);
        println!("| {who} | Mercure | {:.1} | {:.0} | |", m.reconnects_per_hour, m.rows_per_day);
    }
    Ok(())
}
