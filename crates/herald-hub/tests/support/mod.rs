//! What the hub's integration tests share: a hub on loopback on either
//! backend, its actors, a `redis-server` of its own, and a reader of its
//! event stream.
//!
//! [`on_both_backends!`] runs a test once on SQLite and once on Redis.

#![allow(dead_code)]

pub mod redis_server;

use std::collections::VecDeque;
use std::time::Duration;

use herald_core::sse::{Decoder, Event, Frame};
use herald_hub::{HubConfig, LocalHub, RedisLocation, StoreLocation};
pub use redis_server::RedisServer;
use serde_json::Value;

pub const ANA: &str = "ana-token-1";
pub const BOB: &str = "bob-token-1";
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Where a test's hub keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Redis,
}

impl Backend {
    /// As `/healthz` names it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Redis => "redis",
        }
    }
}

/// A hub on loopback, with the Redis it uses, if any, stopped with it.
pub struct TestHub {
    pub local: LocalHub,
    pub redis: Option<RedisServer>,
}

impl std::ops::Deref for TestHub {
    type Target = LocalHub;
    fn deref(&self) -> &LocalHub {
        &self.local
    }
}

impl TestHub {
    /// Stops the hub (its Redis keeps running until the test hub is dropped).
    pub async fn stop(self) -> std::io::Result<()> {
        self.local.stop().await
    }
}

/// Defines each `async fn name(backend) { ... }` given, and a test of it on
/// each backend: `sqlite::name` and `redis::name`.
#[allow(unused_macros)] // not every suite runs on both backends
macro_rules! on_both_backends {
    ($( $(#[$meta:meta])* async fn $name:ident($backend:ident) $body:block )*) => {
        $( $(#[$meta])* async fn $name($backend: crate::support::Backend) $body )*

        mod sqlite {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(crate::support::Backend::Sqlite).await }
            )*
        }

        mod redis {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(crate::support::Backend::Redis).await }
            )*
        }
    };
}

/// A hub on `backend`: SQLite in memory, or a `redis-server` of its own.
pub async fn start(backend: Backend, config: HubConfig) -> TestHub {
    match backend {
        Backend::Sqlite => {
            TestHub { local: LocalHub::start(config, &StoreLocation::Memory).await.unwrap(), redis: None }
        }
        Backend::Redis => {
            let redis = RedisServer::start();
            let local = LocalHub::start(config, &StoreLocation::Redis(redis.location())).await.unwrap();
            TestHub { local, redis: Some(redis) }
        }
    }
}

/// Another hub on the same data as `first`: for SQLite a file is needed,
/// so this is for Redis only.
pub async fn another_on(redis: &RedisServer, config: HubConfig) -> LocalHub {
    LocalHub::start(config, &StoreLocation::Redis(redis.location())).await.unwrap()
}

pub fn actors() -> HubConfig {
    HubConfig::default().with_actor("Ana", ANA).with_actor("Bob", BOB)
}

pub async fn default_hub(backend: Backend) -> TestHub {
    start(backend, actors()).await
}

/// The location of `redis` with a prefix of its own.
pub fn prefixed(redis: &RedisServer, prefix: &str) -> RedisLocation {
    redis.location().with_prefix(prefix)
}

pub fn url(hub: &LocalHub, path: &str) -> String {
    format!("{}{path}", hub.url)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Sends a request and reads its JSON body.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// An open event stream, read event by event; the decoder's state carries
/// over between reads, so a frame split across chunks is read whole.
pub struct Stream {
    response: reqwest::Response,
    decoder: Decoder,
    read: VecDeque<Frame>,
}

impl Stream {
    /// Subscribes as the actor of `token`, or anonymously.
    pub async fn open(hub: &LocalHub, token: Option<&str>) -> Stream {
        let mut request = client().get(url(hub, "/tasks/subscribe"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Stream::from_response(request.send().await.unwrap())
    }

    pub fn from_response(response: reqwest::Response) -> Stream {
        assert_eq!(response.status(), 200);
        Stream { response, decoder: Decoder::default(), read: VecDeque::new() }
    }

    /// The next event (comments and `retry:` are passed over), or `None`
    /// when the stream ends; panics past the deadline.
    pub async fn next_event(&mut self) -> Option<Event> {
        tokio::time::timeout(DEADLINE, async {
            loop {
                while let Some(frame) = self.read.pop_front() {
                    if let Frame::Event(event) = frame {
                        return Some(event);
                    }
                }
                let chunk = self.response.chunk().await.ok()??;
                let read = &mut self.read;
                self.decoder.feed(&chunk, &mut |f| read.push_back(f));
            }
        })
        .await
        .expect("an event within the deadline")
    }

    /// The next `event: presence`, as (actor, viewing) pairs; changes on the
    /// way are passed over.
    pub async fn next_presence(&mut self) -> Vec<(String, Option<i64>)> {
        loop {
            let event = self.next_event().await.expect("the stream ended before a presence");
            if &*event.event != herald_wire::PRESENCE_EVENT {
                continue;
            }
            let presence: herald_wire::Presence = serde_json::from_str(&event.data).unwrap();
            return presence.present.into_iter().map(|p| (p.actor, p.viewing)).collect();
        }
    }

    /// Reads presences until one is `want`; what comes between is a step on the way.
    pub async fn until_presence(&mut self, want: &[(&str, Option<i64>)]) {
        let want = here(want);
        let mut seen = Vec::new();
        loop {
            let now = self.next_presence().await;
            if now == want {
                return;
            }
            seen.push(now);
            assert!(seen.len() < 100, "never {want:?}; saw {seen:?}");
        }
    }

    /// The next event that is not presence: a change, or a reset.
    pub async fn next_change(&mut self) -> Event {
        loop {
            let event = self.next_event().await.expect("the stream ended");
            if &*event.event != herald_wire::PRESENCE_EVENT {
                return event;
            }
        }
    }
}

/// (actor, viewing) pairs, for comparing with [`Stream::next_presence`].
pub fn here(pairs: &[(&str, Option<i64>)]) -> Vec<(String, Option<i64>)> {
    pairs.iter().map(|(a, v)| (a.to_string(), *v)).collect()
}
