//! Two hubs on one Redis behind a real nginx (from apt) as the load
//! balancer, as a team runs them: started by the test on 127.0.0.1 with its
//! own config and prefix (`nginx -c FILE -p DIR`), never as a service.
//!
//! Through the balancer, the two hubs are one: a change made through it
//! reaches every stream, and everyone is told who is here, whichever hub
//! each landed on. The hubs trust nginx's `X-Forwarded-For`, so the limit
//! per client holds for each client, not for nginx's one address.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use herald_hub::HubConfig;
use herald_test_support::nginx::Nginx;
use serde_json::json;
use support::*;

/// Starts nginx, round robin over `hubs`, set up for event streams as the
/// README says.
async fn balance(hubs: &[SocketAddr]) -> Nginx {
    let servers: String = hubs.iter().map(|hub| format!("server {hub}; ")).collect();
    let location = r#"location / {
            proxy_pass http://hubs;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }"#;
    Nginx::start("", &format!("upstream hubs {{ {servers}}}"), location).await
}

/// A client on its own loopback address, as another machine would be.
fn from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(ip.parse::<IpAddr>().unwrap()).build().unwrap()
}

async fn subscribe(nginx: &Nginx, client: &reqwest::Client, token: &str) -> reqwest::Response {
    client.get(format!("{}/tasks/subscribe", nginx.url)).bearer_auth(token).send().await.unwrap()
}

/// Reads presences until one is `want`.
async fn until_here(stream: &mut Stream, want: &[(&str, Option<i64>)]) {
    let want = here(want);
    let mut seen = Vec::new();
    while stream.next_presence().await != want {
        seen.push(());
        assert!(seen.len() < 100, "never {want:?}");
    }
}

/// The next event that is a change.
async fn next_change(stream: &mut Stream) -> (String, String) {
    loop {
        let event = stream.next_event().await.expect("the stream ended");
        if &*event.event != herald_wire::PRESENCE_EVENT {
            return (event.event.to_string(), event.last_event_id.to_string());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_behind_nginx_serve_as_one_and_count_each_client() {
    let config = || {
        HubConfig::default()
            .with_actor("Ana", ANA)
            .with_actor("Bob", BOB)
            .with_presence(Duration::from_millis(50), Duration::from_secs(60))
            .with_stream_limits(100, 1)
            .with_trusted_proxies(["127.0.0.1/32".parse().unwrap()])
    };
    let a = start(Backend::Redis, config()).await;
    let b = another_on(a.redis.as_ref().unwrap(), config()).await;
    let nginx = balance(&[a.addr, b.addr]).await;

    let mut bob = Stream::from_response(subscribe(&nginx, &from("127.0.0.2"), BOB).await);
    let mut ana = Stream::from_response(subscribe(&nginx, &from("127.0.0.3"), ANA).await);
    assert_eq!((a.hub.open_streams(), b.hub.open_streams()), (1, 1), "nginx sent one stream to each hub");
    until_here(&mut bob, &[("Ana", None), ("Bob", None)]).await;
    until_here(&mut ana, &[("Ana", None), ("Bob", None)]).await;

    let made = from("127.0.0.4").post(format!("{}/tasks", nginx.url)).bearer_auth(ANA).json(&json!({"name": "x"}));
    assert_eq!(made.send().await.unwrap().status(), 201);
    for stream in [&mut bob, &mut ana] {
        assert_eq!(next_change(stream).await, ("create".to_owned(), "1".to_owned()));
    }

    // One stream each is the limit, and every client gets its one: to the
    // hubs, they are four clients, not nginx four times.
    let mut more = Vec::new();
    for ip in ["127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8"] {
        let response = subscribe(&nginx, &from(ip), BOB).await;
        assert_eq!(response.status(), 200, "the stream of {ip}");
        more.push(response);
    }
    assert_eq!(a.hub.open_streams() + b.hub.open_streams(), 6);
}
