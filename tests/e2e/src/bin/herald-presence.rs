//! How presence behaves when the connection goes, as the window sees it
//! through the engine's feed state, with the hub's defaults (`retry: 3000`,
//! presence told at most every 2 s, focus held 60 s): how soon the open
//! record is told, how soon nobody is shown after a network drop (every
//! connection cut by a proxy) and after a hub restart, and how soon
//! presence, and the open record, are back.
//!
//! ```sh
//! cargo run -p herald-e2e --bin herald-presence
//! ```
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_core::engine::{Engine, EngineConfig, EngineEvent, FeedState, StoreAt, ViewRecord};
use herald_core::feed::{Auth, Feed, Preset};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::sse::Phase;
use herald_core::store::Store;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

async fn until(events: &mut mpsc::Receiver<EngineEvent>, want: impl Fn(&FeedState) -> bool) -> FeedState {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), events.recv()).await.unwrap().unwrap() {
            EngineEvent::State { state } if want(&state) => return *state,
            _ => {}
        }
    }
}

/// A proxy whose connections can all be cut at once.
async fn proxy(to: std::net::SocketAddr, cut: watch::Receiver<u32>) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut a, _) = l.accept().await.unwrap();
            let mut cut = cut.clone();
            cut.mark_unchanged();
            tokio::spawn(async move {
                let Ok(mut b) = TcpStream::connect(to).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                    _ = cut.changed() => {}
                }
            });
        }
    });
    addr
}

#[tokio::main]
async fn main() {
    let config = || HubConfig::default().with_actor("You", "you-token-xx").with_actor("Ana", "ana-token-xx");
    let hub = LocalHub::start(config(), &StoreLocation::Memory).await.unwrap();
    let (cutter, cut) = watch::channel(0);
    let via = proxy(hub.addr, cut).await;
    let mut feed = Feed::new("hub", format!("http://{via}/tasks/subscribe")).with_preset(Preset::HeraldHub);
    feed.settings.auth = Some(Auth::bearer("hub"));
    let secrets = MemorySecrets::default();
    secrets.set("hub", "you-token-xx").unwrap();
    let mut store = Store::in_memory().unwrap();
    store.import_feeds(&[feed]).unwrap();
    let (engine, mut events) = Engine::start(EngineConfig::new(StoreAt::Open(store), Arc::new(secrets))).await.unwrap();
    let viewing = |key: Option<&'static str>| {
        move |s: &FeedState| s.present.iter().any(|p| p.actor == "You" && p.viewing.as_deref() == key)
    };
    until(&mut events, viewing(None)).await;
    engine.ask(ViewRecord { feed: "hub".into(), key: Some("1".into()) }).await.expect("the record is viewed");
    let t = Instant::now();
    until(&mut events, viewing(Some("1"))).await;
    println!("the open record is shown as open after {:?}", t.elapsed());

    // Network drop: every connection through the proxy is cut.
    let t = Instant::now();
    cutter.send_modify(|n| *n += 1);
    until(&mut events, |s| s.present.is_empty() && !matches!(s.connection.phase, Phase::Open { .. })).await;
    println!("network drop: nobody shown after {:?}", t.elapsed());
    let back = until(&mut events, |s| !s.present.is_empty()).await;
    println!("network drop: presence back after {:?}: {:?}", t.elapsed(), back.present);

    // Hub restart.
    let addr = hub.addr;
    hub.stop().await.unwrap();
    let t0 = Instant::now();
    until(&mut events, |s| s.present.is_empty()).await;
    println!("hub restart: nobody shown {:?} after the hub stopped", t0.elapsed());
    let _hub = LocalHub::start_on(addr, config(), &StoreLocation::Memory).await.unwrap();
    let t = Instant::now();
    let back = until(&mut events, |s| !s.present.is_empty()).await;
    println!("hub restart: presence back {:?} after it started: {:?}", t.elapsed(), back.present);
    if !viewing(Some("1"))(&back) {
        until(&mut events, viewing(Some("1"))).await;
    }
    println!("hub restart: the open record shown again after {:?}", t.elapsed());
}
