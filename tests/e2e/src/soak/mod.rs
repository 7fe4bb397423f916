//! The soak: the tray process following 20 feeds across every kind of
//! server for a long while, under faults together, as it runs for weeks.
//!
//! While changes are published at a steady rate (6 a second in all, each
//! feed numbering its own), servers are stopped and started again at
//! random, the machine is said to sleep and wake (logind's
//! `PrepareForSleep`, on a system bus of the soak's own) and its wall clock
//! jumps half an hour at each wake, as a suspend's does ([`clock`]),
//! `herald-cli` asks
//! Herald through its socket, and the user marks everything read. The tray
//! process's PSS, open files, threads, CPU and store are sampled each
//! minute. At the end, once every server is up and Herald has caught up,
//! each feed's store is accounted for ([`verdict`]).
//!
//! Run inside `dbus-run-session` (the soak is the notification server on
//! the session bus), by `herald-soak` (`src/bin/herald-soak.rs`).

pub mod clock;
pub mod fleet;
pub mod logind;
pub mod samples;
pub mod verdict;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use herald_core::engine::{Condition, GetFeeds, MarkRead};
use herald_core::ipc::Client;
use herald_core::store::Store;
use tokio_util::sync::CancellationToken;

use crate::herald::Herald;
use crate::notifications::NotificationServer;
use clock::WallClock;
use fleet::Fleet;
use logind::Logind;
use samples::Sample;
use verdict::{account, Account, Published};

/// How the soak runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub duration: Duration,
    /// Changes published a second, across all feeds.
    pub rate: f64,
    /// A server is restarted this often, on average.
    pub restart_every: Duration,
    /// The machine sleeps and wakes this often.
    pub wake_every: Duration,
    pub sample_every: Duration,
    /// Samples before this are the warm-up, left out of the slopes.
    pub warm_up: Duration,
    pub cli: PathBuf,
}

/// What the soak found.
#[derive(Debug)]
pub struct Report {
    pub accounts: BTreeMap<String, Account>,
    pub samples: Vec<Sample>,
    pub restarts: BTreeMap<&'static str, u32>,
    pub wakes: u32,
    /// How far ahead the tray process's wall clock ended.
    pub clock_ahead: Duration,
    pub cli_runs: u32,
    pub cli_failures: Vec<String>,
    pub marks_read: u32,
    pub notifications: usize,
    pub caught_up_in: Duration,
    pub ran: Duration,
}

type Ledger = Arc<Mutex<BTreeMap<String, Published>>>;

/// How long each sleep seems to Herald's wall clock.
const SLEPT: Duration = Duration::from_secs(30 * 60);

