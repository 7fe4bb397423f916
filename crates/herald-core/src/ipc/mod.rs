//! Herald's local socket: how the window and `herald-cli` talk to the one
//! Herald that runs the engine, so there is always one writer.
//!
//! The protocol is one JSON message per line, both ways. A client sends
//! [`Call`]s, each with an id; the server answers each with a [`Message`]
//! of the same id, in whatever order they finish, and, once a client has
//! sent [`Request::Subscribe`], pushes what happens ([`Push`]) between the
//! answers. The requests carry the engine's own [`Command`]s, so moving the
//! engine into another process changed only the transport.
//!
//! - [`frame`]: the line framing, apart from any connection;
//! - [`server`]: binding an owner-only socket, refusing other users, and
//!   serving a [`Handler`];
//! - [`client`]: one connection, its calls and its pushes.
//!
//! On Linux the socket is `$XDG_RUNTIME_DIR/herald/herald.sock`, in a
//! folder only its owner may enter; a peer of another uid is refused even
//! so. (Windows would use a named pipe; that transport is not written yet.)

pub mod client;
pub mod frame;
pub mod server;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attention::{DoNotDisturbFor, Quiet, Target};
use crate::engine::{Command, EngineEvent};
use crate::feed::{FeedForm, FieldError};

pub use client::Client;
pub use server::{bind, serve, Handler};

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

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Request {
    /// One of the engine's commands; the answer is its `Reply`.
    Engine {
        command: Command,
    },
    /// Push what happens to this client from now on. A window is counted
    /// as open while it stays subscribed, and is spared the raw events.
    Subscribe {
        #[serde(default)]
        window: bool,
    },
    /// The form of a feed that exists, to edit it.
    FeedForm {
        name: String,
    },
    /// The first problem of a form, field by field.
    ValidateFeed {
        form: FeedForm,
    },
    /// Tries a feed as the form has it, with a typed secret not yet kept.
    ProbeFeed {
        form: FeedForm,
        secret: Option<String>,
    },
    /// Trusts the certificate a probe was refused, by its fingerprint.
    TrustCertificate {
        fingerprint: String,
    },
    /// Adds or replaces a feed; its secret goes to the keyring first.
    SaveFeed {
        form: FeedForm,
        secret: Option<String>,
    },
    /// Stops following a feed and deletes it with its history.
    RemoveFeed {
        name: String,
    },
    /// Imports a feeds file: all of it, or nothing.
    ImportFeeds {
        path: PathBuf,
    },
    /// Exports every feed to a file (secrets only by their entries' names).
    ExportFeeds {
        path: PathBuf,
    },
    /// The quiet settings in force.
    Quiet,
    SetQuiet {
        quiet: Quiet,
    },
    /// Do not disturb for a span from now, or off.
    DoNotDisturb {
        span: Option<DoNotDisturbFor>,
    },
    /// Shows a test notification at once.
    TestNotification,
    /// Herald's own status.
    Status,
    /// The store Herald keeps (`null` for one in memory), so that
    /// `herald-cli` knows whether its changes must go through Herald.
    Store,
    /// Whether Herald starts at login.
    Autostart,
    /// Starts Herald at login, or stops doing so; answers the new setting.
    SetAutostart {
        on: bool,
    },
    /// What a notification click asked the window to show, once.
    TakeFocus,
    /// Opens the window, on a target if one is given.
    OpenWindow {
        target: Option<Target>,
    },
}

/// Herald's own status, beside its feeds'.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Why notifications cannot be shown, when they can't.
    pub notifications_error: Option<String>,
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
pub struct Call {
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

/// How a call went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Ok(Value),
    Error(FieldError),
}

impl Outcome {
    pub fn into_result(self) -> Result<Value, FieldError> {
        match self {
            Outcome::Ok(value) => Ok(value),
            Outcome::Error(error) => Err(error),
        }
    }
}

impl From<Result<Value, FieldError>> for Outcome {
    fn from(result: Result<Value, FieldError>) -> Outcome {
        match result {
            Ok(value) => Outcome::Ok(value),
            Err(error) => Outcome::Error(error),
        }
    }
}

/// An error about the whole request, not one field of a form.
pub fn failure(message: impl Into<String>) -> FieldError {
    FieldError { field: String::new(), message: message.into() }
}

#[cfg(test)]
mod tests;
