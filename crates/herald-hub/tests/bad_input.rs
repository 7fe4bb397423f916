//! What the open internet sends, on both backends over real loopback
//! sockets: each bad request gets its status and a clear error, and the hub
//! goes on serving everyone else.

#[macro_use]
mod support;

use std::io::Write;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};
use support::*;

/// Posts `body` as JSON to `path` as Ana.
async fn send(hub: &TestHub, method: reqwest::Method, path: &str, body: Vec<u8>) -> reqwest::Response {
    let request = client().request(method, url(hub, path)).bearer_auth(ANA);
    request.header("content-type", "application/json").body(body).send().await.unwrap()
}

/// The status line the hub answers a 20 MB create with. The hub stops
/// reading past its limit and may close before the body is all sent, so the
/// body is written (its failure ignored) while the answer is read.
async fn twenty_megabytes(hub: &TestHub) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    const SIZE: usize = 20 << 20;
    let tcp = tokio::net::TcpStream::connect(hub.addr).await.unwrap();
    let (read, mut write) = tcp.into_split();
    let head = format!(
        "POST /tasks HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {ANA}\r\n\
         Content-Type: application/json\r\nContent-Length: {SIZE}\r\n\r\n"
    );
    let sending = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        let chunk = vec![b'['; 64 << 10];
        for _ in 0..SIZE / chunk.len() {
            write.write_all(&chunk).await?;
        }
        std::io::Result::Ok(write)
    });
    let mut status = String::new();
    let mut read = tokio::io::BufReader::new(read);
    let answered = read.read_line(&mut status);
    tokio::time::timeout(DEADLINE, answered).await.expect("answered").unwrap();
    sending.abort();
    status.trim_end().to_owned()
}

/// The hub still lists its tasks, so a bad request cost nothing else.
async fn still_serving(hub: &TestHub) {
    let list = client().get(url(hub, "/tasks")).bearer_auth(BOB).send().await.unwrap();
    assert_eq!(list.status(), 200, "the hub goes on serving");
}

/// A request's status, and its JSON error message (every refusal has one).
async fn refused(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (status, body)
}