pub async fn run(plan: &Plan, dir: &Path) -> anyhow::Result<Report> {
    let notifications = NotificationServer::start().await?;
    let logind = Logind::start().await?;
    let fleet = Arc::new(Fleet::start(dir).await?);
    let store = dir.join("herald.db");
    let feeds: Vec<_> = fleet.feeds.iter().map(|f| f.feed.clone()).collect();
    Store::open(&store)?.import_feeds(&feeds)?;
    let socket = dir.join("herald.sock");
    let mut clock = WallClock::new(dir)?;
    let mut env = vec![("HERALD_STORE", path_str(&store)?), ("DBUS_SYSTEM_BUS_ADDRESS", logind.address.as_str())];
    env.extend(clock.env());
    let herald = Herald::start(&env, &socket).await?;
    let pid = herald.pid().context("Herald's pid")?;
    let client = Client::connect(&socket).await?;
    crate::eventually("every feed to be live", || async {
        let feeds = client.ask(GetFeeds).await?;
        Ok((feeds.len() == fleet.feeds.len() && feeds.iter().all(|f| f.health.condition == Condition::Live))
            .then_some(()))
    })
    .await?;

    let started = Instant::now();
    let stop = CancellationToken::new();
    let ledger: Ledger = Arc::default();
    let producer = tokio::spawn(produce(fleet.clone(), ledger.clone(), plan.rate, stop.clone()));
    let chaos = tokio::spawn(restart_at_random(fleet.clone(), plan.restart_every, stop.clone()));
    let mut samples = vec![Sample::take(0.0, pid, &store)];
    let (mut wakes, mut cli_runs, mut marks_read) = (0, 0, 0);
    let mut cli_failures = Vec::new();
    let mut sample = tokio::time::interval_at(tokio::time::Instant::now() + plan.sample_every, plan.sample_every);
    let mut wake = tokio::time::interval_at(tokio::time::Instant::now() + plan.wake_every, plan.wake_every);
    let mut ask =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(30), Duration::from_secs(30));
    let mut read =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(45), Duration::from_secs(45));
    let end = tokio::time::sleep(plan.duration);
    tokio::pin!(end);
    // Interrupted, it still stops every server and Herald (on drop).
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = &mut end => break,
            _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted"),
            _ = terminate.recv() => anyhow::bail!("terminated"),
            _ = sample.tick() => {
                samples.push(Sample::take(started.elapsed().as_secs_f64(), pid, &store));
                let last = samples.last().expect("a sample");
                eprintln!("soak: {:>5.0} s  PSS {} KiB  {} fds  {} threads", last.at, last.pss_kib, last.fds, last.threads);
            }
            _ = wake.tick() => {
                logind.prepare_for_sleep(true).await?;
                tokio::time::sleep(Duration::from_secs(2)).await;
                clock.jump(SLEPT)?;
                logind.prepare_for_sleep(false).await?;
                wakes += 1;
            }
            _ = ask.tick() => {
                let feed = &fleet.feeds[cli_runs as usize % fleet.feeds.len()].name;
                for args in [vec!["feeds", "list", "--json"], vec!["history", "--json", "--feed", feed, "--since", "1m"]] {
                    if let Err(e) = cli(&plan.cli, &store, &socket, &args).await {
                        cli_failures.push(e.to_string());
                    }
                }
                cli_runs += 1;
            }
            _ = read.tick() => {
                client.ask(MarkRead { feed: None, rows: Vec::new() }).await?;
                marks_read += 1;
            }
        }
    }
    stop.cancel();
    producer.await?;
    let restarts = chaos.await?;
    let ran = started.elapsed();
    samples.push(Sample::take(ran.as_secs_f64(), pid, &store));

    // Every server is up again: Herald catches up with what it could not hear.
    let published = ledger.lock().expect("the ledger").clone();
    let caught_up = Instant::now();
    let accounts = loop {
        let accounts = accounts(&store, &published)?;
        if accounts.values().all(Account::complete) || caught_up.elapsed() > Duration::from_secs(180) {
            break accounts;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let caught_up_in = caught_up.elapsed();
    drop(herald);
    Ok(Report {
        accounts,
        samples,
        restarts,
        wakes,
        clock_ahead: clock.offset(),
        cli_runs,
        cli_failures,
        marks_read,
        notifications: notifications.shown().len(),
        caught_up_in,
        ran,
    })
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().context("a UTF-8 path")
}

/// Publishes at `rate` a second, round the feeds, until told to stop.
async fn produce(fleet: Arc<Fleet>, ledger: Ledger, rate: f64, stop: CancellationToken) {
    let mut next: BTreeMap<String, u64> = BTreeMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for feed in fleet.feeds.iter().cycle() {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let n = next.entry(feed.name.clone()).or_insert(0);
        *n += 1;
        let published = fleet.publish(feed, *n).await;
        let mut ledger = ledger.lock().expect("the ledger");
        let entry = ledger.entry(feed.name.clone()).or_default();
        match published {
            Ok(()) => entry.sure.insert(*n),
            Err(_) => entry.unsure.insert(*n),
        };
    }
}

/// Restarts a server chosen at random, about every `every`, each down for
/// 1 to 5 s, until told to stop; how many of each kind.
async fn restart_at_random(fleet: Arc<Fleet>, every: Duration, stop: CancellationToken) -> BTreeMap<&'static str, u32> {
    let mut restarts = BTreeMap::new();
    loop {
        let wait = every.mul_f64(0.5 + fastrand::f64());
        tokio::select! {
            _ = stop.cancelled() => return restarts,
            _ = tokio::time::sleep(wait) => {}
        }
        let Some(&server) = fastrand::choice(&fleet.restartable) else { return restarts };
        let down = Duration::from_millis(fastrand::u64(1000..5000));
        let kind = fleet.restart(server, down).await;
        eprintln!("soak: restarted a {kind}, down {} ms", down.as_millis());
        *restarts.entry(kind).or_default() += 1;
    }
}

/// Runs `herald-cli` on the store, through Herald's socket.
async fn cli(binary: &Path, store: &Path, socket: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = tokio::process::Command::new(binary)
        .args(args)
        .arg("--store")
        .arg(store)
        .env("HERALD_SOCKET", socket)
        .output()
        .await?;
    anyhow::ensure!(out.status.success(), "herald-cli {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// Each feed's account of its store against what was published.
fn accounts(store: &Path, published: &BTreeMap<String, Published>) -> anyhow::Result<BTreeMap<String, Account>> {
    let store = Store::open(store)?;
    let mut accounts = BTreeMap::new();
    for (feed, published) in published {
        let id = store.feed_id(feed)?;
        accounts.insert(feed.clone(), account(published, &store.history(Some(id), None)?));
    }
    Ok(accounts)
}
