//! The command line.

use clap::Parser;

/// Herald: tells you when shared data changes.
#[derive(Debug, Parser)]
#[command(name = "herald", version)]
pub struct Options {
    /// Also follow this Herald hub (its root URL): a shortcut that adds it as
    /// a `herald-hub` feed. Its token, from HERALD_TOKEN, goes into the OS keyring.
    #[arg(long, env = "HERALD_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Seconds between the demo teammate's changes.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub demo_every: u64,
    /// The store of feeds and their history, shared with herald-cli
    /// (default: $XDG_DATA_HOME/herald/herald.db).
    #[arg(long, env = "HERALD_STORE", value_name = "PATH")]
    pub store: Option<std::path::PathBuf>,
    /// Follow only the embedded demo, with a store of its own that is gone
    /// when Herald exits; your own store and feeds are left alone.
    #[arg(long, conflicts_with_all = ["server", "store"])]
    pub demo: bool,
    /// Start in the tray without opening the window.
    #[arg(long)]
    pub hidden: bool,
    /// Open the window on this: `herald://feed/NAME` or
    /// `herald://record/FEED/KEY` (in the running Herald, if there is one).
    #[arg(value_name = "LINK")]
    pub link: Option<String>,
    /// Write this program's manual page (roff) into DIR, for the packages.
    #[arg(long, hide = true, value_name = "DIR")]
    pub man_pages: Option<std::path::PathBuf>,
}

/// Writes `herald`'s manual page, in roff, from the same definitions as
/// `--help`, into `dir`.
pub fn man_pages(dir: &std::path::Path) -> std::io::Result<()> {
    use clap::CommandFactory;
    clap_mangen::generate_to(Options::command(), dir)
}

/// The bearer token for `--server`, taken from the environment once (so it
/// never shows in a process listing) and removed from it, so that nothing
/// Herald starts inherits it. From then on it lives in the OS keyring.
pub fn take_server_token() -> Option<String> {
    let token = std::env::var("HERALD_TOKEN").ok().filter(|t| !t.is_empty());
    // Edition 2021: still safe to call; done before any thread reads the environment.
    std::env::remove_var("HERALD_TOKEN");
    token
}
