//! The fan-out benchmark: one publisher, N SSE subscribers, and how long a
//! change takes to reach them all, on Herald's hub and on nginx with Nchan.
//!
//! A run starts the server ([`servers`]), opens the subscribers
//! ([`load`]), publishes warm-up changes until every subscriber has had one
//! (so every stream is known to be live), then publishes
//! at each rate in turn over the same streams. The load generator shares
//! the machine with the server, the same way for every server.

pub mod load;
pub mod servers;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::procs::{cpu_seconds, tree_cpu_seconds, tree_pss};
use load::{Counts, Publisher, Subscribers, PHASES};
use servers::Server;

/// One rate on one server with one number of subscribers.
#[derive(Debug)]
pub struct Measured {
    pub server: Server,
    pub subscribers: usize,
    pub rate: u32,
    /// Changes published, and the rate at which the server took them.
    pub published: u32,
    pub achieved_rate: f64,
    /// Changes the server refused (a 503 under load), and why the first was.
    pub refused: u32,
    pub first_refusal: Option<String>,
    /// Deliveries expected (changes accepted × subscribers), and received.
    pub expected: u64,
    pub received: u64,
    /// Publish → receive, in ms.
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    /// CPU used while publishing and until the last delivery, in % of one
    /// core: the server (every hub, or nginx's master and workers), Redis,
    /// and the load generator.
    pub server_cpu: f64,
    pub redis_cpu: Option<f64>,
    pub generator_cpu: f64,
    /// The server's growth in PSS with the subscribers open, per subscriber.
    pub kib_per_subscriber: f64,
}

/// Runs `rates` one after the other over `subscribers` streams to `server`,
/// `seconds` of publishing each.
pub async fn run(
    server: Server,
    hub: &Path,
    subscribers: usize,
    rates: &[u32],
    seconds: u32,
) -> anyhow::Result<Vec<Measured>> {
    anyhow::ensure!(rates.len() < PHASES, "at most {} rates in one run", PHASES - 1);
    let running = servers::start(server, hub)?;
    let pss = || running.roots.iter().map(|pid| tree_pss(*pid)).sum::<u64>();
    let server_cpu = || running.roots.iter().map(|pid| tree_cpu_seconds(*pid)).sum::<f64>();
    let redis_cpu = || running.redis.map(tree_cpu_seconds);
    // This process alone: the servers are its children.
    let generator_cpu = || cpu_seconds(std::process::id()).unwrap_or(f64::NAN);

    // The channel exists before anyone subscribes, as it would in use. (Nchan
    // on Redis, when 1,000 subscribers came to a channel never published
    // to, at times delivered nothing to any of them.)
    let publisher = Arc::new(Publisher::new(running.publish.clone())?);
    publisher.publish_first().await?;
    let pss_before = pss();
    let subs = Subscribers::open(subscribers, &running.streams)?;
    let counts = subs.counts.clone();
    let opened = wait_for("every subscriber's stream to open", Duration::from_secs(300), || {
        counts.ready.load(Ordering::Relaxed) + counts.failed.load(Ordering::Relaxed) >= subscribers
    })
    .await;
    if let Some(why) = subs.first_error() {
        anyhow::bail!(
            "{} of {subscribers} subscribers failed; the first: {why}",
            counts.failed.load(Ordering::Relaxed)
        );
    }
    opened?;
    warm_up(&publisher, &counts, subscribers).await?;
    let kib_per_subscriber = pss().saturating_sub(pss_before) as f64 / subscribers as f64;

    let mut runs = Vec::new();
    for (at, &rate) in rates.iter().enumerate() {
        let phase = at + 1;
        let count = rate * seconds;
        let (cpu0, redis0, gen0, t0) = (server_cpu(), redis_cpu(), generator_cpu(), Instant::now());
        let published = publisher.publish_at(phase, rate, count).await;
        let expected = u64::from(count - published.refused) * subscribers as u64;
        // Every delivery, or 30 s after the last change: a delivery that late is a loss.
        let _ = wait_for("every delivery", Duration::from_secs(30), || {
            counts.received[phase].load(Ordering::Relaxed) >= expected
        })
        .await;
        let wall = t0.elapsed().as_secs_f64();
        let percent = |used: f64| used / wall * 100.0;
        runs.push(Measured {
            server,
            subscribers,
            rate,
            published: count,
            achieved_rate: count as f64 / published.took.as_secs_f64(),
            refused: published.refused,
            first_refusal: published.first_refusal,
            expected,
            received: counts.received[phase].load(Ordering::Relaxed),
            p50: 0.0,
            p99: 0.0,
            max: 0.0,
            server_cpu: percent(server_cpu() - cpu0),
            redis_cpu: redis_cpu().zip(redis0).map(|(now, then)| percent(now - then)),
            generator_cpu: percent(generator_cpu() - gen0),
            kib_per_subscriber,
        });
    }
    let mut latencies = subs.stop().await;
    for (at, measured) in runs.iter_mut().enumerate() {
        let phase = &mut latencies[at + 1];
        phase.sort_unstable();
        let ms =
            |at: f64| phase.get(((phase.len() as f64 - 1.0) * at) as usize).map_or(f64::NAN, |us| *us as f64 / 1000.0);
        (measured.p50, measured.p99, measured.max) = (ms(0.5), ms(0.99), ms(1.0));
    }
    drop(running);
    Ok(runs)
}

/// Publishes warm-up changes, one a second, until every subscriber has had
/// one: a server may answer a stream before it is subscribed to the
/// channel (Nchan on Redis does), and changes made before then never reach it.
async fn warm_up(publisher: &Publisher, counts: &Counts, subscribers: usize) -> anyhow::Result<()> {
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        publisher.publish(0).await?;
        let every = || counts.warm.load(Ordering::Relaxed) >= subscribers;
        if wait_for("a warm-up change", Duration::from_secs(1), every).await.is_ok() {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < give_up,
            "after 120 s, {} of {subscribers} subscribers have had a warm-up change",
            counts.warm.load(Ordering::Relaxed)
        );
    }
}

/// Polls `done` every 20 ms until it holds, or fails after `limit`.
async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let give_up = Instant::now() + limit;
    let mut ticks = tokio::time::interval(Duration::from_millis(20));
    while !done() {
        anyhow::ensure!(Instant::now() < give_up, "timed out after {limit:?} waiting for {what}");
        ticks.tick().await;
    }
    Ok(())
}
