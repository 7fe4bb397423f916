//! The running Herald, when it keeps the same store as this command. Then
//! what the CLI changes goes through it: the store keeps one writer, and
//! the engine, the window and the tray hear of each change at once, where
//! a change written behind Herald's back would wait for its next start.
//! When Herald is not running, or keeps another store, the CLI opens the
//! store itself, as it always did.

use std::path::{Path, PathBuf};

use herald_core::engine::{GetDefinitions, RemoveFeed};
use herald_core::feed::Feed;
use herald_core::ipc::{self, Client, FeedInput, GetStorePath, SaveFeed};
use herald_core::store::Store;

/// Herald, if it runs on `store` and answers on its socket.
pub async fn on(store: &Path) -> Option<Client> {
    let client = Client::connect(&ipc::socket_path()).await.ok()?;
    // A Herald that cannot say (an older one, or one in memory) is not on it.
    let theirs: Option<PathBuf> = client.ask(GetStorePath).await.ok()?;
    same_file(&theirs?, store).then_some(client)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Where the feeds are kept and changed: through the running Herald, or
/// in the store itself.
pub enum Feeds {
    Herald(Client),
    Store(Store),
}

impl Feeds {
    /// Through Herald if it runs on the store at `path`, else the store itself.
    pub async fn open(path: &Path) -> Result<Feeds, String> {
        if let Some(client) = on(path).await {
            return Ok(Feeds::Herald(client));
        }
        Store::open(path).map(Feeds::Store).map_err(|e| e.to_string())
    }

    pub async fn list(&self) -> Result<Vec<Feed>, String> {
        match self {
            Feeds::Store(store) => store.feeds().map_err(|e| e.to_string()),
            Feeds::Herald(client) => client.ask(GetDefinitions).await.map_err(|e| e.to_string()),
        }
    }

    /// The feed named `name`, if there is one.
    pub async fn get(&self, name: &str) -> Result<Option<Feed>, String> {
        Ok(self.list().await?.into_iter().find(|f| f.name == name))
    }

    /// Adds these feeds, or replaces those of the same names (their history stays).
    pub async fn put(&mut self, feeds: &[Feed]) -> Result<(), String> {
        match self {
            Feeds::Store(store) => store.import_feeds(feeds).map_err(|e| e.to_string()),
            Feeds::Herald(client) => {
                for feed in feeds {
                    let save =
                        SaveFeed { feed: FeedInput::Feed(Box::new(feed.clone())), secret: None, client_key: None };
                    client.ask(save).await.map_err(|e| e.to_string())?;
                }
                Ok(())
            }
        }
    }

    /// Removes a feed with its history.
    pub async fn remove(&self, name: &str) -> Result<(), String> {
        match self {
            Feeds::Store(store) => store.remove_feed(name).map_err(|e| e.to_string()),
            Feeds::Herald(client) => client.ask(RemoveFeed { name: name.to_owned() }).await.map_err(|e| e.to_string()),
        }
    }
}
