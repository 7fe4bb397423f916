//! What deserves the user's attention, and when: the decisions behind every
//! notification, made here so they are tested without a desktop, on an
//! injected clock.
//!
//! [`Attention`] takes what the engine publishes (changes, digests, feed
//! states) and the user's quiet settings, and says which notifications to
//! show, each in a [`Slot`] that a later one may replace in place. The
//! tray process only shows them ([`Notifier`]) and calls [`Attention::tick`]
//! when [`Attention::next_wake`] says.
//!
//! - [`alert`]: how a notification reads, escaped for servers that read markup
//!   ([`crate::markup`]);
//! - [`coalesce`]: many changes, few notifications;
//! - [`quiet`]: do not disturb, quiet hours and mutes;
//! - [`sound`]: the sounds the user chose, per priority and per feed;
//! - [`health`]: a feed in trouble says so once, and once more when back;
//! - [`click`]: which notification a click is about;
//! - [`tray`]: what the tray says of every feed;
//! - [`driver`]: the task that keeps it, on an injected clock.
//!
//! While quiet, changes go to the timeline only, and are told in one
//! digest when the quiet ends. So it is for a short while after a wake
//! from sleep ([`Attention::woke`]), while the feeds replay what they hold:
//! one "While you were away" instead of a flood of old news. Urgent
//! changes (an urgent rule, or ntfy's priorities 4 and 5) break through.

mod alert;
mod click;
mod coalesce;
pub mod driver;
mod health;
pub mod link;
mod quiet;
mod sound;
pub mod tray;

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

pub use crate::markup::escape_markup;
pub use alert::{
    alert_for, away_alert, deserves_alert, digest_alert, urgency_of, Alert, AlertKind, Notifier, NotifyError, Target,
    Urgency,
};
pub use click::{ClickRouter, Routed};
pub use health::trouble;
pub use quiet::{next_at, DesktopQuiet, DoNotDisturb, DoNotDisturbFor, Hush, Quiet, QuietHours};
pub use sound::{NotASoundName, PrioritySounds, Sound, SoundName, Sounds};

use crate::engine::FeedState;
use crate::feed::{Action, Change, Coalesce, Digest};
use crate::sse::EpochMs;
use crate::store::StoreRecovery;
use coalesce::Coalescer;
use health::HealthWatch;

/// One notification on screen: an alert shown in a slot already used
/// replaces the one there.
pub type Slot = u64;

/// How long after a wake from sleep changes are held for one digest: the
/// feeds reconnect and replay what they missed within it.
pub const WAKE_SETTLE_MS: EpochMs = 15_000;

/// Summaries a digest of held changes names; the rest are counted.
const HELD_LINES: usize = 5;

/// Changes held back while quiet, for the digest when it ends.
#[derive(Debug, Default)]
struct Held {
    /// How many, by feed.
    counts: BTreeMap<String, usize>,
    lines: Vec<String>,
    since: Option<EpochMs>,
}

impl Held {
    /// Holds `change`, heard at `now`. The digest's timeline starts at the
    /// change's own time when that is earlier (it was stored before it was
    /// held, and the store keeps when it arrived).
    fn add(&mut self, change: &Change, now: EpochMs) {
        *self.counts.entry(change.feed.clone()).or_default() += 1;
        if self.lines.len() < HELD_LINES {
            self.lines.push(change.summary.clone());
        }
        let at = change.at.min(now);
        self.since = Some(self.since.map_or(at, |since| since.min(at)));
    }
}

/// The user's attention, kept: see the module's documentation.
pub struct Attention {
    tz: TimeZone,
    quiet: Quiet,
    sounds: Sounds,
    /// Each feed's coalescing, and its name for people.
    feeds: BTreeMap<String, (Coalesce, String)>,
    coalescer: Coalescer,
    health: HealthWatch,
    /// The slot of each feed's health notice, so "back" replaces "offline".
    health_slots: BTreeMap<String, Slot>,
    held: Held,
    next_slot: Slot,
    /// Catching up after a wake from sleep, until then.
    waking: Option<EpochMs>,
    /// Slots to take off the screen: messages their sender withdrew.
    closing: Vec<Slot>,
    /// The desktop's own do not disturb, while it is on.
    desktop: Option<DesktopQuiet>,
}

/// What to show: each alert in its slot.
pub type Shows = Vec<(Slot, Alert)>;

impl Attention {
    /// `tz` is the user's time zone, for quiet hours.
    pub fn new(tz: TimeZone, quiet: Quiet) -> Attention {
        Attention {
            tz,
            quiet,
            sounds: Sounds::default(),
            feeds: BTreeMap::new(),
            coalescer: Coalescer::default(),
            health: HealthWatch::default(),
            health_slots: BTreeMap::new(),
            held: Held::default(),
            waking: None,
            closing: Vec::new(),
            desktop: None,
            next_slot: 1,
        }
    }

