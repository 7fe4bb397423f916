//! Coalescing: many changes, few notifications.
//!
//! Each notification is a *slot*: a later alert in the same slot replaces
//! the earlier one in place (the `replaces_id` of the freedesktop spec).
//!
//! - Changes to one record within the record window share a slot.
//! - More than `burst_count` changes to one feed within the burst window
//!   become one burst ("12 changes to Tasks by Ana and Luis"), which takes
//!   over the slot of the first of them and grows while the burst lasts.
//! - A slot is updated in place at most every `update_secs`, and each update
//!   doubles the wait (to a minute at most), so a long burst settles rather
//!   than flickers; a feed opens at most one new slot per `update_secs`,
//!   and changes that come sooner wait for it, so a burst is seen before
//!   it is shown.
//!
//! Urgent changes are never held or merged: each shows at once, in its own
//! slot.
//!
//! A message of a sequence already open (ntfy 2.16's `sequence_id`)
//! replaces it in its slot, whatever the windows: it is the same message,
//! updated, not one more. A withdrawal or a clear of it closes the slot.

use std::collections::{BTreeMap, VecDeque};

use super::alert::{alert_of, urgency_of, Alert, AlertKind, Target, Urgency};
use super::{secs, Slot, Sound};
use crate::feed::{Action, Change, Coalesce};
use crate::markup::escape_markup;
use crate::sse::EpochMs;

/// The longest wait between two updates of one slot.
const LONGEST_WAIT_MS: EpochMs = 60_000;
/// Changes named in a burst's body; the rest are counted.
const BURST_LINES: usize = 4;
/// Actors named in a burst's summary; the rest are counted.
const BURST_ACTORS: usize = 2;
/// How long a message's slot is kept for an update or a withdrawal of it.
const SEQUENCE_KEEP_MS: EpochMs = 3_600_000;
/// Most message slots kept per feed for updates; the oldest goes first.
const SEQUENCES_KEPT: usize = 64;

/// One notification, shown or about to be.
#[derive(Debug)]
struct Open {
    slot: Slot,
    burst: bool,
    key: Option<String>,
    /// The message's sequence, for an update or a withdrawal of it.
    sequence: Option<String>,
    count: u32,
    actors: Vec<String>,
    lines: Vec<String>,
    latest: Change,
    last_at: EpochMs,
    shown_at: Option<EpochMs>,
    /// The wait before the next in-place update.
    wait: EpochMs,
    dirty: bool,
}

impl Open {
    fn new(slot: Slot, change: &Change, now: EpochMs, wait: EpochMs) -> Open {
        let mut open = Open {
            slot,
            burst: false,
            key: change.key.clone(),
            sequence: change.sequence().map(str::to_owned),
            count: 0,
            actors: Vec::new(),
            lines: Vec::new(),
            latest: change.clone(),
            last_at: now,
            shown_at: None,
            wait,
            dirty: true,
        };
        open.add(change, now);
        open
    }

    fn add(&mut self, change: &Change, now: EpochMs) {
        self.count += 1;
        if let Some(actor) = &change.actor {
            if !self.actors.contains(actor) {
                self.actors.push(actor.clone());
            }
        }
        if self.lines.len() < BURST_LINES {
            self.lines.push(change.summary.clone());
        }
        self.latest = Change { record: None, ..change.clone() };
        self.last_at = now;
        self.dirty = true;
    }

    /// The same message, updated: it takes the place of the one shown.
    fn replace(&mut self, change: &Change, now: EpochMs) {
        self.lines = vec![change.summary.clone()];
        self.latest = Change { record: None, ..change.clone() };
        self.last_at = now;
        self.dirty = true;
    }

    fn absorb(&mut self, other: Open) {
        self.count += other.count;
        for actor in other.actors {
            if !self.actors.contains(&actor) {
                self.actors.push(actor);
            }
        }
        let room = BURST_LINES.saturating_sub(self.lines.len());
        self.lines.extend(other.lines.into_iter().take(room));
        if other.last_at >= self.last_at {
            self.latest = other.latest;
            self.last_at = other.last_at;
        }
        self.dirty = true;
    }

    fn alert(&self, source: &str) -> Alert {
        if !self.burst {
            let mut alert = alert_of(&self.latest, source);
            if self.count > 1 {
                let earlier = self.count - 1;
                let s = if earlier == 1 { "" } else { "s" };
                alert.body = format!("{}\n{earlier} earlier change{s} to it", alert.body);
            }
            return alert;
        }
        let by = match self.actors.as_slice() {
            [] => String::new(),
            [one] => format!(" by {one}"),
            [a, b] => format!(" by {a} and {b}"),
            named => {
                let others = named.len() - BURST_ACTORS;
                let s = if others == 1 { "" } else { "s" };
                format!(" by {}, {} and {others} other{s}", named[0], named[1])
            }
        };
        let mut lines: Vec<String> = self.lines.iter().map(|l| escape_markup(l)).collect();
        if self.count as usize > lines.len() {
            lines.push(format!("and {} more", self.count as usize - lines.len()));
        }
        Alert {
            summary: format!("{} changes to {source}{by}", self.count),
            body: lines.join("\n"),
            target: Target { feed: self.latest.feed.clone(), key: None, click: None, since: None },
            urgency: Urgency::Normal,
            feed: Some(self.latest.feed.clone()),
            kind: if self.latest.action == Action::Message { AlertKind::Message } else { AlertKind::Change },
            extras: Default::default(),
            event_id: None,
            sound: Sound::Desktop,
        }
    }
}