on_both_backends! {
    async fn oversized_and_deeply_nested_bodies_are_refused(backend) {
        let hub = default_hub(backend).await;
        assert_eq!(twenty_megabytes(&hub).await, "HTTP/1.1 413 Payload Too Large");

        // 100,000 levels deep, where a name belongs, as the whole body, and
        // where a field of a change belongs: each is refused as it is read,
        // and nothing recurses that far.
        let arrays = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let nested = format!("{{\"name\":{}}}", arrays(100_000)).into_bytes();
        let (status, body) = refused(send(&hub, reqwest::Method::POST, "/tasks", nested).await).await;
        assert_eq!((status, body.contains("invalid type: sequence, expected a string")), (422, true), "{body}");
        let (status, body) = refused(send(&hub, reqwest::Method::POST, "/tasks", arrays(100_000).into_bytes()).await).await;
        assert_eq!(status, 422, "{body}");
        let nested = format!("{{\"done\":{}}}", "{\"a\":".repeat(50_000) + &"}".repeat(50_000)).into_bytes();
        let (status, body) = refused(send(&hub, reqwest::Method::PUT, "/tasks/1", nested).await).await;
        assert_eq!(status, 422, "{body}");
        still_serving(&hub).await;
    }

    async fn invalid_utf8_and_invalid_json_get_400(backend) {
        let hub = default_hub(backend).await;
        let latin1 = b"{\"name\":\"caf\xe9\"}".to_vec();
        assert_eq!(send(&hub, reqwest::Method::POST, "/tasks", latin1).await.status(), 400);
        let cut = b"{\"name\":\"Buy".to_vec();
        assert_eq!(send(&hub, reqwest::Method::POST, "/tasks", cut).await.status(), 400);
        let not_json = b"name=Buy+milk".to_vec();
        assert_eq!(send(&hub, reqwest::Method::PUT, "/tasks/1", not_json).await.status(), 400);
        let wrong_type = client().post(url(&hub, "/tasks")).bearer_auth(ANA).body("{\"name\":\"x\"}").send().await;
        assert_eq!(wrong_type.unwrap().status(), 415, "JSON must say it is JSON");
        let long_name = json!({ "name": "x".repeat(1_900_000) }).to_string().into_bytes();
        assert_eq!(send(&hub, reqwest::Method::POST, "/tasks", long_name).await.status(), 422);
        still_serving(&hub).await;
    }

    async fn a_1_mb_last_event_id_gets_431(backend) {
        let hub = default_hub(backend).await;
        let request = client().get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB);
        let huge = request.header("Last-Event-ID", "9".repeat(1 << 20)).send().await.unwrap();
        assert_eq!(huge.status(), 431);
        let request = client().get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB);
        let not_a_number = request.header("Last-Event-ID", "99999999999999999999999").send().await.unwrap();
        assert_eq!(not_a_number.status(), 422, "past u64 is not a sequence number");
        still_serving(&hub).await;
    }

    async fn unknown_methods_get_405_with_what_is_allowed(backend) {
        let hub = default_hub(backend).await;
        let patch = client().patch(url(&hub, "/tasks/1")).bearer_auth(ANA).send().await.unwrap();
        assert_eq!(patch.status(), 405);
        let allow = patch.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("PUT") && allow.contains("DELETE"), "{allow}");
        let brew = reqwest::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(client().request(brew, url(&hub, "/tasks")).send().await.unwrap().status(), 405);
        let nowhere = client().get(url(&hub, "/coffee")).send().await.unwrap();
        assert_eq!(nowhere.status(), 404);
        still_serving(&hub).await;
    }

    /// 2,000 connections that send half a request and wait, each of them a
    /// socket the hub holds: everyone else is still served, and at once.
    async fn two_thousand_idle_connections_cost_everyone_else_nothing(backend) {
        let hub = default_hub(backend).await;
        let mut idle = Vec::new();
        for _ in 0..2_000 {
            let mut tcp = std::net::TcpStream::connect(hub.addr).unwrap();
            tcp.write_all(b"GET /tasks HTTP/1.1\r\nHost: hub\r\n").unwrap();
            idle.push(tcp);
        }
        let made = client().post(url(&hub, "/tasks")).bearer_auth(ANA).json(&json!({"name": "Buy milk"})).send();
        assert_eq!(tokio::time::timeout(DEADLINE, made).await.expect("answered").unwrap().status(), 201);
        let mut stream = Stream::open(&hub, Some(BOB)).await;
        assert!(stream.next_event().await.is_some(), "a stream still opens");
        still_serving(&hub).await;
        drop(idle);
    }
}

/// Bodies of any shape (JSON or not, valid or not, for a create or an
/// update) get a client error or success, never a server error, and each
/// leaves the hub serving.
fn any_body() -> impl Strategy<Value = Vec<u8>> {
    let json = prop_oneof![
        any::<String>().prop_map(|name| json!({ "name": name })),
        (any::<Option<String>>(), any::<Option<bool>>()).prop_map(|(name, done)| json!({ "name": name, "done": done })),
        any::<i64>().prop_map(|n| json!({ "name": n })),
        "[a-z]{1,8}".prop_map(|key| json!({ key: "x" })),
        Just(json!(null)),
        Just(json!([])),
    ];
    prop_oneof![
        json.prop_map(|v: Value| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..256),
        "\\PC{0,64}".prop_map(String::into_bytes),
    ]
}

fn bodies_never_cost_a_server_error(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let hub = runtime.block_on(default_hub(backend));
    let created = runtime.block_on(send(&hub, reqwest::Method::POST, "/tasks", br#"{"name":"seed"}"#.to_vec()));
    assert_eq!(created.status(), 201);
    let config = ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(body in any_body(), update in any::<bool>())| {
        let (method, path) = if update { (reqwest::Method::PUT, "/tasks/1") } else { (reqwest::Method::POST, "/tasks") };
        let status = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), send(&hub, method, path, body.clone())).await
        }).expect("answered").status();
        prop_assert!(status.is_success() || status.is_client_error(), "{status} for {:?}", String::from_utf8_lossy(&body));
    });
    runtime.block_on(still_serving(&hub));
}

#[test]
fn sqlite_bodies_never_cost_a_server_error() {
    bodies_never_cost_a_server_error(Backend::Sqlite);
}

#[test]
fn redis_bodies_never_cost_a_server_error() {
    bodies_never_cost_a_server_error(Backend::Redis);
}
