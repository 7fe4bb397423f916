//! What a feed's state means to a person, decided once, here, from the
//! typed reasons the subscription gives ([`Failure`], [`StopReason`]): the
//! tray, the window, `herald-cli` and the notifications all read the
//! [`Health`] a feed's state carries, and none reads a reason's text to
//! decide anything. (They once did, each its own way, and a retry after a
//! 503 was "offline" in the tray and "Retrying" in the window.)

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::sse::{Failure, Phase, StopReason};

/// Where a feed stands, as people are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Condition {
    /// Connected, and hearing its server.
    Live,
    /// Connecting, for the first time or again.
    Connecting,
    /// Not followed until the user resumes it.
    Paused,
    /// Its server answered with an error (a 503, say): it is there, but
    /// failing. Herald tries again.
    Retrying,
    /// Its server cannot be reached, or the connection was lost (it broke,
    /// ended, or went silent): Herald tries again.
    Offline,
    /// The server refused its credentials, or its secret cannot be had.
    NeedsAuthentication,
    /// It signs in to an identity provider, and the user must sign in
    /// (again): the "Sign in" action does it.
    NeedsSignIn,
    /// Its events cannot be stored: the disk is full. It waits,
    /// disconnected, and resumes by itself where it stopped once there is
    /// room.
    DiskFull,
    /// The server's certificate was refused.
    CertificateRefused,
    /// The feed's own certificate cannot be presented, or its server
    /// refused it.
    IdentityRefused,
    /// It stopped because it was asked to: the server said so (204), or
    /// it was closed. No trouble.
    Ended,
    /// It stopped for good (the feed is gone, or failed in a way no retry
    /// fixes), or something besides the connection is wrong.
    Stopped,
}

impl Condition {
    /// Whether it is trouble worth telling the user about once it lasts.
    pub fn is_trouble(self) -> bool {
        matches!(
            self,
            Condition::Retrying
                | Condition::Offline
                | Condition::NeedsAuthentication
                | Condition::NeedsSignIn
                | Condition::DiskFull
                | Condition::CertificateRefused
                | Condition::IdentityRefused
                | Condition::Stopped
        )
    }

    /// Whether it needs the user to do something; retrying needs only time.
    pub fn needs_you(self) -> bool {
        matches!(
            self,
            Condition::NeedsAuthentication
                | Condition::NeedsSignIn
                | Condition::DiskFull
                | Condition::CertificateRefused
                | Condition::IdentityRefused
                | Condition::Stopped
        )
    }
}

/// What a feed waiting for room on the disk says.
pub const DISK_FULL: &str =
    "the disk is full: its events cannot be stored, and it resumes by itself once there is room";

/// A feed's condition, with the reason for people when it is in trouble.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Health {
    pub condition: Condition,
    pub reason: Option<String>,
}

impl Default for Health {
    fn default() -> Self {
        Health { condition: Condition::Connecting, reason: None }
    }
}

