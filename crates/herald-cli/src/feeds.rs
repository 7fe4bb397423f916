//! `herald-cli feeds`: the feeds kept in the store, and feeds files.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use herald_core::feed::{feeds_to_toml, parse_feeds, Auth, Feed};
use herald_core::secrets::{OsKeyring, Secrets};
use herald_core::store::{Store, StoreError};
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
    /// Remove a feed, with its history (and its secret, if no other feed uses it).
    Remove { name: String },
    /// Read a token (or, with --basic, a password) from standard input into
    /// the OS keyring, and have the feed send it. Only the keyring entry's
    /// name is stored with the feed.
    Secret {
        name: String,
        /// Send it as HTTP Basic with this username, rather than as a bearer token.
        #[arg(long, value_name = "USERNAME")]
        basic: Option<String>,
        /// The keyring entry to keep it in (default: the feed's name).
        #[arg(long, value_name = "ENTRY")]
        entry: Option<String>,
    },
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
                    json!({"name": feed.name, "url": feed.url, "auth": feed.settings.auth}).to_string()
                } else {
                    format!("{}\t{}", feed.name, feed.url)
                };
                out.line(&line);
            }
        }),
        FeedsCommand::Add { name, url } => {
            // A feed already there keeps its settings (and secret); only its URL changes.
            let existing = store.feed(&name).ok();
            let (settings, retention) = existing.map(|f| (f.settings, f.retention)).unwrap_or_default();
            // The same checks as a feeds file, so a feed added here exports and imports cleanly.
            let text = feeds_to_toml(&[Feed { name, url, settings, retention }]);
            match parse_feeds(&text) {
                Ok(feeds) => store.import_feeds(&feeds),
                Err(e) => {
                    out.error(&e.reason);
                    return exit::USAGE;
                }
            }
        }
        FeedsCommand::Remove { name } => remove(&store, &name, &out),
        FeedsCommand::Secret { name, basic, entry } => {
            return secret(&mut store, &out, &name, basic, entry);
        }
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

/// Removes the feed, then its secret unless another feed shares the entry.
/// The feed is gone even if the keyring cannot be reached; the user is told
/// what was left behind.
fn remove(store: &Store, name: &str, out: &Output) -> Result<(), StoreError> {
    let feeds = store.feeds()?;
    let entry = feeds.iter().find(|f| f.name == name).and_then(|f| f.settings.auth.as_ref()).map(|a| &a.keyring);
    store.remove_feed(name)?;
    let shared = |entry: &String| {
        feeds.iter().any(|f| f.name != name && f.settings.auth.as_ref().is_some_and(|a| &a.keyring == entry))
    };
    if let Some(entry) = entry.filter(|entry| !shared(entry)) {
        if let Err(e) = OsKeyring.delete(entry) {
            out.warning(&format!("the feed {name:?} is removed, but its keyring entry {entry:?} is not: {e}"));
        }
    }
    Ok(())
}

/// `feeds secret`: the keyring first, and the feed's auth only once the
/// secret is safely there.
fn secret(store: &mut Store, out: &Output, name: &str, basic: Option<String>, entry: Option<String>) -> u8 {
    let feed = match store.feed(name) {
        Ok(feed) => feed,
        Err(e @ StoreError::NoSuchFeed(_)) => {
            out.error(&e.to_string());
            return exit::USAGE;
        }
        Err(e) => {
            out.error(&e.to_string());
            return exit::FAILED;
        }
    };
    let entry = entry.unwrap_or_else(|| name.to_owned());
    let auth = match basic {
        Some(user) => Auth::basic(user, entry),
        None => Auth::bearer(entry),
    };
    if let Some(problem) = auth.problem() {
        out.error(&problem);
        return exit::USAGE;
    }
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        out.error(&format!("reading the secret from standard input: {e}"));
        return exit::USAGE;
    }
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        out.error(
            "no secret on standard input: pipe it in, as in `printf %s \"$TOKEN\" | herald-cli feeds secret NAME`",
        );
        return exit::USAGE;
    }
    if let Err(e) = OsKeyring.set(&auth.keyring, secret) {
        out.error(&e.to_string());
        return exit::FAILED;
    }
    let mut feed = feed;
    feed.settings.auth = Some(auth);
    match store.import_feeds(&[feed]) {
        Ok(()) => exit::OK,
        Err(e) => {
            out.error(&e.to_string());
            exit::FAILED
        }
    }
}
