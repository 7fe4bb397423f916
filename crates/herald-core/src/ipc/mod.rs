//! Herald's local socket: how the window and `herald-cli` talk to the one
//! Herald that runs the engine, so there is always one writer.
//!
//! The protocol is one JSON message per line, both ways. A client sends
//! [`Numbered`] requests; the server answers each with a [`Message`] of the
//! same id, in whatever order they finish, and, once a client has sent
//! [`Subscribe`], pushes what happens ([`Push`]) between the answers.
//! Every request is a type that names its answer (`crate::call`): the
//! engine's own calls as they are, and the tray process's ([`calls`]), so a
//! client asks Herald just as a sink asks its own engine.
//!
//! - [`frame`]: the line framing, apart from any connection;
//! - [`calls`]: the tray process's requests, and [`request`]: every
//!   request as one enum, and the [`Handler`] that serves them;
//! - [`server`]: binding an owner-only socket, refusing other users, and
//!   serving a [`Handler`];
//! - [`client`]: one connection, its calls and its pushes.
//!
//! On Linux the socket is `$XDG_RUNTIME_DIR/herald/herald.sock`, in a
//! folder only its owner may enter; a peer of another uid is refused even
//! so. (Windows would use a named pipe; that transport is not written yet.)

pub mod calls;
pub mod client;
pub mod frame;
pub mod request;
pub mod server;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::attention::{DesktopQuiet, Target};
use crate::engine::EngineEvent;
use crate::error::Error;
use crate::store::StoreRecovery;

pub use calls::*;
pub use client::Client;
pub use request::{dispatch, Handler, Request};
pub use server::{bind, serve};

/// Where Herald's socket is: `$HERALD_SOCKET` if set, else under
/// `$XDG_RUNTIME_DIR` (`/run/user/UID`), or, without one, in a folder of the
/// user's own under the temp dir.
pub fn socket_path() -> PathBuf {
    if let Some(path) = std::env::var_os("HERALD_SOCKET").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("herald"),
        None => std::env::temp_dir().join(format!("herald-{}", server::uid())),
    };
    dir.join("herald.sock")
}

/// Herald's own status, beside its feeds'.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Status {
    /// Why notifications cannot be shown, when they can't.
    pub notifications_error: Option<String>,
    /// The desktop's own do not disturb, which Herald keeps, while it is on.
    #[serde(default)]
    pub desktop_quiet: Option<DesktopQuiet>,
    /// The store was damaged when Herald started, and was moved aside for
    /// a new one.
    #[serde(default)]
    pub store_recovery: Option<StoreRecovery>,
}

/// What the server pushes to a subscribed client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "push", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Push {
    /// What the engine published.
    Engine { event: EngineEvent },
    /// Herald's status changed.
    Status { status: Status },
    /// Show this in the window (a notification was clicked).
    Focus { target: Target },
    /// Come to the front (Herald was opened again).
    Raise,
    /// The client fell this many pushes behind and they are gone: it should
    /// read again what it shows.
    Lagged { missed: u64 },
}

/// One request, numbered by its client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Numbered {
    pub id: u64,
    pub request: Request,
}

/// A line from the server: an answer to a call, or a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Message {
    Answer {
        id: u64,
        #[serde(flatten)]
        outcome: Outcome,
    },
    Push {
        push: Box<Push>,
    },
}

/// How a call went, on the wire: its answer as JSON (read back as the
/// call's own answer type by the client), or its error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Ok(Value),
    Error(Error),
}

#[cfg(test)]
mod tests;
