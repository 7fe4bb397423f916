//! The command line.

use clap::Parser;

/// Herald: tells you when shared data changes.
#[derive(Debug, Parser)]
#[command(name = "herald", version)]
pub struct Options {
    /// Follow this task-list server (its root URL) instead of the built-in demo.
    #[arg(long, env = "HERALD_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Seconds between the demo teammate's changes.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub demo_every: u64,
    /// Remember the server's task list here, to say on the next start what
    /// changed while Herald was closed (default: $XDG_DATA_HOME/herald/herald.db).
    /// Not used by the demo, whose list starts afresh every run.
    #[arg(long, env = "HERALD_STORE", value_name = "PATH")]
    pub store: Option<std::path::PathBuf>,
    /// Start in the tray without opening the window.
    #[arg(long)]
    pub hidden: bool,
}

/// The bearer token for `--server`, read from the environment only, so that it
/// never appears in a process listing. (It moves to the OS keyring with feeds.)
pub fn server_token() -> Option<String> {
    std::env::var("HERALD_TOKEN").ok().filter(|t| !t.is_empty())
}
