//! Arbitrary requests to the hub's REST routes: a create, an update, a
//! delete or a presence, with an arbitrary body, `Idempotency-Key` and
//! `If-Match`, through the hub's own router (axum), on SQLite in memory.
//!
//! Input: the first byte picks the route; then the key, the `If-Match` and
//! the body, separated by 0xFF bytes.
//!
//! Properties: nothing panics, and bad input is the client's error (4xx),
//! never the hub's (5xx).

#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use herald_hub::StoreLocation;
use herald_hub::{router, Hub, HubConfig};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const TOKEN: &str = "ana-fuzz-token";

struct Served {
    runtime: tokio::runtime::Runtime,
    hub: Arc<Hub>,
}

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let config = HubConfig::default().with_actor("Ana", TOKEN);
        let hub = runtime.block_on(Hub::open(config, &StoreLocation::Memory)).expect("a hub");
        runtime.block_on(hub.create("Ana", "Buy milk")).expect("a task");
        Served { runtime, hub }
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&route, rest)) = input.split_first() else { return };
    let mut parts = rest.splitn(3, |&b| b == 0xFF);
    let (key, if_match, body) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next());
    let (method, path) = match route % 4 {
        0 => (Method::POST, "/tasks"),
        1 => (Method::PUT, "/tasks/1"),
        2 => (Method::DELETE, "/tasks/1"),
        _ => (Method::PUT, "/presence"),
    };
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json");
    if route & 0x10 != 0 {
        request = request.header("idempotency-key", key);
    }
    if route & 0x20 != 0 {
        request = request.header("if-match", if_match);
    }
    let Ok(mut request) = request.body(Body::from(body.unwrap_or_default().to_vec())) else { return };
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let served = served();
    let response = served.runtime.block_on(router(served.hub.clone()).oneshot(request)).expect("an answer");
    assert!(!response.status().is_server_error(), "{} for {input:?}", response.status());
});
