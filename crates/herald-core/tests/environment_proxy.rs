//! The environment's proxies, as curl and reqwest read them: `HTTP_PROXY`
//! (real squid) for `http://`, `ALL_PROXY` with `socks5h://` (real Dante)
//! for what has no proxy of its own scheme (here `https://`), and
//! `NO_PROXY` for a host that goes straight. Each feed's setup says which
//! way it went and why, and each proxy's log shows what it carried.
//!
//! The environment is the whole process's, so this is a test binary of its
//! own with a single test, which sets it before any thread starts.

use std::sync::Arc;
use std::time::Duration;

use herald_core::feed::{Auth, Feed, Preset};
use herald_core::proxy::{NoDesktop, RouteSource, RouteUsed};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::sse::Subscription;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::dante::Dante;
use herald_test_support::mtls::FrontDoor;
use herald_test_support::squid::Squid;
use reqwest::header::HeaderMap;

const TOKEN: &str = "you-token-environment";
const WITHIN: Duration = Duration::from_secs(30);

/// The hub's feed at `url`, trusting `trust` if given; its setup's route,
/// and its subscription.
async fn follow(url: &str, trust: Option<&std::path::Path>) -> (RouteUsed, Subscription) {
    let mut feed = Feed::new("hub", url).with_preset(Preset::HeraldHub);
    feed.settings.auth = Some(Auth::bearer("hub"));
    feed.settings.ca_cert = trust.map(ToOwned::to_owned);
    let secrets = MemorySecrets::default();
    secrets.set("hub", TOKEN).unwrap();
    let setup = feed.setup(Some("0".into()), None, Arc::new(secrets), &NoDesktop, HeaderMap::new()).await.unwrap();
    let route = setup.route.clone();
    (route, Subscription::start(setup.client, setup.config))
}

/// The name of the next task created, as `subscription` tells it.
async fn next_created(subscription: &mut Subscription) -> String {
    loop {
        let next = tokio::time::timeout(WITHIN, subscription.next_event()).await;
        let event = next.unwrap_or_else(|_| panic!("no event in time: {:?}", subscription.state().borrow())).unwrap();
        if &*event.event == "create" {
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            return data["name"].as_str().unwrap().to_owned();
        }
    }
}

#[test]
fn the_environments_proxies_and_no_proxy_are_honoured_and_said() {
    for name in
        ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]
    {
        std::env::remove_var(name);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut config = HubConfig::default().with_actor("You", TOKEN).with_actor("Ana", "ana-token-environment");
        config.retry = Duration::from_millis(50);
        let hub = LocalHub::start(config, &StoreLocation::Memory).await.unwrap();
        let door = FrontDoor::open(&hub.url).await;
        let dir = tempfile::tempdir().unwrap();
        let trust = dir.path().join("door-ca.pem");
        std::fs::write(&trust, &door.trust_pem).unwrap();
        let squid = Squid::start(None).await;
        let dante = Dante::start().await;
        // Set before any feed's client is made; read by reqwest as each is.
        std::env::set_var("HTTP_PROXY", &squid.url);
        std::env::set_var("ALL_PROXY", format!("socks5h://{}", dante.address));
        std::env::set_var("NO_PROXY", "localhost");

        let port = hub.url.rsplit(':').next().unwrap().to_owned();
        let by_environment = |proxy: Option<String>| RouteUsed { proxy, source: RouteSource::Environment };
        let (through_squid, mut plain) = follow(&format!("http://127.0.0.1:{port}/tasks/subscribe"), None).await;
        assert_eq!(through_squid, by_environment(Some(squid.url.clone())));
        let (straight, mut local) = follow(&format!("http://localhost:{port}/tasks/subscribe"), None).await;
        assert_eq!(straight, by_environment(None));
        assert_eq!(straight.to_string(), "straight to the server (the environment's NO_PROXY)");
        let (through_dante, mut tls) = follow(&format!("{}/tasks/subscribe", door.nginx.url), Some(&trust)).await;
        assert_eq!(through_dante, by_environment(Some(format!("socks5h://{}", dante.address))));

        hub.hub.create("Ana", "one for all").await.unwrap();
        for subscription in [&mut plain, &mut local, &mut tls] {
            assert_eq!(next_created(subscription).await, "one for all");
        }
        // squid logs a request as it ends.
        drop((plain, local, tls));
        let request = format!("http://127.0.0.1:{port}/tasks/subscribe");
        let deadline = tokio::time::Instant::now() + WITHIN;
        while !squid.access_log().contains(&request) {
            assert!(tokio::time::Instant::now() < deadline, "squid never logged {request}: {}", squid.access_log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let carried = squid.access_log();
        assert!(!carried.contains("localhost"), "NO_PROXY's host went straight: {carried}");
        let door_port = door.nginx.url.rsplit(':').next().unwrap().to_owned();
        assert!(dante.log().contains(&format!("127.0.0.1.{door_port}")), "{}", dante.log());
    });
}
