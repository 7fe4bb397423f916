//! The running Herald, when it keeps the same store as this command. Then
//! what the CLI changes goes through it: the store keeps one writer, and
//! the engine, the window and the tray hear of each change at once, where
//! a change written behind Herald's back would wait for its next start.
//! When Herald is not running, or keeps another store, the CLI opens the
//! store itself, as it always did.

use std::path::{Path, PathBuf};

use herald_core::engine::{Command, Reply};
use herald_core::feed::Feed;
use herald_core::ipc::{self, Client, Request};
use herald_core::store::Store;

/// Herald, if it runs on `store` and answers on its socket.
pub async fn on(store: &Path) -> Option<Client> {
    let client = Client::connect(&ipc::socket_path()).await.ok()?;
    // A Herald that cannot say (an older one, or one in memory) is not on it.
    let theirs: Option<PathBuf> = client.call_as(Request::Store).await.ok()?;
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
            Feeds::Herald(client) => match client.send(Command::Definitions).await {
                Reply::Definitions { feeds } => Ok(feeds),
                Reply::Error { message } => Err(message),
                other => Err(format!("Herald answered {other:?}")),
            },
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
                    let add = Command::AddFeed { feed: Box::new(feed.clone()) };
                    client.call(Request::Engine { command: add }).await.map_err(|e| e.message)?;
                }
                Ok(())
            }
        }
    }

    /// Removes a feed with its history.
    pub async fn remove(&self, name: &str) -> Result<(), String> {
        match self {
            Feeds::Store(store) => store.remove_feed(name).map_err(|e| e.to_string()),
            Feeds::Herald(client) => {
                client.call(Request::RemoveFeed { name: name.to_owned() }).await.map(drop).map_err(|e| e.message)
            }
        }
    }
}
