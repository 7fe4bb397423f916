//! What a feed's state means for the user, and when its trouble is worth a
//! notification: a feed that stays offline, or needs a password or a
//! certificate, longer than a threshold says so once, with what to do, and
//! once more when it is back. A feed that went quiet never looks the same as
//! one with nothing to say.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::alert::{Alert, AlertKind, Target, Urgency};
use super::Sound;
use crate::engine::{Condition, FeedState, Health};
use crate::markup::escape_markup;
use crate::sse::{EpochMs, Phase};

/// The trouble a feed is in, with its reason; `None` when it is live,
/// connecting, paused, or stopped because it was asked to. The engine
/// decided it (see [`Health`]); this only reads it.
pub fn trouble(state: &FeedState) -> Option<(Condition, String)> {
    let Health { condition, reason } = &state.health;
    condition.is_trouble().then(|| (*condition, reason.clone().unwrap_or_default()))
}

/// What to do about it, in a sentence.
fn advice(trouble: Condition) -> &'static str {
    match trouble {
        Condition::Offline => "Herald keeps trying. Check the server and your network.",
        Condition::Retrying => "Herald keeps trying. The server may be down or overloaded.",
        Condition::NeedsAuthentication => "Give Herald a valid token or password in the feed's settings.",
        Condition::NeedsSignIn => "Sign in again: Sign in, here, in the tray's menu or on the feed's page.",
        Condition::CertificateRefused => "Open the feed's settings, check the certificate's fingerprint and trust it.",
        Condition::IdentityRefused => "Give the feed the client certificate its server expects, in its settings.",
        _ => "Open the feed's health in Herald for what to do.",
    }
}

fn headline(trouble: Condition, source: &str) -> String {
    match trouble {
        Condition::Offline => format!("{source} is offline"),
        Condition::Retrying => format!("{source} keeps failing"),
        Condition::NeedsAuthentication => format!("{source} needs you to sign in again"),
        Condition::NeedsSignIn => format!("{source} needs you to sign in"),
        Condition::CertificateRefused => format!("{source}: its certificate was refused"),
        Condition::IdentityRefused => format!("{source}: your client certificate was refused"),
        _ => format!("{source} has stopped"),
    }
}

/// How long trouble lasts before it is told: the feed's threshold, but a
/// sign-in is asked for at once, since nothing but the user can do it.
fn patience(trouble: Condition, after: EpochMs) -> EpochMs {
    if trouble == Condition::NeedsSignIn {
        0
    } else {
        after
    }
}

#[derive(Debug)]
struct Watch {
    trouble: Condition,
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
                    kind: AlertKind::Online,
                    extras: Default::default(),
                    event_id: None,
                    sound: Sound::Desktop,
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
            if watch.told || now < watch.since + patience(watch.trouble, after(feed)) {
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
                    kind: if watch.trouble == Condition::NeedsSignIn { AlertKind::SignIn } else { AlertKind::Offline },
                    extras: Default::default(),
                    event_id: None,
                    sound: Sound::Desktop,
                },
            ));
        }
        due
    }

    /// When the next feed's trouble comes due.
    pub fn next_due(&self, after: &dyn Fn(&str) -> EpochMs) -> Option<EpochMs> {
        self.feeds.iter().filter(|(_, w)| !w.told).map(|(feed, w)| w.since + patience(w.trouble, after(feed))).min()
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
