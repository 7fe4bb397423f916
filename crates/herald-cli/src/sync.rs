//! `herald-cli sync`: follows every stored feed at once, headless, keeping
//! each event in the store with its feed's cursor, until Ctrl-C.
//!
//! The engine does the following, the storing and the resyncing; this is
//! one of its sinks, printing what it is told. When Herald runs on the
//! same store, its engine is the one followed, over its socket: a second
//! engine would be a second writer of the same feeds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use herald_core::engine::{Engine, EngineConfig, EngineEvent, GetFeeds, StoreAt};
use herald_core::ipc::{Client, Push};
use herald_core::secrets::OsKeyring;
use herald_core::sse::Phase;
use tokio::sync::mpsc;

use crate::exit;
use crate::output::Output;
use crate::running;

#[derive(Args)]
pub struct SyncArgs {
    /// The store to use (default: $XDG_DATA_HOME/herald/herald.db).
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: SyncArgs) -> u8 {
    let out = Output::new(args.json);
    let Some(path) = out.store_path(args.store) else { return exit::USAGE };
    if let Some(herald) = running::on(&path).await {
        out.warning("Herald is running on this store: following its engine");
        return through(herald, &out).await;
    }
    let mut config = EngineConfig::new(StoreAt::Path(path), Arc::new(OsKeyring));
    // This sink prints the events themselves, and what resyncs found.
    config.changes = false;
    let (engine, events) = match Engine::start(config).await {
        Ok(started) => started,
        Err(e) => {
            out.error(&e.to_string());
            return exit::USAGE;
        }
    };
    let count = engine.ask(GetFeeds).await.map_or(0, |feeds| feeds.len());
    print(&out, count, BTreeMap::new(), events).await
}

/// Follows the running Herald's engine: where each feed stands, once
/// listening, then what it hears.
async fn through(mut herald: Client, out: &Output) -> u8 {
    let mut pushes = match herald.subscribe(false).await {
        Ok(pushes) => pushes,
        Err(e) => {
            out.error(&e.to_string());
            return exit::FAILED;
        }
    };
    let feeds = herald.ask(GetFeeds).await.unwrap_or_default();
    feeds.iter().for_each(|state| out.feed_state(state));
    let count = feeds.len();
    let shown = feeds.into_iter().map(|state| (state.name, state.connection.phase)).collect();
    let (events, received) = mpsc::channel(64);
    let lagged = *out;
    tokio::spawn(async move {
        while let Some(push) = pushes.recv().await {
            if let Push::Lagged { missed } = push {
                lagged.warning(&format!("fell behind Herald: {missed} messages not printed (they are stored)"));
                continue;
            }
            let Push::Engine { event } = push else { continue };
            if events.send(event).await.is_err() {
                return;
            }
        }
    });
    print(out, count, shown, received).await
}

/// Prints what the engine says until Ctrl-C, or until every feed has
/// stopped for good, or the engine is gone. A feed's state is printed when
/// its phase changes (`shown` holds the last one printed): an open feed
/// whose health changed, say when it learned the server's keepalive, is
/// still the same connection.
async fn print(
    out: &Output,
    count: usize,
    mut shown: BTreeMap<String, Phase>,
    mut events: mpsc::Receiver<EngineEvent>,
) -> u8 {
    if count == 0 {
        out.error("the store has no feeds: add them with `herald-cli feeds add` or `feeds import`");
        return exit::USAGE;
    }
    let mut stopped = BTreeSet::new();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(EngineEvent::State { state }) => {
                    if shown.get(&state.name) != Some(&state.connection.phase) {
                        out.feed_state(&state);
                        shown.insert(state.name.clone(), state.connection.phase.clone());
                    }
                    if matches!(state.connection.phase, Phase::Stopped { .. }) {
                        stopped.insert(state.name);
                        if stopped.len() == count {
                            return exit::FAILED; // every feed stopped for good
                        }
                    } else {
                        stopped.remove(&state.name);
                    }
                }
                Some(EngineEvent::Events { feed, events }) => {
                    for event in &events {
                        out.event(Some(&feed), event);
                    }
                }
                Some(EngineEvent::Missed { digest }) => out.missed(&digest),
                Some(EngineEvent::Problem { feed, message }) => match feed {
                    Some(feed) => out.warning(&format!("feed {feed:?}: {message}")),
                    None => out.warning(&message),
                },
                Some(EngineEvent::StoreRecovered { recovery }) => out.warning(&recovery.to_string()),
                Some(EngineEvent::Removed { feed }) => {
                    shown.remove(&feed);
                }
                Some(EngineEvent::Changes { .. }) => {}
                None => return exit::FAILED,
            },
            _ = tokio::signal::ctrl_c() => return exit::INTERRUPTED,
        }
    }
}
