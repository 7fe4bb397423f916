//! What the hub's integration tests share: a hub on loopback, its actors,
//! and a reader of its event stream.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Duration;

use herald_core::sse::{Decoder, Event, Frame};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use serde_json::Value;

pub const ANA: &str = "ana-token-1";
pub const BOB: &str = "bob-token-1";
pub const DEADLINE: Duration = Duration::from_secs(10);

pub async fn start(config: HubConfig) -> LocalHub {
    LocalHub::start(config, &StoreLocation::Memory).await.unwrap()
}

pub async fn default_hub() -> LocalHub {
    start(HubConfig::default().with_actor("Ana", ANA).with_actor("Bob", BOB)).await
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
}

/// (actor, viewing) pairs, for comparing with [`Stream::next_presence`].
pub fn here(pairs: &[(&str, Option<i64>)]) -> Vec<(String, Option<i64>)> {
    pairs.iter().map(|(a, v)| (a.to_string(), *v)).collect()
}
