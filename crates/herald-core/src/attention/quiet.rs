//! When Herald keeps quiet: do not disturb, a daily schedule of quiet
//! hours, and feeds muted for a while.
//!
//! Quiet hours are wall-clock times in the user's time zone, so a schedule
//! that crosses midnight or a daylight-saving change still begins and ends
//! at the times written. Instants are epoch milliseconds, like everything
//! else the engine stamps; the time zone is given, never read here, so the
//! rules are tested on any zone.

use std::collections::BTreeMap;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::sse::EpochMs;

const HOUR_MS: EpochMs = 3_600_000;

/// Do not disturb: until a time, or until turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum DoNotDisturb {
    #[default]
    Off,
    Until {
        #[ts(type = "number")]
        at: EpochMs,
    },
    On,
}

/// The choices the tray and the window offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum DoNotDisturbFor {
    Hour,
    /// Until 08:00, the next time the clock reads it.
    Tomorrow,
    UntilOff,
}

/// The hour "until tomorrow" ends at.
const MORNING: Time = Time::constant(8, 0, 0, 0);

impl DoNotDisturbFor {
    pub fn from(self, now: EpochMs, tz: &TimeZone) -> DoNotDisturb {
        match self {
            DoNotDisturbFor::Hour => DoNotDisturb::Until { at: now + HOUR_MS },
            DoNotDisturbFor::Tomorrow => DoNotDisturb::Until { at: next_at(MORNING, now, tz) },
            DoNotDisturbFor::UntilOff => DoNotDisturb::On,
        }
    }
}

/// A daily span of quiet, from one wall-clock time to another; `from` after
/// `to` crosses midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QuietHours {
    /// "22:00"
    #[ts(type = "string")]
    pub from: Time,
    /// "07:30"
    #[ts(type = "string")]
    pub to: Time,
}

impl QuietHours {
    /// Whether the wall clock reading `time` is within the span.
    pub fn contains(&self, time: Time) -> bool {
        if self.from <= self.to {
            self.from <= time && time < self.to
        } else {
            time >= self.from || time < self.to
        }
    }
}

/// Why a change is held back from a popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hush {
    DoNotDisturb,
    QuietHours,
    /// This feed is muted.
    Muted,
    /// Herald has just woken from sleep and is catching up: what the feeds
    /// replay is told in one digest, not popup by popup.
    Waking,
    /// The desktop's own do not disturb is on.
    Desktop(DesktopQuiet),
}

/// The desktop's own do not disturb, which Herald keeps as its own quiet:
/// changes are held for one digest, and urgent ones break through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum DesktopQuiet {
    /// GNOME's "Do Not Disturb": `org.gnome.desktop.notifications
    /// show-banners` is off.
    Gnome,
    /// The notification server says it is inhibited (KDE Plasma's "Do not
    /// disturb", its `Inhibited` property).
    Inhibited,
}

/// Everything that keeps Herald quiet, as the user set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Quiet {
    pub do_not_disturb: DoNotDisturb,
    pub hours: Option<QuietHours>,
    /// Muted feeds, each until when.
    #[ts(type = "Record<string, number>")]
    pub mutes: BTreeMap<String, EpochMs>,
}

fn zoned(at: EpochMs, tz: &TimeZone) -> ZonedDateTime {
    Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned_datetime(tz.clone())
}

/// The first instant after `now` at which the wall clock reads `time`. A
/// time that a daylight-saving change skips that day comes as late as the
/// skip makes it (02:30 becomes 03:30).
pub fn next_at(time: Time, now: EpochMs, tz: &TimeZone) -> EpochMs {
    let today = zoned(now, tz).date();
    let on = |date: jiff::civil::Date| {
        date.to_datetime(time)
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(EpochMs::MAX)
    };
    let at = on(today);
    if at > now {
        return at;
    }
    today.tomorrow().map(on).unwrap_or(EpochMs::MAX)
}

impl DoNotDisturb {
    /// Whether it is on at `now`: the one place that decides it, for the
    /// notifications, the tray's icon and tooltip, and the tray's menu.
    pub fn is_on(&self, now: EpochMs) -> bool {
        match *self {
            DoNotDisturb::On => true,
            DoNotDisturb::Until { at } => now < at,
            DoNotDisturb::Off => false,
        }
    }
}

impl Quiet {
    /// Whether `feed`'s changes are held back at `now`, and why; urgent
    /// ones break through all of it.
    pub fn hush(&self, feed: &str, now: EpochMs, tz: &TimeZone) -> Option<Hush> {
        if self.do_not_disturb.is_on(now) {
            return Some(Hush::DoNotDisturb);
        }
        if self.hours.is_some_and(|hours| hours.contains(zoned(now, tz).time())) {
            return Some(Hush::QuietHours);
        }
        self.mutes.get(feed).is_some_and(|&until| now < until).then_some(Hush::Muted)
    }

    /// Whether do not disturb or quiet hours hold everything at `now`.
    pub fn hushes_all(&self, now: EpochMs, tz: &TimeZone) -> bool {
        matches!(self.hush("", now, tz), Some(Hush::DoNotDisturb | Hush::QuietHours))
    }

    /// The next instant after `now` at which any of it may begin or end.
    pub fn next_turn(&self, now: EpochMs, tz: &TimeZone) -> Option<EpochMs> {
        let dnd = match self.do_not_disturb {
            DoNotDisturb::Until { at } if at > now => Some(at),
            _ => None,
        };
        let hours = self.hours.into_iter().flat_map(|h| [next_at(h.from, now, tz), next_at(h.to, now, tz)]);
        let mutes = self.mutes.values().copied().filter(|&until| until > now);
        dnd.into_iter().chain(hours).chain(mutes).min()
    }

