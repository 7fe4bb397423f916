//! The connection state a subscription publishes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::clock::EpochMs;

/// Where a subscription stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "phase", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum Phase {
    Connecting,
    Open {
        #[ts(type = "number")]
        since: EpochMs,
    },
    Retrying {
        attempt: u32,
        #[ts(type = "number")]
        at: EpochMs,
        reason: String,
    },
    Stopped {
        reason: StopReason,
    },
}

/// Why a subscription ended for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum StopReason {
    /// The server answered 204: it asked us to stop.
    NoContent,
    /// 401 or 403.
    NeedsAuthentication { status: u16 },
    /// 404 or 410.
    Gone { status: u16 },
    /// Any other response that retrying will not fix.
    Failed { message: String },
    /// The subscription was closed by its owner.
    Closed,
}

/// A [`Phase`] and when the last byte arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConnectionState {
    pub phase: Phase,
    #[ts(type = "number | null")]
    pub last_heard: Option<EpochMs>,
    /// How many times the stream has opened. A new value means a new
    /// connection, even when the phases in between were never seen.
    pub opened: u32,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::NoContent => f.write_str("the server asked to stop (204)"),
            StopReason::NeedsAuthentication { status } => write!(f, "authentication needed ({status})"),
            StopReason::Gone { status } => write!(f, "the feed is gone ({status})"),
            StopReason::Failed { message } => f.write_str(message),
            StopReason::Closed => f.write_str("closed"),
        }
    }
}
