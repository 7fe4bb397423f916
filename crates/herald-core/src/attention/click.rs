//! Which notification a click or an action is about.

use std::collections::VecDeque;

use super::Target;
use crate::feed::MessageAction;
use crate::store::EntryRef;

/// What a shown notification is about: what a click opens, the feed its
/// "Mark read" and "Mute 1 h" act on, and its message's own buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub target: Target,
    pub feed: Option<String>,
    pub actions: Vec<MessageAction>,
    /// The message its buttons belong to.
    pub entry: Option<EntryRef>,
}

/// What each shown notification is about, so that a click or an action
/// (which arrives as a bare notification id and an action key) acts on the
/// right one.
///
/// A click may be reported before the request that showed the notification
/// has returned its id; such early clicks are kept briefly and honoured when
/// the id is registered. Both lists are bounded, since a notification server
/// need not report every notification's end. A notification replaced in
/// place keeps its id, and is about what replaced it.
#[derive(Debug, Default)]
pub struct ClickRouter {
    shown: VecDeque<(u32, Routed)>,
    early: VecDeque<(u32, String)>,
}

/// How many notifications and early clicks the router remembers.
const ROUTER_MEMORY: usize = 256;

impl ClickRouter {
    /// Registers notification `id` as about `routed`; returns the action to
    /// take at once if its click came first.
    pub fn shown(&mut self, id: u32, routed: Routed) -> Option<(String, Routed)> {
        if let Some(pos) = self.early.iter().position(|(early, _)| *early == id) {
            let (_, action) = self.early.remove(pos)?;
            return Some((action, routed));
        }
        self.shown.retain(|(shown, _)| *shown != id);
        if self.shown.len() == ROUTER_MEMORY {
            self.shown.pop_front();
        }
        self.shown.push_back((id, routed));
        None
    }

    /// What notification `id` is about, for `action` on it, if known yet.
    pub fn clicked(&mut self, id: u32, action: &str) -> Option<Routed> {
        if let Some(pos) = self.shown.iter().position(|(shown, _)| *shown == id) {
            return self.shown.remove(pos).map(|(_, routed)| routed);
        }
        if self.early.len() == ROUTER_MEMORY {
            self.early.pop_front();
        }
        self.early.push_back((id, action.to_owned()));
        None
    }

    /// Forgets a notification the server closed.
    pub fn closed(&mut self, id: u32) {
        self.shown.retain(|(shown, _)| *shown != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routed(key: &str) -> Routed {
        Routed {
            target: Target { feed: "f".into(), key: Some(key.into()), click: None, since: None },
            feed: Some("f".into()),
            actions: Vec::new(),
            entry: None,
        }
    }

    #[test]
    fn clicks_act_on_the_target_whichever_arrives_first() {
        let mut router = ClickRouter::default();
        assert_eq!(router.shown(1, routed("10")), None);
        assert_eq!(router.clicked(1, "default"), Some(routed("10")));
        assert_eq!(router.clicked(1, "default"), None, "one click, one open");
        assert_eq!(
            router.shown(1, routed("10")),
            Some(("default".into(), routed("10"))),
            "the click above came before this id was shown again"
        );
        assert_eq!(router.clicked(2, "mute"), None);
        assert_eq!(router.shown(2, routed("20")), Some(("mute".into(), routed("20"))), "an early action is honoured");
        router.shown(3, routed("30"));
        router.closed(3);
        assert_eq!(router.clicked(3, "default"), None);
    }

    #[test]
    fn a_replaced_notification_is_about_what_replaced_it() {
        let mut router = ClickRouter::default();
        router.shown(5, routed("1"));
        router.shown(5, routed("2"));
        assert_eq!(router.clicked(5, "default"), Some(routed("2")));
        assert_eq!(router.clicked(5, "default"), None, "registered once");
    }

    #[test]
    fn the_router_forgets_the_oldest_beyond_its_memory() {
        let mut router = ClickRouter::default();
        for id in 0..300 {
            router.shown(id, routed(&id.to_string()));
        }
        assert_eq!(router.clicked(0, "default"), None);
        assert_eq!(router.clicked(299, "default").and_then(|r| r.target.key), Some("299".into()));
        assert!(router.shown.len() <= ROUTER_MEMORY && router.early.len() <= ROUTER_MEMORY);
    }
}