impl Health {
    /// The health of a feed from its pause, whether its disk is full, its
    /// problem (what is wrong besides the connection) and its connection's
    /// phase.
    pub fn of(paused: bool, disk_full: bool, problem: Option<&str>, phase: &Phase) -> Health {
        let health = |condition, reason: Option<String>| Health { condition, reason };
        if paused {
            return health(Condition::Paused, None);
        }
        if disk_full {
            return health(Condition::DiskFull, Some(DISK_FULL.to_owned()));
        }
        if let Some(problem) = problem {
            let condition = match phase {
                Phase::Stopped { reason: StopReason::NeedsSecret { .. } } => Condition::NeedsAuthentication,
                Phase::Stopped { reason: StopReason::IdentityRefused { .. } } => Condition::IdentityRefused,
                Phase::Stopped { reason: StopReason::NeedsSignIn { .. } } => Condition::NeedsSignIn,
                _ => Condition::Stopped,
            };
            return health(condition, Some(problem.to_owned()));
        }
        match phase {
            Phase::Open { .. } => health(Condition::Live, None),
            Phase::Connecting => health(Condition::Connecting, None),
            Phase::Retrying { reason, .. } => {
                let condition = match reason {
                    Failure::Status { .. } => Condition::Retrying,
                    Failure::Unreachable { .. } | Failure::Stalled { .. } | Failure::Ended { .. } => Condition::Offline,
                };
                health(condition, Some(reason.to_string()))
            }
            Phase::Stopped { reason } => {
                let condition = match reason {
                    StopReason::NoContent | StopReason::Closed => return health(Condition::Ended, None),
                    StopReason::NeedsAuthentication { .. } | StopReason::NeedsSecret { .. } => {
                        Condition::NeedsAuthentication
                    }
                    StopReason::CertificateRefused { .. } => Condition::CertificateRefused,
                    StopReason::IdentityRefused { .. } => Condition::IdentityRefused,
                    StopReason::NeedsSignIn { .. } => Condition::NeedsSignIn,
                    StopReason::Gone { .. } | StopReason::Failed { .. } => Condition::Stopped,
                };
                health(condition, Some(reason.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FeedState;

    fn state(phase: Phase) -> FeedState {
        crate::attention::tests::state("tasks", phase)
    }

    fn condition(phase: Phase) -> Condition {
        state(phase).health_now().condition
    }

    #[test]
    fn each_reason_has_one_condition() {
        let retrying = |reason| Phase::Retrying { attempt: 1, at: 0, reason };
        let stopped = |reason| Phase::Stopped { reason };
        assert_eq!(condition(retrying(Failure::Status { status: 503 })), Condition::Retrying, "a 503 is no outage");
        assert_eq!(condition(retrying(Failure::Unreachable { detail: "refused".into() })), Condition::Offline);
        assert_eq!(condition(retrying(Failure::Stalled { silent_ms: 90_000 })), Condition::Offline);
        assert_eq!(condition(retrying(Failure::Ended { detail: "reset".into() })), Condition::Offline);
        assert_eq!(condition(stopped(StopReason::NeedsAuthentication { status: 401 })), Condition::NeedsAuthentication);
        assert_eq!(condition(stopped(StopReason::NeedsSecret { message: "x".into() })), Condition::NeedsAuthentication);
        let refused = StopReason::CertificateRefused { message: "UnknownIssuer".into() };
        assert_eq!(condition(stopped(refused)), Condition::CertificateRefused);
        let expired = StopReason::IdentityRefused { message: "the client certificate CN=ana expired".into() };
        assert_eq!(condition(stopped(expired.clone())), Condition::IdentityRefused);
        assert!(Condition::IdentityRefused.needs_you(), "no retry fixes it");
        let mut set_up = state(stopped(expired));
        set_up.problem = Some("the client certificate CN=ana expired".into());
        assert_eq!(set_up.health_now().condition, Condition::IdentityRefused, "refused while the feed was set up");
        assert_eq!(condition(stopped(StopReason::Gone { status: 410 })), Condition::Stopped);
        assert_eq!(condition(stopped(StopReason::NoContent)), Condition::Ended);
        assert_eq!(condition(Phase::Open { since: 0 }), Condition::Live);
    }

    #[test]
    fn the_reason_is_the_sentence_and_pause_and_problems_come_first() {
        let phase = Phase::Retrying { attempt: 1, at: 0, reason: Failure::Status { status: 503 } };
        assert_eq!(state(phase.clone()).health_now().reason.as_deref(), Some("the server answered 503"));
        let mut paused = state(phase.clone());
        paused.paused = true;
        assert_eq!(paused.health_now(), Health { condition: Condition::Paused, reason: None });
        let mut broken = state(Phase::Open { since: 0 });
        broken.problem = Some("storing its events failed".into());
        let health = broken.health_now();
        assert_eq!(
            (health.condition, health.reason.as_deref()),
            (Condition::Stopped, Some("storing its events failed"))
        );
        assert!(Condition::Retrying.is_trouble() && !Condition::Retrying.needs_you());
        assert!(!Condition::Ended.is_trouble());
    }
}
