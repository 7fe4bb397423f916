//! Waking up, and the network coming back. A feed that lost its connection
//! waits out its backoff before it tries again, and one that seems open may
//! hold a connection that died with the old network. After a sleep, or when
//! the network returns, neither wait nor trust is worth anything: every feed
//! should reconnect at once, and what it missed should come as one digest.
//!
//! The system bus says when: logind's `PrepareForSleep(false)` when the
//! system has resumed, NetworkManager's `StateChanged(u)` when connectivity
//! changes. [`Watcher`] turns them into [`Wake`]s; the desk acts on them
//! ([`crate::Desk::woke`]).
//!
//! The signals are matched by interface, member and path, not by sender:
//! any peer on the system bus could send one, and all it would get is an
//! early reconnect.

use futures_util::StreamExt;
use zbus::message::Type as MessageType;
use zbus::{Connection, MatchRule, MessageStream};

/// What the system said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// It resumed from sleep.
    Resumed,
    /// The network became usable, or more usable (local, then global).
    Online,
}

const LOGIND_PATH: &str = "/org/freedesktop/login1";
const LOGIND_MANAGER: &str = "org.freedesktop.login1.Manager";
const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const NM: &str = "org.freedesktop.NetworkManager";

/// NetworkManager's `NM_STATE_CONNECTED_LOCAL`: the first state with a
/// network to reach (then `SITE` 60 and `GLOBAL` 70).
const NM_CONNECTED_LOCAL: u32 = 50;

/// Listens for the signals of a resume and of a network change.
pub struct Watcher {
    sleep: MessageStream,
    network: MessageStream,
    /// NetworkManager's last state, 0 until one is heard.
    state: u32,
}

fn rule(path: &'static str, interface: &'static str, member: &'static str) -> zbus::Result<MatchRule<'static>> {
    Ok(MatchRule::builder().msg_type(MessageType::Signal).path(path)?.interface(interface)?.member(member)?.build())
}

impl Watcher {
    /// Subscribes on `bus` (the system bus, or a test's). Signals sent after
    /// this returns are seen.
    pub async fn subscribe(bus: &Connection) -> zbus::Result<Watcher> {
        let sleep = MessageStream::for_match_rule(rule(LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep")?, bus, None);
        let network = MessageStream::for_match_rule(rule(NM_PATH, NM, "StateChanged")?, bus, None);
        Ok(Watcher { sleep: sleep.await?, network: network.await?, state: 0 })
    }

    /// The next wake; `None` once the bus is gone.
    pub async fn next(&mut self) -> Option<Wake> {
        loop {
            tokio::select! {
                Some(message) = self.sleep.next() => {
                    let Ok(message) = message else { continue };
                    // `true` as it goes to sleep, `false` once it is back.
                    if let Ok(false) = message.body().deserialize::<bool>() {
                        return Some(Wake::Resumed);
                    }
                }
                Some(message) = self.network.next() => {
                    let Ok(message) = message else { continue };
                    let Ok(state) = message.body().deserialize::<u32>() else { continue };
                    if came_online(std::mem::replace(&mut self.state, state), state) {
                        return Some(Wake::Online);
                    }
                }
                else => return None,
            }
        }
    }
}

/// Whether NetworkManager going from `before` to `now` is worth a
/// reconnect: connected, and better connected than before.
fn came_online(before: u32, now: u32) -> bool {
    now >= NM_CONNECTED_LOCAL && now > before
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_better_connection_counts() {
        // Disconnected (20), then connecting (40), then local (50), then global (70).
        assert!(!came_online(20, 40));
        assert!(came_online(40, 50));
        assert!(came_online(50, 70), "the internet came back behind the same link");
        assert!(!came_online(70, 70));
        assert!(!came_online(70, 50), "losing the internet is no time to reconnect");
        assert!(!came_online(50, 20));
        assert!(came_online(0, 70), "the first state heard, if connected");
    }
}
