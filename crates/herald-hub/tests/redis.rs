//! Two hubs sharing one real `redis-server`, as behind a load balancer: a
//! change made through either reaches subscribers of both, live and on
//! replay, and killing Redis and starting it again loses nothing.

#[macro_use]
mod support;

use std::time::Duration;

use herald_hub::{LocalHub, StoreLocation};
use serde_json::{json, Value};
use support::*;

/// Creates a task through `hub` as Ana: its status, and the id if it was made.
async fn create(hub: &LocalHub, name: &str) -> (reqwest::StatusCode, Option<i64>) {
    let response = client().post(url(hub, "/tasks")).bearer_auth(ANA).json(&json!({ "name": name })).send().await;
    let response = response.unwrap();
    let status = response.status();
    let id = response.json::<Value>().await.ok().and_then(|v| v["id"].as_i64());
    (status, id)
}

/// Two hubs on one Redis, and the Redis.
async fn two_hubs() -> (TestHub, LocalHub) {
    let a = start(Backend::Redis, actors()).await;
    let b = another_on(a.redis.as_ref().unwrap(), actors()).await;
    (a, b)
}

/// The ids of the next `n` change events (presence passed over).
async fn ids(stream: &mut Stream, n: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    while ids.len() < n {
        ids.push(stream.next_change().await.last_event_id.parse().unwrap());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_one_hub_reaches_a_subscriber_of_the_other_live() {
    let (a, b) = two_hubs().await;
    let mut on_b = Stream::open(&b, Some(BOB)).await;
    let mut on_a = Stream::open(&a, Some(BOB)).await;
    assert_eq!(on_b.next_presence().await, here(&[("Bob", None)]));

    let (status, id) = create(&a, "Buy milk").await;
    assert_eq!(status, 201);
    let event = on_b.next_event().await.unwrap();
    assert_eq!((&*event.event, &*event.last_event_id), ("create", "1"));
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!((data["id"].as_i64(), &data["name"], &data["actor"]), (id, &json!("Buy milk"), &json!("Ana")));

    // And the other way, with one sequence for both.
    let done = client().put(url(&b, &format!("/tasks/{}", id.unwrap()))).bearer_auth(ANA).json(&json!({"done": true}));
    assert_eq!(done.send().await.unwrap().status(), 200);
    assert_eq!(ids(&mut on_a, 2).await, [1, 2]);
    assert_eq!(ids(&mut on_b, 1).await, [2]);
    let on_b_tasks: Value = json_of(client().get(url(&b, "/tasks")).bearer_auth(BOB)).await;
    assert_eq!(on_b_tasks[0]["done"], json!(true), "both hubs serve the one list");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_after_an_id_works_on_either_hub() {
    let (a, b) = two_hubs().await;
    for i in 0..5 {
        let hub: &LocalHub = if i % 2 == 0 { &a } else { &b };
        assert_eq!(create(hub, &format!("task {i}")).await.0, 201);
    }
    for hub in [&*a, &b] {
        let response = client().get(url(hub, "/tasks/subscribe")).bearer_auth(BOB).header("Last-Event-ID", "2");
        let mut stream = Stream::from_response(response.send().await.unwrap());
        assert_eq!(ids(&mut stream, 3).await, [3, 4, 5], "replayed by {}", hub.url);
    }
}

/// A hub refuses what it cannot do while Redis is down, and tells a client
/// when to try again; its streams stay open, and everything made before
/// and after arrives once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_mid_stream_and_restarting_it_loses_nothing() {
    const BEFORE: usize = 20;
    const AFTER: usize = 20;
    let (mut a, b) = two_hubs().await;
    let mut on_b = Stream::open(&b, Some(BOB)).await;
    for i in 0..BEFORE {
        assert_eq!(create(&a, &format!("before {i}")).await.0, 201);
    }
    assert_eq!(ids(&mut on_b, BEFORE).await, (1..=BEFORE as u64).collect::<Vec<_>>());

    a.redis.as_mut().unwrap().kill();
    let refused = client().post(url(&a, "/tasks")).bearer_auth(ANA).json(&json!({"name": "lost?"})).send().await;
    let refused = refused.unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let health = client().get(url(&b, "/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    assert_eq!(health.json::<Value>().await.unwrap(), json!({"store": "failing", "backend": "redis"}));
    let gone = client().get(url(&b, "/tasks")).bearer_auth(BOB).send().await.unwrap();
    assert_eq!(gone.status(), 503);

    a.redis.as_mut().unwrap().restart();
    // The hubs reconnect on their own; a writer tries again when told to.
    let mut made = 0;
    let give_up = tokio::time::Instant::now() + DEADLINE;
    while made < AFTER {
        assert!(tokio::time::Instant::now() < give_up, "the hub never wrote to the restarted Redis");
        match create(&a, &format!("after {made}")).await.0.as_u16() {
            201 => made += 1,
            503 => tokio::time::sleep(Duration::from_millis(20)).await,
            other => panic!("a write after the restart got {other}"),
        }
    }
    let last = (BEFORE + AFTER) as u64;
    assert_eq!(ids(&mut on_b, AFTER).await, (BEFORE as u64 + 1..=last).collect::<Vec<_>>(), "the live stream");
    // A subscriber that comes late replays all of it from Redis, once each.
    let mut late = Stream::from_response(
        client().get(url(&a, "/tasks/subscribe")).bearer_auth(BOB).header("Last-Event-ID", "0").send().await.unwrap(),
    );
    assert_eq!(ids(&mut late, last as usize).await, (1..=last).collect::<Vec<_>>(), "the replay");
}

/// A Redis that comes back without its data starts the sequence again
/// from 1. A stream left open, and a client that comes back with its cursor
/// from before, are told `event: reset` (with the new sequence number)
/// rather than left waiting for numbers they think they have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_comes_back_empty_resets_its_subscribers_and_they_go_on() {
    let (mut a, b) = two_hubs().await;
    let mut on_b = Stream::open(&b, Some(BOB)).await;
    for i in 0..5 {
        assert_eq!(create(&a, &format!("before {i}")).await.0, 201);
    }
    assert_eq!(ids(&mut on_b, 5).await, [1, 2, 3, 4, 5]);

    a.redis.as_mut().unwrap().restart_empty();
    let mut made = 0;
    let give_up = tokio::time::Instant::now() + DEADLINE;
    while made < 3 {
        assert!(tokio::time::Instant::now() < give_up, "the hub never wrote to the restarted Redis");
        match create(&a, &format!("after {made}")).await.0.as_u16() {
            201 => made += 1,
            503 => tokio::time::sleep(Duration::from_millis(20)).await,
            other => panic!("a write after the restart got {other}"),
        }
    }
    // The open stream: a reset, with the sequence number it resumes from,
    // then every change after that number, in order.
    let reset = on_b.next_change().await;
    assert_eq!(&*reset.event, herald_wire::RESET_EVENT, "got {reset:?}");
    let from: u64 = reset.last_event_id.parse().unwrap();
    assert!((1..=3).contains(&from), "resumes from {from}");
    assert_eq!(reset.data, format!("{{\"seq\":{from}}}"));
    assert_eq!(ids(&mut on_b, (3 - from) as usize).await, (from + 1..=3).collect::<Vec<_>>());

    // A client that comes back with its cursor from before is reset too.
    for hub in [&*a, &b] {
        let response = client().get(url(hub, "/tasks/subscribe")).bearer_auth(BOB).header("Last-Event-ID", "5");
        let mut stream = Stream::from_response(response.send().await.unwrap());
        let reset = stream.next_change().await;
        assert_eq!((&*reset.event, &*reset.last_event_id), (herald_wire::RESET_EVENT, "3"), "on {}", hub.url);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubs_with_different_prefixes_share_a_redis_and_nothing_else() {
    let a = start(Backend::Redis, actors()).await;
    let other =
        LocalHub::start(actors(), &StoreLocation::Redis(prefixed(a.redis.as_ref().unwrap(), "team-b"))).await.unwrap();
    assert_eq!(create(&a, "ours").await.0, 201);
    let theirs: Value = json_of(client().get(url(&other, "/tasks")).bearer_auth(BOB)).await;
    assert_eq!(theirs, json!([]));
}

/// A Redis that cannot be reached at start is one clear line and exit 2,
/// before anything is served.
#[test]
fn an_unreachable_redis_at_start_is_one_line_and_exit_2() {
    // A port nothing listens on: taken, then let go.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald-hub"))
        .args(["--listen", "127.0.0.1:0", "--redis", &format!("redis://:hunter22@{free}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(error[0].contains("cannot reach Redis at redis://…@127.0.0.1:"), "{stderr}");
    assert!(!stderr.contains("hunter22"), "the password is never printed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
