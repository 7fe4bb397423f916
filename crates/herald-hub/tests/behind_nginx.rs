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
    bob.until_presence(&[("Ana", None), ("Bob", None)]).await;
    ana.until_presence(&[("Ana", None), ("Bob", None)]).await;

    let made = from("127.0.0.4").post(format!("{}/tasks", nginx.url)).bearer_auth(ANA).json(&json!({"name": "x"}));
    assert_eq!(made.send().await.unwrap().status(), 201);
    for stream in [&mut bob, &mut ana] {
        let change = stream.next_change().await;
        assert_eq!((&*change.event, &*change.last_event_id), ("create", "1"));
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
