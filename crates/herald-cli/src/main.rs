//! `herald-cli`: Herald's engine without a window, for debugging feeds and
//! for scripts. It links no GTK or WebKit.

mod feeds;
mod history;
mod identity;
mod output;
mod running;
mod sign_in;
mod sync;
mod tail;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "herald-cli", version, about = "Herald's engine without a window")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Follow an SSE feed and print its events and connection state.
    Tail(tail::TailArgs),
    /// Print the events kept in the store, oldest first.
    History(history::HistoryArgs),
    /// List, add, remove, import and export the feeds kept in the store.
    Feeds(feeds::FeedsArgs),
    /// Follow every stored feed, keeping its events in the store, until Ctrl-C.
    Sync(sync::SyncArgs),
    /// Write this program's manual pages (roff, one per command) into DIR, for the packages.
    #[command(hide = true)]
    ManPages { dir: std::path::PathBuf },
}

/// Exit codes, as documented in the README.
pub mod exit {
    /// Ended normally: --max-events reached, or the server stopped the stream (204).
    pub const OK: u8 = 0;
    /// Usage or configuration error.
    pub const USAGE: u8 = 2;
    /// The connection failed for good: a status that is not retried, a wrong Content-Type, or auth.
    pub const FAILED: u8 = 3;
    /// Interrupted with Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// Warnings and up; the platform verifier's own log of a refused certificate
/// is left out, because Herald reports that refusal itself, with the fix.
const DEFAULT_LOG: &str = "warn,rustls_platform_verifier=off";

fn man_pages(dir: &std::path::Path) -> u8 {
    use clap::CommandFactory;
    match clap_mangen::generate_to(Cli::command(), dir) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            exit::FAILED
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG.into()))
        .init();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Tail(args) => tail::run(args).await,
        Command::History(args) => history::run(args),
        Command::Feeds(args) => feeds::run(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::ManPages { dir } => man_pages(&dir),
    };
    ExitCode::from(code)
}
