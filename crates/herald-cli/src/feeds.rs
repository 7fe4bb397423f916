//! `herald-cli feeds`: the feeds kept in the store, and feeds files.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use herald_core::store::{feeds_to_toml, parse_feeds, Feed, FeedSettings, Retention};
use serde_json::json;

use crate::exit;
use crate::output::Output;

#[derive(Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    command: FeedsCommand,
    /// The store to use (default: $XDG_DATA_HOME/herald/herald.db).
    #[arg(long, value_name = "PATH", global = true)]
    store: Option<PathBuf>,
    /// One JSON object per line.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// List the feeds.
    List,
    /// Add a feed (or change the URL of one with that name).
    Add { name: String, url: String },
    /// Remove a feed, with its history.
    Remove { name: String },
    /// Add or replace the feeds of a feeds file; a bad file changes nothing.
    Import { file: PathBuf },
    /// Write every feed as a feeds file (to stdout without FILE).
    Export { file: Option<PathBuf> },
}

pub fn run(args: FeedsArgs) -> u8 {
    let out = Output::new(args.json);
    let Some(mut store) = out.open_store(args.store) else { return exit::USAGE };
    let mut failed = false;
    let done = match args.command {
        FeedsCommand::List => store.feeds().map(|feeds| {
            for feed in feeds {
                let line = if args.json {
                    json!({"name": feed.name, "url": feed.url}).to_string()
                } else {
                    format!("{}\t{}", feed.name, feed.url)
                };
                out.line(&line);
            }
        }),
        FeedsCommand::Add { name, url } => {
            // The same checks as a feeds file, so a feed added here exports and imports cleanly.
            let text = feeds_to_toml(&[Feed {
                name,
                url,
                settings: FeedSettings::default(),
                retention: Retention::default(),
            }]);
            match parse_feeds(&text) {
                Ok(feeds) => store.import_feeds(&feeds),
                Err(e) => {
                    out.error(&e.reason);
                    return exit::USAGE;
                }
            }
        }
        FeedsCommand::Remove { name } => store.remove_feed(&name),
        FeedsCommand::Import { file } => {
            let text = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(e) => {
                    out.error(&format!("{}: {e}", file.display()));
                    return exit::USAGE;
                }
            };
            match parse_feeds(&text) {
                Ok(feeds) => store.import_feeds(&feeds),
                Err(e) => {
                    out.error(&format!("{}: {e}", file.display()));
                    return exit::USAGE;
                }
            }
        }
        FeedsCommand::Export { file } => store.feeds().map(|feeds| feeds_to_toml(&feeds)).map(|text| match file {
            Some(file) => {
                if let Err(e) = std::fs::write(&file, text) {
                    out.error(&format!("{}: {e}", file.display()));
                    failed = true;
                }
            }
            None => print!("{text}"),
        }),
    };
    match done {
        Ok(()) if failed => exit::USAGE,
        Ok(()) => exit::OK,
        Err(e) => {
            out.error(&e.to_string());
            exit::USAGE
        }
    }
}
