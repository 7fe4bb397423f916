//! A feed through a proxy of its own: real squid (from apt) as an HTTP
//! proxy, tunnelling (CONNECT) to an HTTPS event stream (the hub behind
//! real nginx), and real Dante (apt's `dante-server`) as a SOCKS 5 one
//! (`socks5h://`), all on loopback. A long stream goes on across a restart
//! of either proxy with every event once, in order; a proxy that asks for a
//! password gets it from the keyring; and a proxy that is down, or refuses
//! the password, is named as the fault, not the server.

use std::time::Duration;

use herald_core::feed::{Auth, Feed, Preset, ProxyAuth, ProxyChoice};
use herald_core::proxy::NoDesktop;
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::sse::{Failure, Phase, Subscription};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::dante::Dante;
use herald_test_support::mtls::FrontDoor;
use herald_test_support::squid::Squid;
use reqwest::header::HeaderMap;

const TOKEN: &str = "you-token-proxies";
const WITHIN: Duration = Duration::from_secs(30);

/// The hub's feed through `door`, going through `proxy`; its secrets.
fn hub_feed(door: &FrontDoor, trust: &std::path::Path, proxy: &str) -> (Feed, MemorySecrets) {
    let mut feed = Feed::new("hub", format!("{}/tasks/subscribe", door.nginx.url)).with_preset(Preset::HeraldHub);
    feed.settings.auth = Some(Auth::bearer("hub"));
    feed.settings.ca_cert = Some(trust.to_owned());
    feed.settings.proxy = Some(proxy.parse::<ProxyChoice>().unwrap());
    let secrets = MemorySecrets::default();
    secrets.set("hub", TOKEN).unwrap();
    (feed, secrets)
}

async fn subscribe(feed: &Feed, secrets: MemorySecrets) -> Subscription {
    // From the hub's first change on: nothing created before the stream opens is missed.
    let setup =
        feed.setup(Some("0".into()), None, std::sync::Arc::new(secrets), &NoDesktop, HeaderMap::new()).await.unwrap();
    Subscription::start(setup.client, setup.config)
}

/// The names of the next `n` tasks created, as the stream tells them.
async fn created(subscription: &mut Subscription, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    while names.len() < n {
        let next = tokio::time::timeout(WITHIN, subscription.next_event()).await;
        let event = next.unwrap_or_else(|_| panic!("no event in time: {:?}", subscription.state().borrow())).unwrap();
        if &*event.event == "create" {
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            names.push(data["name"].as_str().unwrap().to_owned());
        }
    }
    names
}

/// What the feed says once it is retrying: why.
async fn retrying_because(subscription: &Subscription) -> String {
    let mut state = subscription.state();
    let retrying = state.wait_for(|s| matches!(s.phase, Phase::Retrying { .. }));
    let state = tokio::time::timeout(WITHIN, retrying).await.expect("retrying in time").unwrap().clone();
    match state.phase {
        Phase::Retrying { reason: Failure::Unreachable { detail }, .. } => detail,
        other => panic!("expected the proxy unreachable, got {other:?}"),
    }
}

/// The hub behind nginx on HTTPS, and the file of the CA to trust it by.
struct Behind {
    hub: LocalHub,
    door: FrontDoor,
    _dir: tempfile::TempDir,
    trust: std::path::PathBuf,
}

async fn behind_a_door() -> Behind {
    let mut config = HubConfig::default().with_actor("You", TOKEN).with_actor("Ana", "ana-token-proxies");
    config.retry = Duration::from_millis(50);
    let hub = LocalHub::start(config, &StoreLocation::Memory).await.unwrap();
    let door = FrontDoor::open(&hub.url).await;
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("door-ca.pem");
    std::fs::write(&trust, &door.trust_pem).unwrap();
    Behind { hub, door, _dir: dir, trust }
}

/// A proxy a test runs, stopped and restarted under a stream.
trait Restartable {
    fn stop(&mut self);
    fn restart(&mut self) -> futures_util::future::BoxFuture<'_, ()>;
}

impl Restartable for Squid {
    fn stop(&mut self) {
        Squid::stop(self)
    }
    fn restart(&mut self) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(Squid::restart(self))
    }
}

