//! Follows one feed with the engine and prints what changed, as people read it.
//!
//! ```sh
//! cargo run -p herald-core --example follow -- http://127.0.0.1:7878/tasks/subscribe herald-hub
//! cargo run -p herald-core --example follow -- https://ntfy.sh/mytopic/sse ntfy
//! ```
//!
//! Nothing is kept: the store lives in memory, and a feed with auth would
//! take its secret from the OS keyring.

use std::sync::Arc;

use herald_core::engine::{Engine, EngineConfig, EngineEvent, StoreAt};
use herald_core::feed::{Feed, Preset};
use herald_core::secrets::OsKeyring;
use herald_core::store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: follow URL [PRESET]")?;
    let preset: Preset = match args.next() {
        Some(name) => serde_json::from_value(serde_json::Value::String(name))?,
        None => Preset::Generic,
    };
    let mut store = Store::in_memory()?;
    store.import_feeds(&[Feed::new("example", url).with_preset(preset)])?;
    let (_engine, mut events) = Engine::start(EngineConfig::new(StoreAt::Open(store), Arc::new(OsKeyring))).await?;
    while let Some(event) = events.recv().await {
        match event {
            EngineEvent::State { state } => println!("-- {:?}", state.connection.phase),
            EngineEvent::Changes { changes } => changes.iter().for_each(|c| println!("{}", c.summary)),
            EngineEvent::Missed { digest } => println!("-- {}", digest.sentence()),
            EngineEvent::Problem { message, .. } => eprintln!("warning: {message}"),
            EngineEvent::StoreRecovered { recovery } => eprintln!("warning: {recovery}"),
            EngineEvent::Events { .. } | EngineEvent::Removed { .. } => {}
        }
    }
    Ok(())
}