#[derive(Debug, Default)]
struct Feed {
    /// When this feed's recent changes came, within the burst window.
    recent: VecDeque<EpochMs>,
    /// When this feed last showed a new slot.
    last_new: Option<EpochMs>,
    open: Vec<Open>,
}

/// Every feed's open notifications.
#[derive(Debug, Default)]
pub(super) struct Coalescer {
    feeds: BTreeMap<String, Feed>,
}

impl Coalescer {
    /// Takes a change that deserves a notification; a new slot takes the
    /// number `next` holds, and moves it on.
    pub fn add(&mut self, change: &Change, rules: &Coalesce, now: EpochMs, next: &mut Slot) {
        let mut slot = || {
            *next += 1;
            *next - 1
        };
        let feed = self.feeds.entry(change.feed.clone()).or_default();
        let (burst_window, record_window) = (secs(rules.burst_window_secs), secs(rules.record_window_secs));
        feed.recent.retain(|&at| at > now - burst_window);
        feed.open.retain(|o| {
            o.dirty
                || o.last_at > now - burst_window.max(record_window)
                || (o.sequence.is_some() && o.last_at > now - SEQUENCE_KEEP_MS)
        });
        while feed.open.iter().filter(|o| o.sequence.is_some()).count() > SEQUENCES_KEPT {
            let oldest = feed.open.iter().position(|o| o.sequence.is_some() && !o.dirty);
            match oldest {
                Some(at) => drop(feed.open.remove(at)),
                None => break,
            }
        }
        if let Some(sequence) = change.sequence() {
            if let Some(open) = feed.open.iter_mut().find(|o| o.sequence.as_deref() == Some(sequence)) {
                open.replace(change, now);
                return;
            }
        }
        let urgent = urgency_of(change) == Urgency::Critical;
        if !rules.enabled || urgent {
            // A slot of its own, shown at once (no wait) and joined by nothing.
            let mut open = Open::new(slot(), change, now, 0);
            open.key = None;
            feed.open.push(open);
            return;
        }
        feed.recent.push_back(now);
        let wait = secs(rules.update_secs);
        if let Some(burst) = feed.open.iter_mut().find(|o| o.burst && o.last_at > now - burst_window) {
            burst.add(change, now);
            return;
        }
        if feed.recent.len() > rules.burst_count as usize {
            // A burst: it takes over the first shown slot of the window, and
            // every slot of the window joins it.
            let (joining, rest): (Vec<Open>, Vec<Open>) =
                std::mem::take(&mut feed.open).into_iter().partition(|o| o.wait > 0 && o.last_at > now - burst_window);
            feed.open = rest;
            let mut joining = joining;
            joining.sort_by_key(|o| (o.shown_at.is_none(), o.shown_at, o.slot));
            let mut burst = match joining.is_empty() {
                true => Open::new(slot(), change, now, wait),
                false => {
                    let mut first = joining.remove(0);
                    for other in joining {
                        first.absorb(other);
                    }
                    first.add(change, now);
                    first
                }
            };
            burst.burst = true;
            burst.key = None;
            burst.sequence = None;
            feed.open.push(burst);
            return;
        }
        let same = |o: &&mut Open| !o.burst && o.wait > 0 && o.key.is_some() && o.key == change.key;
        if let Some(open) = feed.open.iter_mut().filter(|o| o.last_at > now - record_window).find(|o| same(o)) {
            open.add(change, now);
            return;
        }
        feed.open.push(Open::new(slot(), change, now, wait));
    }

    /// The alerts due by `now`: new slots at the feed's pace, and updates
    /// of shown ones once their wait is over.
    pub fn flush(&mut self, now: EpochMs, source: &dyn Fn(&str) -> String) -> Vec<(Slot, Alert)> {
        let mut due = Vec::new();
        for (name, feed) in &mut self.feeds {
            let source = source(name);
            for open in feed.open.iter_mut().filter(|o| o.dirty) {
                let ready = match open.shown_at {
                    None if open.wait == 0 => true,
                    None => match feed.last_new {
                        Some(last) if now < last + open.wait => false,
                        _ => {
                            feed.last_new = Some(now);
                            true
                        }
                    },
                    Some(shown) => {
                        let ready = now >= shown + open.wait;
                        if ready {
                            open.wait = (open.wait * 2).min(LONGEST_WAIT_MS);
                        }
                        ready
                    }
                };
                if ready {
                    open.dirty = false;
                    open.shown_at = Some(now);
                    due.push((open.slot, open.alert(&source)));
                }
            }
        }
        due
    }

    /// When the next held alert comes due, if one is held.
    pub fn next_due(&self) -> Option<EpochMs> {
        self.feeds
            .values()
            .flat_map(|feed| {
                feed.open.iter().filter(|o| o.dirty).map(move |o| match o.shown_at {
                    Some(shown) => shown + o.wait,
                    None => feed.last_new.map_or(EpochMs::MIN, |last| last + o.wait),
                })
            })
            .min()
    }

    /// Takes the message of `sequence` off the screen: its slot, when it
    /// was shown, and nothing held for it is shown.
    pub fn withdraw(&mut self, feed: &str, sequence: &str) -> Option<Slot> {
        let feed = self.feeds.get_mut(feed)?;
        let at = feed.open.iter().position(|o| o.sequence.as_deref() == Some(sequence))?;
        let open = feed.open.remove(at);
        open.shown_at.map(|_| open.slot)
    }

    /// Forgets a removed feed.
    pub fn forget(&mut self, feed: &str) {
        self.feeds.remove(feed);
    }
}
