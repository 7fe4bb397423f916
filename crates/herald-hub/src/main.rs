//! `herald-hub`: runs the reference shared-data server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use herald_hub::{demo::Teammate, Hub, HubConfig, RedisLocation, StoreLocation};
use tokio_util::sync::CancellationToken;

/// The Herald hub: a shared task list over REST, with changes pushed over SSE.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// SQLite database file.
    #[arg(long, default_value = "herald-hub.db", conflicts_with_all = ["memory", "redis"])]
    db: PathBuf,
    /// Keep the data in memory only.
    #[arg(long, conflicts_with = "redis")]
    memory: bool,
    /// Keep the data in Redis (`redis://[:password@]host:port[/db]`), shared
    /// with every hub given the same Redis and prefix.
    #[arg(long, env = "HERALD_HUB_REDIS", value_name = "URL", hide_env_values = true)]
    redis: Option<String>,
    /// The prefix of the hub's keys in Redis.
    #[arg(long, default_value = "herald", requires = "redis")]
    redis_prefix: String,
    /// How the log is written: `text` for people, `json` for a log pipeline.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Config file (actors and their tokens, anonymous reads, keepalive).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run a demo teammate with this name, who changes a task every few seconds.
    #[arg(long, value_name = "NAME")]
    demo: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Exit codes: 1 when serving failed, 2 when the hub was started wrong (a
/// usage error, as clap's own, a config that cannot be read, or a store
/// that cannot be opened or reached).
const STARTED_WRONG: u8 = 2;

/// How running the hub failed, and so how it exits.
enum Failed {
    Start(anyhow::Error),
    Serve(anyhow::Error),
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    logs(args.log_format);
    let failed = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(run(args)),
        Err(e) => Err(Failed::Serve(e.into())),
    };
    // The cause chain says what is wrong, on one line; a backtrace would only look like a crash.
    match failed {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(Failed::Start(e)) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(STARTED_WRONG)
        }
        Err(Failed::Serve(e)) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
fn logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(true).init(),
    }
}

async fn run(args: Args) -> Result<(), Failed> {
    let config = config(&args).map_err(Failed::Start)?;
    let location = match &args.redis {
        Some(url) => StoreLocation::Redis(RedisLocation::new(url).with_prefix(&args.redis_prefix)),
        None if args.memory => StoreLocation::Memory,
        None => StoreLocation::File(args.db.clone()),
    };
    let hub = Hub::open(config, &location).await.context("opening the store").map_err(Failed::Start)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))
        .map_err(Failed::Start)?;
    serve(args, hub, listener).await.map_err(Failed::Serve)
}

fn config(args: &Args) -> anyhow::Result<HubConfig> {
    Ok(match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            HubConfig::from_toml(&text).with_context(|| format!("{} is not a valid hub config", path.display()))?
        }
        None => HubConfig::default().with_anonymous_reads(true),
    })
}

async fn serve(args: Args, hub: std::sync::Arc<Hub>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, store = hub.store_kind(), "herald-hub is serving");

    let stop = CancellationToken::new();
    if let Some(name) = args.demo {
        tokio::spawn(Teammate::new(name, fastrand::u64(..)).run(hub.clone(), Duration::from_secs(4), stop.clone()));
    }
    let shutdown = {
        let stop = stop.clone();
        async move {
            stopped().await;
            tracing::info!("stopping: ending the open streams");
            stop.cancel();
        }
    };
    herald_hub::run(listener, hub, shutdown).await?;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a supervisor.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
