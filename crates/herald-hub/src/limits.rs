//! How many event streams the hub keeps open, in all and per client
//! address, so that idle connections cannot take all of its memory (2,000
//! idle streams cost about 29 KiB each). Past either limit, a new stream is
//! refused with `503` and `Retry-After`. The streams already open are not
//! touched, and every other route still answers.
//!
//! Behind a load balancer every stream comes from the balancer's address,
//! so the client is the one `X-Forwarded-For` names, when (and only when)
//! the request came from a proxy the hub was told to trust ([`client_of`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

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

/// The address a request came from (its peer), when the server was started with it.
pub(crate) struct ClientAddr(pub Option<IpAddr>);

/// The client a request from `peer` is for. When `peer` is one of the
/// `trusted` proxies, `X-Forwarded-For` is read from the right, each proxy
/// having added the address it was reached from, and the first address
/// that is not a trusted proxy is the client. An address no trusted proxy
/// wrote (further left), or one that cannot be read, is not believed: the
/// last trusted hop then stands for the client.
pub(crate) fn client_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    let hops = headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok());
    let hops: Vec<&str> = hops.flat_map(|value| value.split(',')).map(str::trim).collect();
    for hop in hops.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
        if !is_trusted(&client) {
            break;
        }
    }
    Some(client)
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_named_by_trusted_proxies_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()];
        let client = |peer: &str, values: &[&str]| client_of(Some(ip(peer)), &forwarded(values), &trusted);

        assert_eq!(client("10.1.2.3", &["203.0.113.9"]), Some(ip("203.0.113.9")), "one balancer");
        assert_eq!(client("127.0.0.1", &["203.0.113.9, 10.1.2.3"]), Some(ip("203.0.113.9")), "two proxies");
        assert_eq!(client("10.1.2.3", &["198.51.100.1", "203.0.113.9"]), Some(ip("203.0.113.9")), "two headers");
        assert_eq!(
            client("10.1.2.3", &["6.6.6.6, 203.0.113.9"]),
            Some(ip("203.0.113.9")),
            "what the client itself wrote further left is not believed"
        );
        assert_eq!(client("10.1.2.3", &["2001:db8::7"]), Some(ip("2001:db8::7")));
        assert_eq!(client("10.1.2.3", &[]), Some(ip("10.1.2.3")), "no header: the proxy stands for the client");
        assert_eq!(client("10.1.2.3", &["nonsense, 10.9.9.9"]), Some(ip("10.9.9.9")), "the last trusted hop");
        assert_eq!(client("203.0.113.50", &["1.2.3.4"]), Some(ip("203.0.113.50")), "an untrusted peer is the client");
        assert_eq!(client_of(Some(ip("10.1.2.3")), &forwarded(&["1.2.3.4"]), &[]), Some(ip("10.1.2.3")));
        assert_eq!(client_of(None, &forwarded(&["1.2.3.4"]), &trusted), None);
    }

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