    /// Forgets what has ended by `now`.
    pub fn expire(&mut self, now: EpochMs) {
        if matches!(self.do_not_disturb, DoNotDisturb::Until { at } if at <= now) {
            self.do_not_disturb = DoNotDisturb::Off;
        }
        self.mutes.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central European time, with its daylight-saving rules, as a POSIX TZ
    /// string: the same rules as Europe/Berlin, with no time zone database.
    fn berlin() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    fn at(text: &str) -> EpochMs {
        let civil: jiff::civil::DateTime = text.parse().unwrap();
        civil.to_zoned_datetime(berlin()).unwrap().timestamp().as_millisecond()
    }

    fn hours(from: &str, to: &str) -> QuietHours {
        QuietHours { from: from.parse().unwrap(), to: to.parse().unwrap() }
    }

    fn quiet_hours(from: &str, to: &str) -> Quiet {
        Quiet { hours: Some(hours(from, to)), ..Quiet::default() }
    }

    #[test]
    fn a_schedule_that_crosses_midnight_holds_on_both_sides_of_it() {
        let q = quiet_hours("22:00", "07:00");
        let tz = berlin();
        for (time, hushed) in [
            ("2026-12-04T21:59:59", false),
            ("2026-12-04T22:00:00", true),
            ("2026-12-04T23:59:59", true),
            ("2026-12-05T00:00:00", true),
            ("2026-12-05T06:59:59", true),
            ("2026-12-05T07:00:00", false),
            ("2026-12-05T12:00:00", false),
        ] {
            assert_eq!(q.hush("tasks", at(time), &tz).is_some(), hushed, "{time}");
        }
        let day = quiet_hours("12:00", "13:00");
        assert!(day.hush("tasks", at("2026-12-04T12:30:00"), &tz).is_some());
        assert!(day.hush("tasks", at("2026-12-04T13:00:00"), &tz).is_none());
        assert!(quiet_hours("09:00", "09:00").hush("t", at("2026-12-04T09:00:00"), &tz).is_none(), "an empty span");
    }

    #[test]
    fn quiet_hours_keep_the_wall_clock_across_daylight_saving_changes() {
        let tz = berlin();
        let q = quiet_hours("22:00", "07:00");
        // The night clocks go forward (29 March 2026, 02:00 -> 03:00): the
        // night is an hour shorter, and ends at 07:00 local all the same.
        let start = at("2026-03-28T22:30:00");
        let end = q.next_turn(start, &tz).unwrap();
        assert_eq!(end, at("2026-03-29T07:00:00"));
        assert_eq!(end - start, 7 * HOUR_MS + 30 * 60_000, "eight and a half hours of wall clock, one skipped");
        // The night they go back (25 October 2026): an hour longer.
        let start = at("2026-10-24T22:30:00");
        assert_eq!(q.next_turn(start, &tz).unwrap() - start, 9 * HOUR_MS + 30 * 60_000);
        // A boundary inside the skipped hour comes when the skip ends.
        let odd = quiet_hours("02:30", "06:00");
        let before = at("2026-03-29T01:00:00");
        assert_eq!(odd.next_turn(before, &tz).unwrap(), at("2026-03-29T03:30:00"));
        assert!(odd.hush("t", at("2026-03-29T03:30:00"), &tz).is_some());
    }

    #[test]
    fn do_not_disturb_lasts_as_chosen_and_then_expires() {
        let tz = berlin();
        let now = at("2026-12-04T15:00:00");
        let mut q = Quiet { do_not_disturb: DoNotDisturbFor::Hour.from(now, &tz), ..Quiet::default() };
        assert_eq!(q.hush("tasks", now + HOUR_MS - 1, &tz), Some(Hush::DoNotDisturb));
        assert_eq!(q.next_turn(now, &tz), Some(now + HOUR_MS));
        assert_eq!(q.hush("tasks", now + HOUR_MS, &tz), None);
        q.expire(now + HOUR_MS);
        assert_eq!(q.do_not_disturb, DoNotDisturb::Off);
        assert_eq!(DoNotDisturbFor::Tomorrow.from(now, &tz), DoNotDisturb::Until { at: at("2026-12-05T08:00:00") });
        assert_eq!(
            DoNotDisturbFor::Tomorrow.from(at("2026-12-05T03:00:00"), &tz),
            DoNotDisturb::Until { at: at("2026-12-05T08:00:00") },
            "after midnight, tomorrow morning is this morning"
        );
        let on = Quiet { do_not_disturb: DoNotDisturbFor::UntilOff.from(now, &tz), ..Quiet::default() };
        assert_eq!(on.hush("tasks", now + 1000 * HOUR_MS, &tz), Some(Hush::DoNotDisturb));
        assert_eq!(on.next_turn(now, &tz), None, "nothing ends it but the user");
    }

    #[test]
    fn a_mute_holds_one_feed_until_it_ends() {
        let tz = berlin();
        let now = at("2026-12-04T15:00:00");
        let mut q = Quiet::default();
        q.mutes.insert("alerts".into(), now + HOUR_MS);
        assert_eq!(q.hush("alerts", now, &tz), Some(Hush::Muted));
        assert_eq!(q.hush("tasks", now, &tz), None);
        assert!(!q.hushes_all(now, &tz));
        assert_eq!(q.next_turn(now, &tz), Some(now + HOUR_MS));
        q.expire(now + HOUR_MS);
        assert!(q.mutes.is_empty());
        assert_eq!(q.hush("alerts", now + HOUR_MS, &tz), None);
    }
}
