//! The connection state a subscription publishes.

use std::time::Duration;

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
        reason: Failure,
    },
    Stopped {
        reason: StopReason,
    },
}

/// Why an attempt failed, by kind, for every reader to tell apart without
/// reading its text; its `Display` is the sentence people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum Failure {
    /// Nothing was heard for the stall timeout: the stream was recycled.
    Stalled {
        #[ts(type = "number")]
        silent_ms: u64,
    },
    /// The server could not be reached: its name did not resolve, or the
    /// connection was refused or timed out.
    Unreachable { detail: String },
    /// The server answered a status that may pass (408, 429, 5xx).
    Status { status: u16 },
    /// The stream ended, or broke while it was read.
    Ended { detail: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Stalled { silent_ms } => write!(f, "nothing heard for {} s", silent_ms / 1000),
            Failure::Unreachable { detail } | Failure::Ended { detail } => f.write_str(detail),
            Failure::Status { status } => write!(f, "the server answered {status}"),
        }
    }
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
    /// The server's certificate was refused (the message says which, and
    /// its fingerprint, to trust it).
    CertificateRefused { message: String },
    /// The feed's own certificate (mutual TLS) cannot be presented, or the
    /// server refused it: the message says why, and the fix.
    IdentityRefused { message: String },
    /// The feed's secret could not be had: not in the keyring, or no
    /// keyring.
    NeedsSecret { message: String },
    /// The feed signs in to an identity provider, and the user must sign
    /// in (again): never signed in, signed out, or the sign-in was revoked
    /// or expired.
    NeedsSignIn { message: String },
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
    /// How long silence is borne before the stream is recycled: the feed's
    /// stall timeout, or twice the server's keepalive once that is learned.
    #[ts(type = "number")]
    pub stall_timeout_ms: u64,
    /// The longest wait for the server's keepalive seen on this feed (kept
    /// in the store, so a restart need not learn it again).
    #[ts(type = "number | null")]
    pub keepalive_ms: Option<u64>,
}

impl ConnectionState {
    /// Before anything is known of the connection.
    pub fn new(phase: Phase, stall_timeout: Duration, keepalive: Option<Duration>) -> ConnectionState {
        ConnectionState {
            phase,
            last_heard: None,
            opened: 0,
            stall_timeout_ms: millis(super::stall_timeout(stall_timeout, keepalive)),
            keepalive_ms: keepalive.map(millis),
        }
    }
}

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::NoContent => f.write_str("the server asked to stop (204)"),
            StopReason::NeedsAuthentication { status } => write!(f, "authentication needed ({status})"),
            StopReason::Gone { status } => write!(f, "the feed is gone ({status})"),
            StopReason::CertificateRefused { message }
            | StopReason::IdentityRefused { message }
            | StopReason::NeedsSecret { message }
            | StopReason::NeedsSignIn { message }
            | StopReason::Failed { message } => f.write_str(message),
            StopReason::Closed => f.write_str("closed"),
        }
    }
}
