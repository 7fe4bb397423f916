//! `herald-cli sync`: follows every stored feed at once, headless, keeping
//! each event in the store with its feed's cursor, until Ctrl-C.
//!
//! The engine does the following, the storing and the resyncing; this is
//! one of its sinks, printing what it is told.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use herald_core::engine::{Command, Engine, EngineConfig, EngineEvent, Reply, StoreAt};
use herald_core::secrets::OsKeyring;
use herald_core::sse::Phase;

use crate::exit;
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

pub async fn run(args: SyncArgs) -> u8 {
    let out = Output::new(args.json);
    let Some(path) = out.store_path(args.store) else { return exit::USAGE };
    let mut config = EngineConfig::new(StoreAt::Path(path), Arc::new(OsKeyring));
    // This sink prints the events themselves, and what resyncs found.
    config.changes = false;
    let (engine, mut events) = match Engine::start(config).await {
        Ok(started) => started,
        Err(e) => {
            out.error(&e.to_string());
            return exit::USAGE;
        }
    };
    let count = match engine.send(Command::Feeds).await {
        Reply::Feeds { feeds } => feeds.len(),
        _ => 0,
    };
    if count == 0 {
        out.error("the store has no feeds: add them with `herald-cli feeds add` or `feeds import`");
        return exit::USAGE;
    }
    let mut stopped = BTreeSet::new();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(EngineEvent::State { state }) => {
                    out.feed_state(&state);
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
                Some(EngineEvent::Changes { .. } | EngineEvent::Removed { .. } | EngineEvent::Unread { .. }) => {}
                None => return exit::FAILED,
            },
            _ = tokio::signal::ctrl_c() => return exit::INTERRUPTED,
        }
    }
}
