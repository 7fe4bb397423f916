//! `herald-hub`: runs the reference shared-data server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use herald_hub::{demo::Teammate, Hub, HubConfig, StoreLocation};
use tokio_util::sync::CancellationToken;

/// The Herald hub: a shared task list over REST, with changes pushed over SSE.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// SQLite database file.
    #[arg(long, default_value = "herald-hub.db", conflicts_with = "memory")]
    db: PathBuf,
    /// Keep the data in memory only.
    #[arg(long)]
    memory: bool,
    /// Config file (actors and their tokens, anonymous reads, keepalive).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run a demo teammate with this name, who changes a task every few seconds.
    #[arg(long, value_name = "NAME")]
    demo: Option<String>,
}

/// Exit codes: 1 when serving failed, 2 when the hub was started wrong (a
/// usage error, as clap's own, or a config that cannot be read).
const STARTED_WRONG: u8 = 2;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    // The cause chain says what is wrong, on one line; a backtrace would only look like a crash.
    let config = match config(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(STARTED_WRONG);
        }
    };
    let served =
        tokio::runtime::Runtime::new().map_err(anyhow::Error::from).and_then(|rt| rt.block_on(serve(args, config)));
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
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

async fn serve(args: Args, config: HubConfig) -> anyhow::Result<()> {
    let location = if args.memory { StoreLocation::Memory } else { StoreLocation::File(args.db.clone()) };
    let hub = Hub::open(config, &location).context("opening the store")?;
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(addr = %listener.local_addr()?, "herald-hub is serving");

    let stop = CancellationToken::new();
    if let Some(name) = args.demo {
        tokio::spawn(Teammate::new(name, fastrand::u64(..)).run(hub.clone(), Duration::from_secs(4), stop.clone()));
    }
    let shutdown = {
        let stop = stop.clone();
        async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        }
    };
    herald_hub::run(listener, hub, shutdown).await?;
    Ok(())
}
