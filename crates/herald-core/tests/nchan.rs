//! The `nchan` preset against the real thing: nginx with Debian's
//! `libnginx-mod-nchan`, started by the test on 127.0.0.1 with its own
//! config and prefix (`nginx -c FILE -p DIR`), never as a service.
//!
//! It covers publishing and live receipt, resuming after Herald restarts
//! with exactly the messages it missed, and a deleted channel stopping the
//! feed as gone.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use herald_core::engine::{Engine, EngineConfig, EngineEvent, StoreAt};
use herald_core::feed::{Feed, Preset};
use herald_core::secrets::MemorySecrets;
use herald_core::sse::{Phase, StopReason};
use herald_core::store::Store;
use herald_test_support::nginx::Nginx;
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(20);
const MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";

/// nginx with Nchan: a channel per path, published at `/pub/{id}` and
/// subscribed to as an event stream at `/sub/{id}`.
struct Nchan(Nginx);

async fn start_nchan() -> Nchan {
    assert!(Path::new(MODULE).exists(), "Nchan is not installed: apt-get install libnginx-mod-nchan");
    let locations = r#"
        location ~ ^/pub/(\w+)$ {
            nchan_publisher;
            nchan_channel_id $1;
            nchan_message_buffer_length 100;
        }
        location ~ ^/sub/(\w+)$ {
            nchan_subscriber eventsource;
            nchan_channel_id $1;
        }"#;
    Nchan(Nginx::start(&format!("load_module {MODULE};"), "", locations).await)
}

impl Nchan {
    fn url(&self) -> &str {
        &self.0.url
    }

    async fn publish(&self, text: &str) {
        let response =
            reqwest::Client::new().post(format!("{}/pub/room", self.url())).body(text.to_owned()).send().await.unwrap();
        assert!(response.status().is_success(), "publish: {}", response.status());
    }

    async fn delete(&self) {
        let response = reqwest::Client::new().delete(format!("{}/pub/room", self.url())).send().await.unwrap();
        assert!(response.status().is_success(), "delete: {}", response.status());
    }
}

async fn follow(store: &Path) -> (Engine, mpsc::Receiver<EngineEvent>) {
    let config = EngineConfig::new(StoreAt::Path(store.to_owned()), Arc::new(MemorySecrets::default()));
    Engine::start(config).await.unwrap()
}

async fn next(events: &mut mpsc::Receiver<EngineEvent>) -> EngineEvent {
    tokio::time::timeout(DEADLINE, events.recv()).await.expect("the engine speaks in time").expect("running")
}

async fn wait_open(events: &mut mpsc::Receiver<EngineEvent>) {
    loop {
        if let EngineEvent::State { state } = next(events).await {
            if matches!(state.connection.phase, Phase::Open { .. }) {
                return;
            }
        }
    }
}

/// The data of the next `n` events.
async fn data(events: &mut mpsc::Receiver<EngineEvent>, n: usize) -> Vec<String> {
    let mut seen = Vec::new();
    while seen.len() < n {
        if let EngineEvent::Events { events: batch, .. } = next(events).await {
            seen.extend(batch.iter().map(|e| e.data.to_string()));
        }
    }
    seen
}

fn store_with_feed(dir: &Path, nchan: &Nchan) -> PathBuf {
    let path = dir.join("herald.db");
    let feed = Feed::new("room", format!("{}/sub/room", nchan.url())).with_preset(Preset::Nchan);
    Store::open(&path).unwrap().import_feeds(&[feed]).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn nchan_messages_arrive_live_resume_after_a_restart_and_a_deleted_channel_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let nchan = start_nchan().await;
    let store = store_with_feed(dir.path(), &nchan);

    // Herald follows the channel; a message published now arrives live.
    let (engine, mut events) = follow(&store).await;
    wait_open(&mut events).await;
    nchan.publish("one").await;
    assert_eq!(data(&mut events, 1).await, ["one"]);
    drop(engine);
    drop(events);

    // While Herald is closed, two more; started again, it gets exactly those.
    nchan.publish("two").await;
    nchan.publish("three").await;
    let (_engine, mut events) = follow(&store).await;
    assert_eq!(data(&mut events, 2).await, ["two", "three"], "resumed by Last-Event-ID, nothing twice");
    let kept: Vec<String> =
        Store::open(&store).unwrap().history(None, None).unwrap().into_iter().map(|e| e.data).collect();
    assert_eq!(kept, ["one", "two", "three"]);

    // The channel is deleted: the feed stops as gone, and does not reconnect.
    nchan.delete().await;
    loop {
        if let EngineEvent::State { state } = next(&mut events).await {
            if let Phase::Stopped { reason } = state.connection.phase {
                assert_eq!(reason, StopReason::Gone { status: 410 });
                break;
            }
        }
    }
}
