//! What a notification sounds like: the desktop's own way, a sound the
//! user chose, or nothing.
//!
//! A sound is a name from the freedesktop sound theme ("message-new-instant",
//! "bell"): the notification server plays it from the user's theme, so
//! Herald ships no audio and plays none itself. The user chooses one per
//! priority, and a feed may have its own. None is chosen by default:
//! desktops already make their own sound for a notification, or keep quiet,
//! as the user set them. A notification that breaks through a quiet makes
//! no sound at all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Urgency;

/// A name from the freedesktop sound theme: lowercase letters, digits,
/// dashes and dots ("message-new-instant"), as the theme names its files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[ts(export, type = "string")]
pub struct SoundName(String);

/// Read through [`SoundName::try_from`], so a bad name in a kept file or a
/// request is refused with why.
impl<'de> Deserialize<'de> for SoundName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SoundName::try_from(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// Why a sound name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a sound theme name: use lowercase letters, digits and dashes, as in \"message-new-instant\"")]
pub struct NotASoundName(String);

/// The longest name taken; the theme's own are under 30.
const LONGEST: usize = 64;

impl TryFrom<String> for SoundName {
    type Error = NotASoundName;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        let fits = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
        let starts = name.starts_with(|c: char| c.is_ascii_lowercase());
        if starts && name.len() <= LONGEST && name.chars().all(fits) && !name.contains("..") {
            Ok(SoundName(name))
        } else {
            Err(NotASoundName(name.chars().take(LONGEST).collect()))
        }
    }
}

impl From<SoundName> for String {
    fn from(name: SoundName) -> String {
        name.0
    }
}

impl SoundName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A sound for each priority; none plays the desktop's own way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PrioritySounds {
    /// ntfy's priorities 1 and 2.
    pub low: Option<SoundName>,
    pub normal: Option<SoundName>,
    /// ntfy's 4 and 5, and rules marked urgent.
    pub urgent: Option<SoundName>,
}

impl PrioritySounds {
    pub fn of(&self, urgency: Urgency) -> Option<&SoundName> {
        match urgency {
            Urgency::Low => self.low.as_ref(),
            Urgency::Normal => self.normal.as_ref(),
            Urgency::Critical => self.urgent.as_ref(),
        }
    }
}

/// The sounds the user chose: for every feed, and for the feeds that have
/// their own. A feed of its own takes none of the others' sounds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Sounds {
    pub every: PrioritySounds,
    pub feeds: BTreeMap<String, PrioritySounds>,
}

impl Sounds {
    /// The sound for a notification of `urgency` about `feed` (none about
    /// several feeds), if one is chosen.
    pub fn of(&self, feed: Option<&str>, urgency: Urgency) -> Option<&SoundName> {
        feed.and_then(|feed| self.feeds.get(feed)).unwrap_or(&self.every).of(urgency)
    }
}

/// What a notification sounds like.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Sound {
    /// As the desktop sounds a notification: Herald adds no hint.
    #[default]
    Desktop,
    /// A sound from the theme (the `sound-name` hint).
    Named(SoundName),
    /// None (`suppress-sound`): it broke through a quiet.
    Silent,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> SoundName {
        SoundName::try_from(text.to_owned()).unwrap()
    }

    #[test]
    fn a_feed_of_its_own_replaces_every_priority_and_the_rest_follow_every_feed() {
        let mut sounds = Sounds::default();
        assert_eq!(sounds.of(Some("tasks"), Urgency::Critical), None, "none by default");
        sounds.every = PrioritySounds { urgent: Some(name("alarm-clock-elapsed")), ..PrioritySounds::default() };
        sounds.feeds.insert(
            "alerts".into(),
            PrioritySounds { normal: Some(name("message-new-instant")), ..PrioritySounds::default() },
        );
        assert_eq!(sounds.of(Some("tasks"), Urgency::Critical), Some(&name("alarm-clock-elapsed")));
        assert_eq!(sounds.of(None, Urgency::Critical), Some(&name("alarm-clock-elapsed")), "a digest of many");
        assert_eq!(sounds.of(Some("tasks"), Urgency::Normal), None);
        assert_eq!(sounds.of(Some("alerts"), Urgency::Normal), Some(&name("message-new-instant")));
        assert_eq!(sounds.of(Some("alerts"), Urgency::Critical), None, "its own, silence included");
    }

    #[test]
    fn only_names_a_sound_theme_could_hold_are_taken() {
        for good in ["bell", "message-new-instant", "x-herald.ping2"] {
            assert_eq!(name(good).as_str(), good);
        }
        for bad in ["", "Bell", "../../etc/passwd", "/usr/share/sounds/bell.oga", "a b", "a..b", "-x", &"a".repeat(65)]
        {
            let refused = SoundName::try_from(bad.to_owned()).unwrap_err();
            assert!(refused.to_string().contains("not a sound theme name"), "{bad}: {refused}");
        }
        let read: Result<Sounds, _> = serde_json::from_str(r#"{"every":{"low":"Bell"},"feeds":{}}"#);
        assert!(read.unwrap_err().to_string().contains("not a sound theme name"), "refused when read, too");
    }
}