    pub fn quiet(&self) -> &Quiet {
        &self.quiet
    }

    /// How many changes are held for the digest when the quiet ends.
    pub fn held(&self) -> usize {
        self.held.counts.values().sum()
    }

    /// Whether `feed` is held back at `now`, and why.
    pub fn hush(&self, feed: &str, now: EpochMs) -> Option<Hush> {
        self.quiet
            .hush(feed, now, &self.tz)
            .or(self.desktop.map(Hush::Desktop))
            .or_else(|| self.waking.filter(|&until| now < until).map(|_| Hush::Waking))
    }

    /// Whether everything is held at `now`: do not disturb, Herald's or the
    /// desktop's, or quiet hours.
    fn hushes_all(&self, now: EpochMs) -> bool {
        self.desktop.is_some() || self.quiet.hushes_all(now, &self.tz)
    }

    /// The desktop's do not disturb turned on or off; if that ends a quiet,
    /// what it held is told at once.
    pub fn set_desktop(&mut self, desktop: Option<DesktopQuiet>, now: EpochMs) -> Shows {
        self.desktop = desktop;
        self.tick(now)
    }

    /// The desktop's do not disturb, while it is on.
    pub fn desktop(&self) -> Option<DesktopQuiet> {
        self.desktop
    }

    /// Herald woke from sleep at `now`: for [`WAKE_SETTLE_MS`], changes are
    /// held, and then told in one digest.
    pub fn woke(&mut self, now: EpochMs) -> Shows {
        self.waking = Some(now + WAKE_SETTLE_MS);
        self.tick(now)
    }

    /// Sets do not disturb, quiet hours and mutes; if that ends a quiet,
    /// what it held is told at once.
    pub fn set_quiet(&mut self, quiet: Quiet, now: EpochMs) -> Shows {
        self.quiet = quiet;
        self.tick(now)
    }

    /// Sets the sounds notifications make from now on.
    pub fn set_sounds(&mut self, sounds: Sounds) {
        self.sounds = sounds;
    }

    pub fn sounds(&self) -> &Sounds {
        &self.sounds
    }

    /// Mutes `feed` until `until` (the notification's "Mute 1 h").
    pub fn mute(&mut self, feed: &str, until: EpochMs) {
        self.quiet.mutes.insert(feed.to_owned(), until);
    }

    fn slot(&mut self) -> Slot {
        let slot = self.next_slot;
        self.next_slot += 1;
        slot
    }

    fn source(&self, feed: &str) -> String {
        self.feeds.get(feed).map_or_else(|| feed.to_owned(), |(_, source)| source.clone())
    }

    fn rules(&self, feed: &str) -> Coalesce {
        self.feeds.get(feed).map(|(rules, _)| *rules).unwrap_or_default()
    }

    /// A feed's new state: its settings, its name, and its health.
    pub fn state(&mut self, state: &FeedState, now: EpochMs) -> Shows {
        self.feeds.insert(state.name.clone(), (state.coalesce, state.source()));
        let back = self.health.state(state, &state.source(), now, &self.tz);
        let mut shows = Vec::new();
        if let Some((key, alert)) = back {
            let slot = self.health_slots.remove(&key).unwrap_or_else(|| self.slot());
            if !self.hushes_all(now) {
                shows.push((slot, alert));
            }
        }
        shows.extend(self.tick(now));
        shows
    }

    /// Forgets a removed feed.
    pub fn removed(&mut self, feed: &str) {
        self.feeds.remove(feed);
        self.coalescer.forget(feed);
        self.health.forget(feed);
        self.health_slots.remove(feed);
        self.sounds.feeds.remove(feed);
    }

    /// New changes, as they arrived.
    pub fn changes(&mut self, changes: &[Change], now: EpochMs) -> Shows {
        for change in changes {
            if let (Action::Withdrawn | Action::Cleared, Some(sequence)) = (change.action, &change.extras.sequence) {
                if let Some(slot) = self.coalescer.withdraw(&change.feed, sequence) {
                    self.closing.push(slot);
                }
                continue;
            }
            if !deserves_alert(change) {
                continue;
            }
            let urgent = urgency_of(change) == Urgency::Critical;
            if !urgent && self.hush(&change.feed, now).is_some() {
                self.held.add(change, now);
                continue;
            }
            let rules = self.rules(&change.feed);
            self.coalescer.add(change, &rules, now, &mut self.next_slot);
        }
        self.tick(now)
    }

    /// The slots to take off the screen since the last call.
    pub fn take_closed(&mut self) -> Vec<Slot> {
        std::mem::take(&mut self.closing)
    }

    /// Whether an alert shows while its feed, or everything, is hushed: it
    /// broke through, and makes no sound.
    pub fn hushed(&self, alert: &Alert, now: EpochMs) -> bool {
        match &alert.feed {
            Some(feed) => self.hush(feed, now).is_some(),
            None => self.hushes_all(now),
        }
    }

