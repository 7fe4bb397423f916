//! Keeps a feed's events in a store file and prints them as they arrive;
//! run it again and it resumes from the store's cursor, missing nothing.
//!
//! ```sh
//! cargo run -p herald-core --example tail_store -- http://127.0.0.1:7878/tasks/subscribe /tmp/herald-example.db
//! ```

use std::sync::Arc;

use herald_core::engine::{Engine, EngineConfig, EngineEvent, Follow, StoreAt};
use herald_core::feed::Feed;
use herald_core::secrets::OsKeyring;
use herald_core::store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (url, path) = match (args.next(), args.next()) {
        (Some(url), Some(path)) => (url, path),
        _ => return Err("usage: tail_store URL STORE".into()),
    };
    let mut store = Store::open(std::path::Path::new(&path))?;
    if store.feed(&url).is_err() {
        store.import_feeds(&[Feed::new(&url, &url)])?;
    }
    let id = store.feed_id(&url)?;
    println!("-- resuming after {:?}", store.cursor(id)?);
    let config = EngineConfig::new(StoreAt::Open(store), Arc::new(OsKeyring)).follow(Follow::Only(vec![url]));
    let (_engine, mut events) = Engine::start(config).await?;
    while let Some(event) = events.recv().await {
        // Events reach a sink only once they are stored with their cursor.
        if let EngineEvent::Events { events, .. } = event {
            for e in events {
                println!("{} #{}: {}", e.event, e.last_event_id, e.data);
            }
        }
    }
    Ok(())
}