impl Restartable for Dante {
    fn stop(&mut self) {
        Dante::stop(self)
    }
    fn restart(&mut self) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(Dante::restart(self))
    }
}

/// A long stream through `proxy` (at `url`) goes on across its restart,
/// every event once and in order; then, with it down, a new feed says the
/// proxy cannot be reached.
async fn a_long_stream_survives_a_restart_of(proxy: &mut dyn Restartable, url: &str, behind: &Behind) {
    let Behind { hub, door, trust, .. } = behind;
    let (feed, secrets) = hub_feed(door, trust, url);
    let mut subscription = subscribe(&feed, secrets).await;
    let names = |range: std::ops::Range<usize>| range.map(|i| format!("task {i}")).collect::<Vec<_>>();
    for name in names(0..10) {
        hub.hub.create("Ana", &name).await.unwrap();
    }
    assert_eq!(created(&mut subscription, 10).await, names(0..10));

    // The proxy restarts in the middle; what is created meanwhile comes once.
    proxy.stop();
    for name in names(10..20) {
        hub.hub.create("Ana", &name).await.unwrap();
    }
    proxy.restart().await;
    for name in names(20..30) {
        hub.hub.create("Ana", &name).await.unwrap();
    }
    assert_eq!(created(&mut subscription, 20).await, names(10..30), "every event once, in order");
    assert!(subscription.state().borrow().opened >= 2, "the stream was broken and opened again");

    // A proxy that is down is named as the fault.
    proxy.stop();
    let (feed, secrets) = hub_feed(door, trust, url);
    let dead = subscribe(&feed, secrets).await;
    let why = retrying_because(&dead).await;
    assert!(why.starts_with(&format!("the proxy {url} cannot be reached")), "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_stream_through_squid_survives_its_restart_and_a_dead_proxy_is_named() {
    let behind = behind_a_door().await;
    let mut squid = Squid::start(None).await;
    let url = squid.url.clone();
    a_long_stream_survives_a_restart_of(&mut squid, &url, &behind).await;
    let tunnel = format!("CONNECT 127.0.0.1:{}", behind.door.nginx.url.rsplit(':').next().unwrap());
    assert!(squid.access_log().contains(&tunnel), "it went through squid: {}", squid.access_log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_stream_through_dantes_socks5_survives_its_restart_and_a_dead_proxy_is_named() {
    let behind = behind_a_door().await;
    let mut dante = Dante::start().await;
    let url = format!("socks5h://{}", dante.address);
    a_long_stream_survives_a_restart_of(&mut dante, &url, &behind).await;
    let door_port = behind.door.nginx.url.rsplit(':').next().unwrap().to_owned();
    let passed = dante
        .log()
        .lines()
        .filter(|l| l.contains("tcp/connect") && l.contains(&format!("127.0.0.1.{door_port}")))
        .count();
    assert!(passed >= 2, "both streams went through dante: {}", dante.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_password_comes_from_the_keyring_and_a_refusal_is_the_proxys() {
    let Behind { hub, door, _dir, trust } = behind_a_door().await;
    let squid = Squid::start(Some(("ana", "proxy-s3cret"))).await;
    hub.hub.create("You", "behind the proxy").await.unwrap();

    let with_password = |password: &str| {
        let (mut feed, secrets) = hub_feed(&door, &trust, &squid.url);
        feed.settings.proxy_auth = Some(ProxyAuth { username: "ana".into(), keyring: "corp proxy".into() });
        secrets.set("corp proxy", password).unwrap();
        (feed, secrets)
    };
    let (good, secrets) = with_password("proxy-s3cret");
    let mut subscription = subscribe(&good, secrets).await;
    assert_eq!(created(&mut subscription, 1).await, ["behind the proxy"]);

    let (wrong, secrets) = with_password("guess");
    let refused = subscribe(&wrong, secrets).await;
    let why = retrying_because(&refused).await;
    assert!(why.starts_with(&format!("the proxy {} refused Herald's credentials (407", squid.url)), "{why}");
    assert!(!why.contains("guess"), "no password in what is said");
}
