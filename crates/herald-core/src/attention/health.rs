//! What a feed's state means for the user, and when its trouble is worth a
//! notification: a feed that stays offline, or needs a password or a
//! certificate, longer than a threshold says so once, with what to do, and
//! once more when it is back. A feed that went quiet never looks the same as
//! one with nothing to say.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::alert::{store_alert, Alert, AlertKind, Target, Urgency};
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
/// sign-in and a full disk are told at once, since nothing but the user can
/// put them right.
fn patience(trouble: Condition, after: EpochMs) -> EpochMs {
    match trouble {
        Condition::NeedsSignIn | Condition::DiskFull => 0,
        _ => after,
    }
}

/// The slot key of the one notification for every feed a full disk paused:
/// no feed is named "" (a feed's name is checked to be neither empty nor blank).
pub(super) const DISK_SLOT: &str = "";

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
    /// Takes a feed's new state; returns a "back" alert, with its slot's
    /// key, when a feed the user was told about is live again. Feeds paused
    /// by a full disk are told of together, and back together once the
    /// last of them stores again.
    pub fn state(&mut self, state: &FeedState, source: &str, now: EpochMs, tz: &TimeZone) -> Option<(String, Alert)> {
        match trouble(state) {
            Some((trouble, reason)) => {
                let watch = self.feeds.entry(state.name.clone()).or_insert(Watch {
                    trouble,
                    reason: String::new(),
                    since: now,
                    told: false,
                });
                if trouble == Condition::DiskFull && watch.trouble != trouble {
                    // A new trouble, told on its own terms.
                    (watch.since, watch.told) = (now, false);
                }
                watch.trouble = trouble;
                watch.reason = reason;
                None
            }
            // Connecting is not yet back.
            None if matches!(state.connection.phase, Phase::Connecting) && !state.paused => None,
            None => {
                let watch = self.feeds.remove(&state.name)?;
                if watch.trouble == Condition::DiskFull {
                    let others = self.feeds.values().any(|w| w.trouble == Condition::DiskFull);
                    return (watch.told && !others).then(|| (DISK_SLOT.to_owned(), room_again()));
                }
                watch
                    .told
                    .then(|| Alert {
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
                    .map(|alert| (state.name.clone(), alert))
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
        if let Some(alert) = self.disk_full_due(tz, source) {
            due.push((DISK_SLOT.to_owned(), alert));
        }
        for (feed, watch) in &mut self.feeds {
            if watch.told
                || watch.trouble == Condition::DiskFull
                || now < watch.since + patience(watch.trouble, after(feed))
            {
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

    /// One notification for every feed a full disk paused, when one is
    /// newly paused and none was told of yet; those paused later join it
    /// silently.
    fn disk_full_due(&mut self, tz: &TimeZone, source: &dyn Fn(&str) -> String) -> Option<Alert> {
        let full = |w: &Watch| w.trouble == Condition::DiskFull;
        if !self.feeds.values().any(|w| full(w) && !w.told) {
            return None;
        }
        let told_before = self.feeds.values().any(|w| full(w) && w.told);
        let mut names = Vec::new();
        let mut since = EpochMs::MAX;
        for (feed, watch) in self.feeds.iter_mut().filter(|(_, w)| full(w)) {
            watch.told = true;
            names.push(source(feed));
            since = since.min(watch.since);
        }
        if told_before {
            return None;
        }
        let paused = match names.as_slice() {
            [one] => one.clone(),
            [first, second] => format!("{first} and {second}"),
            [first, rest @ ..] => format!("{first} and {} other feeds", rest.len()),
            [] => return None,
        };
        let body = format!(
            "Since {}, Herald cannot store what arrives, and paused {paused}. Free some space on the disk: they resume by themselves where they stopped.",
            clock(since, tz)
        );
        Some(store_alert("The disk is full", &body, Urgency::Normal))
    }

    /// When the next feed's trouble comes due.
    pub fn next_due(&self, after: &dyn Fn(&str) -> EpochMs) -> Option<EpochMs> {
        self.feeds.iter().filter(|(_, w)| !w.told).map(|(feed, w)| w.since + patience(w.trouble, after(feed))).min()
    }

    pub fn forget(&mut self, feed: &str) {
        self.feeds.remove(feed);
    }
}

/// The notice, in the full disk's slot, that every feed it paused stores again.
fn room_again() -> Alert {
    let body = "Herald stores again: its feeds resumed where they stopped.";
    store_alert("There is room on the disk again", body, Urgency::Low)
}

/// "14:02": the time a trouble began, on the user's clock.
fn clock(at: EpochMs, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.to_zoned_datetime(tz.clone()).strftime("%H:%M").to_string())
        .unwrap_or_default()
}
