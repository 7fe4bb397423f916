//! Fan-out: one publisher and N SSE subscribers on loopback, Herald's hub
//! (on SQLite, and two hubs on Redis) beside nginx with Nchan on Redis.
//! Prints Markdown tables for BENCHMARKS.md.
//!
//! ```sh
//! cargo build --release -p herald-hub -p herald-e2e --bin herald-hub --bin herald-fanout
//! target/release/herald-fanout table              # 1k, 5k, 10k subscribers at 10 and 100 changes/s
//! target/release/herald-fanout ramp --seconds 5   # subscribers until p99 passes 100 ms, at 10 and at 100/s
//! target/release/herald-fanout table --servers nchan --subscribers 2000 --rates 10 --seconds 5
//! ```
//!
//! It needs `redis-server`, `nginx` and `libnginx-mod-nchan` (from apt), and
//! `herald-hub` beside itself or named by `HERALD_HUB`. It raises its own
//! open-file limit as far as it may, and the servers it starts inherit it:
//! each subscriber holds a socket in the generator and one in the server.

use std::path::{Path, PathBuf};

use anyhow::Context;
use herald_e2e::fanout::servers::Server;
use herald_e2e::fanout::{run, Measured};

struct Options {
    ramp: bool,
    servers: Vec<Server>,
    subscribers: Vec<usize>,
    rates: Vec<u32>,
    seconds: u32,
    limit_ms: f64,
}

const USAGE: &str = "usage: herald-fanout table|ramp [--servers hub-sqlite,hub-redis,nchan] \
[--subscribers 1000,5000,10000] [--rates 10,100] [--seconds 10] [--limit-ms 100]";

fn list<T: std::str::FromStr>(text: &str) -> anyhow::Result<Vec<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.split(',').map(|one| one.trim().parse::<T>().with_context(|| format!("{one:?} in {text:?}"))).collect()
}

fn options() -> anyhow::Result<Options> {
    let mut args = std::env::args().skip(1);
    let ramp = match args.next().as_deref() {
        Some("table") => false,
        Some("ramp") => true,
        _ => anyhow::bail!(USAGE),
    };
    let mut o = Options {
        ramp,
        servers: Server::ALL.to_vec(),
        subscribers: if ramp {
            vec![500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10_000, 12_500, 15_000]
        } else {
            vec![1000, 5000, 10_000]
        },
        rates: vec![10, 100],
        seconds: 10,
        limit_ms: 100.0,
    };
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--servers" => o.servers = value.split(',').map(Server::parse).collect::<anyhow::Result<_>>()?,
            "--subscribers" => o.subscribers = list(&value)?,
            "--rates" => o.rates = list(&value)?,
            "--seconds" => o.seconds = value.parse()?,
            "--limit-ms" => o.limit_ms = value.parse()?,
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    Ok(o)
}

fn herald_hub() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("HERALD_HUB") {
        return Ok(path.into());
    }
    let beside = std::env::current_exe()?.with_file_name("herald-hub");
    anyhow::ensure!(beside.exists(), "no herald-hub beside this binary: build it, or name it with HERALD_HUB");
    Ok(beside)
}

/// Lifts the open-file limit as far as this process may: each subscriber
/// holds a socket here and one in the server.
fn more_files() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit with a valid pointer to a local.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return;
        }
        let raised = libc::rlimit { rlim_cur: 200_000, rlim_max: limit.rlim_max.max(200_000) };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

const HEADER: &str = "| server | subscribers | changes/s | p50 | p99 | max | delivered | server CPU | Redis CPU | generator CPU | server memory per subscriber |\n|---|---|---|---|---|---|---|---|---|---|---|";

fn row(m: &Measured) -> String {
    let mut delivered =
        if m.received >= m.expected { "all".to_owned() } else { format!("{} of {}", m.received, m.expected) };
    if m.refused > 0 {
        delivered += &format!(" ({} changes refused: {})", m.refused, m.first_refusal.as_deref().unwrap_or("?"));
    }
    let rate = if m.achieved_rate < m.rate as f64 * 0.95 {
        format!("{} ({:.0} reached)", m.rate, m.achieved_rate)
    } else {
        m.rate.to_string()
    };
    let redis = m.redis_cpu.map_or("–".to_owned(), |c| format!("{c:.0}%"));
    format!(
        "| {} | {} | {rate} | {:.1} ms | {:.1} ms | {:.0} ms | {delivered} | {:.0}% | {redis} | {:.0}% | {:.1} KiB |",
        m.server.name(),
        m.subscribers,
        m.p50,
        m.p99,
        m.max,
        m.server_cpu,
        m.generator_cpu,
        m.kib_per_subscriber
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let hub = herald_hub()?;
    more_files();
    println!("{HEADER}");
    if !o.ramp {
        for &server in &o.servers {
            for &n in &o.subscribers {
                match run(server, &hub, n, &o.rates, o.seconds).await {
                    Ok(measured) => measured.iter().for_each(|m| println!("{}", row(m))),
                    Err(e) => println!("| {} | {n} | failed: {e:#} |", server.name()),
                }
            }
        }
        return Ok(());
    }
    let mut reached = Vec::new();
    for &rate in &o.rates {
        for &server in &o.servers {
            reached.push((server, rate, ramp(&o, server, &hub, rate).await));
        }
    }
    println!("\n| server | changes/s | p99 past {} ms, or a change not delivered, at |\n|---|---|---|", o.limit_ms);
    for (server, rate, at) in reached {
        let at = at.map_or(format!("not within {} subscribers", o.subscribers.last().unwrap_or(&0)), |n| {
            format!("{n} subscribers")
        });
        println!("| {} | {rate} | {at} |", server.name());
    }
    Ok(())
}

/// The first subscriber count at which `server` misses the limit at `rate`.
async fn ramp(o: &Options, server: Server, hub: &Path, rate: u32) -> Option<usize> {
    for &n in &o.subscribers {
        match run(server, hub, n, &[rate], o.seconds).await {
            Ok(measured) => {
                measured.iter().for_each(|m| println!("{}", row(m)));
                if measured.iter().any(|m| m.p99 > o.limit_ms || m.received < m.expected || m.refused > 0) {
                    return Some(n);
                }
            }
            Err(e) => {
                println!("| {} | {n} | failed: {e:#} |", server.name());
                return Some(n);
            }
        }
    }
    None
}
