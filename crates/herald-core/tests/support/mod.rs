//! The sink's side of a running engine, shared by the tests that read
//! only the engine's messages, as every sink does.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use herald_core::engine::{Engine, EngineConfig, EngineEvent, FeedState, StoreAt};
use herald_core::feed::{Change, Digest, Feed};
use herald_core::secrets::MemorySecrets;
use herald_core::sse::{Event, Phase};
use herald_core::store::Store;
use tokio::sync::mpsc;

/// How long the engine may take to say the next thing.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The sink's side of a running engine.
pub struct Sink {
    pub engine: Engine,
    pub events: mpsc::Receiver<EngineEvent>,
}

impl Sink {
    pub async fn start(store: StoreAt, feeds: &[Feed], secrets: MemorySecrets) -> Sink {
        let store = match store {
            StoreAt::Path(path) => Store::open(&path).unwrap(),
            StoreAt::Memory => Store::in_memory().unwrap(),
            StoreAt::Open(store) => store,
        };
        let mut store = store;
        store.import_feeds(feeds).unwrap();
        let (engine, events) = Engine::start(EngineConfig::new(StoreAt::Open(store), Arc::new(secrets))).await.unwrap();
        Sink { engine, events }
    }

    pub async fn next(&mut self) -> EngineEvent {
        tokio::time::timeout(DEADLINE, self.events.recv()).await.expect("the engine speaks in time").expect("running")
    }

    /// Events up to the first that `pick` takes, and what it took.
    pub async fn until<T>(&mut self, mut pick: impl FnMut(&EngineEvent) -> Option<T>) -> (Vec<EngineEvent>, T) {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            if let Some(found) = pick(&event) {
                return (seen, found);
            }
            seen.push(event);
        }
    }

    pub async fn state(&mut self, want: impl Fn(&FeedState) -> bool) -> FeedState {
        self.until(|e| match e {
            EngineEvent::State { state } if want(state) => Some((**state).clone()),
            _ => None,
        })
        .await
        .1
    }

    pub async fn open(&mut self) -> FeedState {
        self.state(|s| matches!(s.connection.phase, Phase::Open { .. })).await
    }

    pub async fn changes(&mut self) -> Vec<Change> {
        self.until(|e| match e {
            EngineEvent::Changes { changes } => Some(changes.clone()),
            _ => None,
        })
        .await
        .1
    }

    pub async fn digest(&mut self) -> (Vec<EngineEvent>, Digest) {
        self.until(|e| match e {
            EngineEvent::Missed { digest } => Some(digest.clone()),
            _ => None,
        })
        .await
    }
}

impl Sink {
    /// The next events told, of any feed.
    pub async fn events(&mut self) -> Vec<Event> {
        self.until(|e| match e {
            EngineEvent::Events { events, .. } => Some(events.clone()),
            _ => None,
        })
        .await
        .1
    }
}
