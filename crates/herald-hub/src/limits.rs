//! How many event streams the hub keeps open, in all and per client
//! address, so that idle connections cannot take all of its memory (2,000
//! idle streams cost about 29 KiB each). Past either limit, a new stream is
//! refused with `503` and `Retry-After`. The streams already open are not
//! touched, and every other route still answers.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The open streams, counted.
pub(crate) struct Gate {
    open: Mutex<Open>,
    max_total: usize,
    max_per_client: usize,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// Why a stream was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// The hub has as many streams open as it keeps.
    Hub,
    /// This client address has as many open as one may.
    Client,
}

impl Gate {
    pub fn new(max_total: usize, max_per_client: usize) -> Arc<Gate> {
        Arc::new(Gate { open: Mutex::new(Open::default()), max_total, max_per_client })
    }

    fn open(&self) -> MutexGuard<'_, Open> {
        // Counts stay counts whatever a panic interrupted.
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Lets a stream from `client` in, until the pass is dropped. A stream
    /// whose address is not known counts only toward the total.
    pub fn admit(self: &Arc<Self>, client: Option<IpAddr>) -> Result<Pass, Full> {
        let mut open = self.open();
        if open.total >= self.max_total {
            return Err(Full::Hub);
        }
        if let Some(ip) = client {
            let mine = open.by_client.entry(ip).or_default();
            if *mine >= self.max_per_client {
                return Err(Full::Client);
            }
            *mine += 1;
        }
        open.total += 1;
        Ok(Pass { gate: self.clone(), client })
    }

    /// How many streams are open now.
    pub fn streams(&self) -> usize {
        self.open().total
    }
}

/// One open stream's place, given back when it ends.
pub(crate) struct Pass {
    gate: Arc<Gate>,
    client: Option<IpAddr>,
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut open = self.gate.open();
        open.total = open.total.saturating_sub(1);
        if let Some(ip) = self.client {
            if let Some(mine) = open.by_client.get_mut(&ip) {
                *mine -= 1;
                if *mine == 0 {
                    open.by_client.remove(&ip);
                }
            }
        }
    }
}

/// The address a request came from, when the server was started with it.
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_let_in_up_to_each_limit_and_given_back() {
        let gate = Gate::new(3, 2);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        let first = gate.admit(Some(a)).unwrap();
        let _second = gate.admit(Some(a)).unwrap();
        assert_eq!(gate.admit(Some(a)).err(), Some(Full::Client));
        let _third = gate.admit(Some(b)).unwrap();
        assert_eq!(gate.admit(Some(b)).err(), Some(Full::Hub), "the total holds for every address");
        assert_eq!(gate.admit(None).err(), Some(Full::Hub));
        assert_eq!(gate.streams(), 3);
        drop(first);
        assert_eq!(gate.streams(), 2);
        let _again = gate.admit(Some(a)).unwrap();
        assert_eq!(gate.admit(None).err(), Some(Full::Hub));
    }
}