    /// What an alert shown at `now` sounds like: nothing if it broke
    /// through a quiet, else the sound chosen for its feed and priority.
    pub fn sound(&self, alert: &Alert, now: EpochMs) -> Sound {
        if self.hushed(alert, now) {
            return Sound::Silent;
        }
        match self.sounds.of(alert.feed.as_deref(), alert.urgency) {
            Some(name) => Sound::Named(name.clone()),
            None => Sound::Desktop,
        }
    }

    /// What a resync found missed: one digest, or, while quiet, held with
    /// the rest, except what is urgent, which breaks through in a digest of
    /// its own.
    /// The store was damaged and started afresh: told once, unless
    /// everything is hushed (the window and the log say it as well).
    pub fn store_recovered(&mut self, recovery: &StoreRecovery, now: EpochMs) -> Shows {
        if self.hushes_all(now) {
            return Vec::new();
        }
        vec![(self.slot(), alert::recovery_alert(recovery))]
    }

    pub fn missed(&mut self, digest: &Digest, now: EpochMs) -> Shows {
        let mut shows = Vec::new();
        let told = if self.hush(&digest.feed, now).is_some() {
            let (urgent, held): (Vec<&Change>, Vec<&Change>) =
                digest.changes.iter().partition(|c| urgency_of(c) == Urgency::Critical);
            for change in held {
                self.held.add(change, now);
            }
            Digest::new(&digest.feed, urgent.into_iter().cloned().collect())
        } else {
            digest.clone()
        };
        shows.extend(self.tick(now));
        if let Some(alert) = digest_alert(&told, &self.source(&digest.feed)) {
            shows.push((self.slot(), alert));
        }
        shows
    }

    /// Everything due by `now`: the digest of a quiet that ended, feeds in
    /// trouble past their threshold, and coalesced notifications.
    pub fn tick(&mut self, now: EpochMs) -> Shows {
        self.quiet.expire(now);
        self.waking = self.waking.filter(|&until| until > now);
        let mut shows = Vec::new();
        // What was held for feeds no longer hushed, in one digest.
        let released: Vec<(String, usize)> = self
            .held
            .counts
            .iter()
            .filter(|(feed, _)| self.hush(feed, now).is_none())
            .map(|(feed, count)| (feed.clone(), *count))
            .collect();
        if !released.is_empty() {
            let named: Vec<(String, String, usize)> =
                released.iter().map(|(feed, n)| (feed.clone(), self.source(feed), *n)).collect();
            let since = self.held.since.unwrap_or(now);
            if let Some(alert) = away_alert(&named, &self.held.lines, since) {
                shows.push((self.slot(), alert));
            }
            for (feed, _) in &released {
                self.held.counts.remove(feed);
            }
            if self.held.counts.is_empty() {
                self.held = Held::default();
            }
        }
        if !self.hushes_all(now) {
            let feeds = &self.feeds;
            let after = |feed: &str| secs(feeds.get(feed).map(|(r, _)| *r).unwrap_or_default().offline_after_secs);
            let source = |feed: &str| feeds.get(feed).map_or_else(|| feed.to_owned(), |(_, s)| s.clone());
            for (feed, alert) in self.health.due(now, &self.tz, &after, &source) {
                let slot = match self.health_slots.get(&feed) {
                    Some(&slot) => slot,
                    None => {
                        let slot = self.slot();
                        self.health_slots.insert(feed, slot);
                        slot
                    }
                };
                shows.push((slot, alert));
            }
        }
        let feeds = &self.feeds;
        let source = |feed: &str| feeds.get(feed).map_or_else(|| feed.to_owned(), |(_, s)| s.clone());
        shows.extend(self.coalescer.flush(now, &source));
        shows
    }

    /// When [`tick`](Self::tick) next has something to do, if ever.
    pub fn next_wake(&self, now: EpochMs) -> Option<EpochMs> {
        let feeds = &self.feeds;
        let after = |feed: &str| secs(feeds.get(feed).map(|(r, _)| *r).unwrap_or_default().offline_after_secs);
        let waking = self.waking.filter(|&until| until > now);
        let turn = [self.quiet.next_turn(now, &self.tz), waking].into_iter().flatten().min();
        let held = if self.held.counts.is_empty() { None } else { turn };
        // While everything is hushed, trouble waits for the quiet to end.
        let trouble = if self.hushes_all(now) { turn } else { self.health.next_due(&after) };
        [self.coalescer.next_due(), trouble, held].into_iter().flatten().min()
    }
}

/// Seconds of a setting, in the milliseconds instants are kept in.
fn secs(s: u64) -> EpochMs {
    EpochMs::try_from(s.saturating_mul(1000)).unwrap_or(EpochMs::MAX)
}

#[cfg(test)]
pub(crate) mod tests;
