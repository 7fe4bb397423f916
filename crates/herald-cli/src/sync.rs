//! `herald-cli sync`: follows every stored feed at once, headless, keeping
//! each event in the store with its feed's cursor, until Ctrl-C.
//!
//! One task per feed reads its subscription; one writer (this task) owns the
//! store, so batches from all feeds are written one transaction each, in the
//! order they arrive.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use herald_core::secrets::OsKeyring;
use herald_core::sse::now_ms;
use serde_json::json;
use tokio::sync::mpsc;

use crate::exit;
use crate::follow::{Follow, News};
use crate::output::Output;

#[derive(Args)]
pub struct SyncArgs {
    /// The store to use (default: $XDG_DATA_HOME/herald/herald.db).
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

/// How often retention is applied while syncing.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

pub async fn run(args: SyncArgs) -> u8 {
    let out = Output::new(args.json);
    let Some(mut store) = out.open_store(args.store) else { return exit::USAGE };
    let feeds = match store.feeds() {
        Ok(feeds) => feeds,
        Err(e) => {
            out.error(&e.to_string());
            return exit::USAGE;
        }
    };
    if feeds.is_empty() {
        out.error("the store has no feeds: add them with `herald-cli feeds add` or `feeds import`");
        return exit::USAGE;
    }
    let (news, mut incoming) = mpsc::channel(64);
    let mut ids = Vec::new();
    for feed in &feeds {
        let started = store.feed_id(&feed.name).and_then(|id| Ok((id, store.cursor(id)?)));
        let (id, cursor) = match started {
            Ok(started) => started,
            Err(e) => {
                out.error(&e.to_string());
                return exit::FAILED;
            }
        };
        // The keyring is a blocking D-Bus call on Linux.
        let (config, client) = match tokio::task::block_in_place(|| feed.subscription(cursor, &OsKeyring)) {
            Ok(setup) => setup,
            Err(e) => {
                out.error(&e.to_string());
                return exit::USAGE;
            }
        };
        ids.push(id);
        tokio::spawn(Follow { id, feed: feed.clone(), client, config, news: news.clone() }.run());
    }
    drop(news);
    let mut prune = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            news = incoming.recv() => match news {
                Some(News::Events(id, name, events)) => {
                    if let Err(e) = tokio::task::block_in_place(|| store.ingest(id, &events, now_ms())) {
                        out.error(&e.to_string());
                        return exit::FAILED;
                    }
                    for event in &events {
                        out.event(Some(&name), event);
                    }
                }
                Some(News::Phase(name, phase)) => {
                    let state = serde_json::to_value(&phase).unwrap_or_default();
                    out.line(&if args.json {
                        json!({"kind": "state", "feed": name, "state": state["phase"]}).to_string()
                    } else {
                        format!("-- {name}: {}", state["phase"].as_str().unwrap_or("?"))
                    });
                }
                Some(News::Snapshot { id, name, key_field, snapshot }) => {
                    match tokio::task::block_in_place(|| store.resync(id, &key_field, &snapshot, now_ms())) {
                        Ok(resynced) => out.missed(&name, &resynced.missed),
                        Err(e) => {
                            out.error(&e.to_string());
                            return exit::FAILED;
                        }
                    }
                }
                Some(News::Warning(warning)) => out.warning(&warning),
                None => return exit::FAILED, // every feed stopped for good
            },
            _ = prune.tick() => {
                for &id in &ids {
                    if let Err(e) = tokio::task::block_in_place(|| store.prune(id, now_ms())) {
                        tracing::warn!(error = %e, "applying retention failed");
                    }
                }
            }
            _ = tokio::signal::ctrl_c() => return exit::INTERRUPTED,
        }
    }
}
