//! What a feed's state means for the user, and when its trouble is worth a
//! notification: a feed that stays offline, or needs a password or a
//! certificate, longer than a threshold says so once, with what to do, and
//! once more when it is back. A feed that went quiet never looks the same as
//! one with nothing to say.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::alert::{escape_markup, Alert, Target, Urgency};
use crate::engine::FeedState;
use crate::sse::{EpochMs, Phase, StopReason};

/// The kind of trouble a feed is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trouble {
    /// It cannot reach its server, and keeps trying.
    Offline,
    /// The server refused the feed's credentials.
    NeedsAuthentication,
    /// The server's certificate was refused.
    CertificateRefused,
    /// It stopped for good, or its events cannot be read.
    Stopped,
}

fn certificate(reason: &str) -> bool {
    let lower = reason.to_ascii_lowercase();
    ["certificate", "unknownissuer", "self-signed", "self signed"].iter().any(|w| lower.contains(w))
}

/// The trouble a feed is in, with its reason; `None` when it is live,
/// connecting, paused, or stopped because the server asked it to.
pub fn trouble(state: &FeedState) -> Option<(Trouble, String)> {
    if state.paused {
        return None;
    }
    if let Some(problem) = &state.problem {
        return Some((Trouble::Stopped, problem.clone()));
    }
    match &state.connection.phase {
        Phase::Open { .. } | Phase::Connecting => None,
        Phase::Retrying { reason, .. } if certificate(reason) => Some((Trouble::CertificateRefused, reason.clone())),
        Phase::Retrying { reason, .. } => Some((Trouble::Offline, reason.clone())),
        Phase::Stopped { reason } => match reason {
            StopReason::NoContent | StopReason::Closed => None,
            StopReason::NeedsAuthentication { .. } => Some((Trouble::NeedsAuthentication, reason.to_string())),
            StopReason::Failed { message } if certificate(message) => {
                Some((Trouble::CertificateRefused, message.clone()))
            }
            _ => Some((Trouble::Stopped, reason.to_string())),
        },
    }
}

/// What to do about it, in a sentence.
fn advice(trouble: Trouble) -> &'static str {
    match trouble {
        Trouble::Offline => "Herald keeps trying. Check the server and your network.",
        Trouble::NeedsAuthentication => "Give Herald a valid token or password in the feed's settings.",
        Trouble::CertificateRefused => "Open the feed's settings, check the certificate's fingerprint and trust it.",
        Trouble::Stopped => "Open the feed's health in Herald for what to do.",
    }
}

fn headline(trouble: Trouble, source: &str) -> String {
    match trouble {
        Trouble::Offline => format!("{source} is offline"),
        Trouble::NeedsAuthentication => format!("{source} needs you to sign in again"),
        Trouble::CertificateRefused => format!("{source}: its certificate was refused"),
        Trouble::Stopped => format!("{source} has stopped"),
    }
}

#[derive(Debug)]
struct Watch {
    trouble: Trouble,
    reason: String,
    since: EpochMs,
    told: bool,
}

/// Each feed's trouble, since when, and whether the user was told.
#[derive(Debug, Default)]
pub(super) struct HealthWatch {
    feeds: BTreeMap<String, Watch>,
}

impl HealthWatch {
    /// Takes a feed's new state; returns a "back" alert when a feed the user
    /// was told about is live again.
    pub fn state(&mut self, state: &FeedState, source: &str, now: EpochMs, tz: &TimeZone) -> Option<Alert> {
        match trouble(state) {
            Some((trouble, reason)) => {
                let watch = self.feeds.entry(state.name.clone()).or_insert(Watch {
                    trouble,
                    reason: String::new(),
                    since: now,
                    told: false,
                });
                watch.trouble = trouble;
                watch.reason = reason;
                None
            }
            // Connecting is not yet back.
            None if matches!(state.connection.phase, Phase::Connecting) && !state.paused => None,
            None => {
                let watch = self.feeds.remove(&state.name)?;
                watch.told.then(|| Alert {
                    summary: format!("{source} is back"),
                    body: escape_markup(&format!("Live again; it had been out since {}.", clock(watch.since, tz))),
                    target: Target { feed: state.name.clone(), key: None, click: None, since: None },
                    urgency: Urgency::Low,
                    feed: Some(state.name.clone()),
                })
            }
        }
    }

    /// The alerts of feeds in trouble for `after` or longer by `now`, once each.
    pub fn due(
        &mut self,
        now: EpochMs,
        tz: &TimeZone,
        after: &dyn Fn(&str) -> EpochMs,
        source: &dyn Fn(&str) -> String,
    ) -> Vec<(String, Alert)> {
        let mut due = Vec::new();
        for (feed, watch) in &mut self.feeds {
            if watch.told || now < watch.since + after(feed) {
                continue;
            }
            watch.told = true;
            let body = format!("Since {}: {}\n{}", clock(watch.since, tz), watch.reason, advice(watch.trouble));
            due.push((
                feed.clone(),
                Alert {
                    summary: headline(watch.trouble, &source(feed)),
                    body: escape_markup(&body),
                    target: Target { feed: feed.clone(), key: None, click: None, since: None },
                    urgency: Urgency::Normal,
                    feed: Some(feed.clone()),
                },
            ));
        }
        due
    }

    /// When the next feed's trouble comes due.
    pub fn next_due(&self, after: &dyn Fn(&str) -> EpochMs) -> Option<EpochMs> {
        self.feeds.iter().filter(|(_, w)| !w.told).map(|(feed, w)| w.since + after(feed)).min()
    }

    pub fn forget(&mut self, feed: &str) {
        self.feeds.remove(feed);
    }
}

/// "14:02": the time a trouble began, on the user's clock.
fn clock(at: EpochMs, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.to_zoned_datetime(tz.clone()).strftime("%H:%M").to_string())
        .unwrap_or_default()
}
