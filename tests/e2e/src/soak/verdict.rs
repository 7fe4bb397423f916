//! Whether every change published reached the store exactly once, in order.
//!
//! A feed's change N is "soak N" in what it carried. It reaches Herald live,
//! as an event, or, where the server cannot replay (the task list while its
//! stream was down), in a resync: a row marked missed, told in a digest. So
//! a feed passes when the numbers it stored live are strictly increasing,
//! none was stored twice (live, missed, or both), and together they are
//! exactly what was published. A publish whose answer was lost (the server
//! went down under it) may or may not have happened: its number is allowed
//! either way, and counted.

use std::collections::{BTreeMap, BTreeSet};

use herald_core::store::StoredEvent;

/// What was published to one feed.
#[derive(Debug, Default, Clone)]
pub struct Published {
    pub sure: BTreeSet<u64>,
    /// Publishes that failed with the server going down: they may be there.
    pub unsure: BTreeSet<u64>,
}

/// One feed's accounting.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Account {
    pub published: usize,
    pub live: usize,
    pub missed: usize,
    pub lost: Vec<u64>,
    pub twice: Vec<u64>,
    pub out_of_order: Vec<u64>,
    pub unexpected: Vec<u64>,
}

impl Account {
    pub fn passes(&self) -> bool {
        self.lost.is_empty() && self.twice.is_empty() && self.out_of_order.is_empty() && self.unexpected.is_empty()
    }

    /// Whether it has everything (for waiting until it catches up).
    pub fn complete(&self) -> bool {
        self.lost.is_empty()
    }
}

/// The number N of "soak N" in `data`, if it carries one.
fn number(data: &str) -> Option<u64> {
    let at = data.find("soak ")? + "soak ".len();
    let digits: String = data[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Accounts for one feed's stored events against what was published.
pub fn account(published: &Published, stored: &[StoredEvent]) -> Account {
    let mut account = Account { published: published.sure.len(), ..Account::default() };
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut last_live = 0;
    for event in stored {
        let Some(n) = number(&event.data) else { continue };
        *seen.entry(n).or_default() += 1;
        if event.missed {
            account.missed += 1;
        } else {
            account.live += 1;
            if n <= last_live {
                account.out_of_order.push(n);
            }
            last_live = last_live.max(n);
        }
    }
    account.twice = seen.iter().filter(|(_, &count)| count > 1).map(|(&n, _)| n).collect();
    account.lost = published.sure.iter().filter(|n| !seen.contains_key(n)).copied().collect();
    account.unexpected =
        seen.keys().filter(|n| !published.sure.contains(n) && !published.unsure.contains(n)).copied().collect();
    account
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64, missed: bool) -> StoredEvent {
        StoredEvent {
            feed: "f".into(),
            event_id: None,
            event_type: "message".into(),
            data: format!("{{\"message\":\"soak {n}\"}}"),
            received_at: 0,
            read: false,
            missed,
        }
    }

    #[test]
    fn every_change_once_live_or_missed_passes_and_each_fault_is_named() {
        let published = Published { sure: (1..=5).collect(), unsure: [6].into() };
        let good = [event(1, false), event(2, false), event(3, true), event(4, false), event(5, false)];
        let fine = account(&published, &good);
        assert!(fine.passes(), "{fine:?}");
        assert_eq!((fine.live, fine.missed), (4, 1));
        let bad = [event(1, false), event(3, false), event(2, false), event(3, true), event(9, false)];
        let wrong = account(&published, &bad);
        assert_eq!(wrong.lost, [4, 5]);
        assert_eq!(wrong.twice, [3]);
        assert_eq!(wrong.out_of_order, [2]);
        assert_eq!(wrong.unexpected, [9]);
        assert!(account(&published, &[event(6, false)]).unexpected.is_empty(), "an unsure publish may be there");
    }
}
