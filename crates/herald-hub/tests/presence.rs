//! Who is here, over real loopback sockets: presence on connect, on join
//! and leave, focus and its expiry, and none of it for anonymous readers
//! or in the replayed log. The debounce itself is tested on a paused clock
//! in `src/presence/mod.rs`.
//!
//! Every test runs on both backends. Hubs on one Redis also share who is
//! here: those tests follow the others.

#[macro_use]
mod support;

use std::time::Duration;

use herald_hub::HubConfig;
use serde_json::json;
use support::*;

const CAROL: &str = "carol-token-1";

/// A hub that tells presence quickly, so the tests do not wait on the
/// 2 s default; focus holds for `focus_ttl`.
async fn hub(backend: Backend, focus_ttl: Duration) -> TestHub {
    let config = HubConfig::default()
        .with_actor("Ana", ANA)
        .with_actor("Bob", BOB)
        .with_actor("Carol", CAROL)
        .with_anonymous_reads(true)
        .with_presence(Duration::from_millis(50), focus_ttl);
    start(backend, config).await
}

async fn view(hub: &herald_hub::LocalHub, token: &str, viewing: serde_json::Value) -> reqwest::StatusCode {
    let request = client().put(url(hub, "/presence")).bearer_auth(token).json(&json!({ "viewing": viewing }));
    request.send().await.unwrap().status()
}

on_both_backends! {
    async fn presence_is_told_on_connect_on_join_and_on_leave(backend) {
        let hub = hub(backend, Duration::from_secs(60)).await;
        let mut ana = Stream::open(&hub, Some(ANA)).await;
        assert_eq!(ana.next_presence().await, here(&[("Ana", None)]), "told once on connect, self included");

        let mut bob = Stream::open(&hub, Some(BOB)).await;
        assert_eq!(bob.next_presence().await, here(&[("Ana", None), ("Bob", None)]));
        assert_eq!(ana.next_presence().await, here(&[("Ana", None), ("Bob", None)]), "Bob's join");

        drop(bob);
        assert_eq!(ana.next_presence().await, here(&[("Ana", None)]), "Bob left when his connection closed");
    }

    async fn a_reconnection_storm_leaves_the_count_right(backend) {
        let hub = hub(backend, Duration::from_secs(60)).await;
        let mut ana = Stream::open(&hub, Some(ANA)).await;
        ana.next_presence().await;
        let mut streams = Vec::new();
        for _ in 0..10 {
            streams.push(Stream::open(&hub, Some(BOB)).await);
            streams.push(Stream::open(&hub, Some(BOB)).await);
            drop(streams.pop());
        }
        ana.until_presence(&[("Ana", None), ("Bob", None)]).await;
        let last = streams.pop();
        drop(streams);
        let mut carol = Stream::open(&hub, Some(CAROL)).await;
        assert_eq!(carol.next_presence().await, here(&[("Ana", None), ("Bob", None), ("Carol", None)]));
        drop(last);
        carol.until_presence(&[("Ana", None), ("Carol", None)]).await;
    }

    async fn focus_is_told_and_runs_out_unless_renewed(backend) {
        let hub = hub(backend, Duration::from_millis(500)).await;
        let mut ana = Stream::open(&hub, Some(ANA)).await;
        let _bob = Stream::open(&hub, Some(BOB)).await;
        ana.until_presence(&[("Ana", None), ("Bob", None)]).await;

        assert_eq!(view(&hub, BOB, json!(12)).await, 204);
        ana.until_presence(&[("Ana", None), ("Bob", Some(12))]).await;
        assert_eq!(ana.next_presence().await, here(&[("Ana", None), ("Bob", None)]), "the focus ran out");

        assert_eq!(view(&hub, BOB, json!(3)).await, 204);
        ana.until_presence(&[("Ana", None), ("Bob", Some(3))]).await;
        assert_eq!(view(&hub, BOB, json!(null)).await, 204);
        assert_eq!(ana.next_presence().await, here(&[("Ana", None), ("Bob", None)]), "closing the record ends it");
    }

    async fn anonymous_readers_are_not_present_and_not_told(backend) {
        let hub = hub(backend, Duration::from_secs(60)).await;
        let mut anonymous = Stream::open(&hub, None).await;
        let mut ana = Stream::open(&hub, Some(ANA)).await;
        assert_eq!(ana.next_presence().await, here(&[("Ana", None)]), "the anonymous reader is not here");
        assert_eq!(view(&hub, "", json!(1)).await, 401);
        let anonymous_view = client().put(url(&hub, "/presence")).json(&json!({"viewing": 1})).send().await.unwrap();
        assert_eq!(anonymous_view.status(), 401, "only a known actor can be present");

        client().post(url(&hub, "/tasks")).bearer_auth(BOB).json(&json!({"name": "x"})).send().await.unwrap();
        let first = anonymous.next_event().await.unwrap();
        assert_eq!(&*first.event, "create", "an anonymous stream carries changes only");
    }

    async fn a_reconnecting_client_gets_the_presence_of_now_not_its_history(backend) {
        let hub = hub(backend, Duration::from_secs(60)).await;
        let mut ana = Stream::open(&hub, Some(ANA)).await;
        let bob = Stream::open(&hub, Some(BOB)).await;
        ana.until_presence(&[("Ana", None), ("Bob", None)]).await;
        drop(bob);
        ana.until_presence(&[("Ana", None)]).await;
        for name in ["one", "two"] {
            client().post(url(&hub, "/tasks")).bearer_auth(ANA).json(&json!({ "name": name })).send().await.unwrap();
        }
        drop(ana);

        let response =
            client().get(url(&hub, "/tasks/subscribe")).bearer_auth(ANA).header("last-event-id", "0").send().await.unwrap();
        let mut again = Stream::from_response(response);
        let mut got = Vec::new();
        for _ in 0..3 {
            let event = again.next_event().await.unwrap();
            got.push((event.event.to_string(), event.last_event_id.to_string()));
        }
        assert_eq!(
            got,
            [("presence".to_owned(), String::new()), ("create".into(), "1".into()), ("create".into(), "2".into())],
            "presence now, with no id, then the replayed changes"
        );
    }

    /// A client that stops taking what the hub sends (it stopped reading, or
    /// its network went away) is cut off a keepalive interval after the hub's
    /// data went unacknowledged, and leaves. Without that, TCP would keep its
    /// stream, and its actor present, for as long as it acknowledges probes.
    #[cfg(target_os = "linux")]
    async fn a_client_that_stops_taking_data_is_cut_off_and_leaves(backend) {
        use std::io::Write;

        let config = HubConfig::default()
            .with_actor("Ana", ANA)
            .with_actor("Bob", BOB)
            .with_keepalive(Duration::from_secs(1))
            .with_presence(Duration::from_millis(50), Duration::from_secs(60));
        let hub = start(backend, config).await;
        let mut ana = Stream::open(&hub, Some(ANA)).await;
        ana.until_presence(&[("Ana", None)]).await;

        // Bob subscribes with the smallest receive buffer there is, and never reads.
        let bob = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        bob.set_recv_buffer_size(1).unwrap();
        bob.connect(&hub.addr.into()).unwrap();
        let mut bob = std::net::TcpStream::from(bob);
        let request = format!("GET /tasks/subscribe HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {BOB}\r\n\r\n", hub.addr);
        bob.write_all(request.as_bytes()).unwrap();
        ana.until_presence(&[("Ana", None), ("Bob", None)]).await;

        // Changes fill Bob's window; the hub's sends then go unacknowledged.
        let name = "x".repeat(500);
        for _ in 0..200 {
            hub.hub.create("Ana", &name).await.unwrap();
        }
        ana.until_presence(&[("Ana", None)]).await;
        drop(bob);
    }
}

/// Two hubs on one Redis, telling presence quickly.
async fn two_hubs() -> (TestHub, herald_hub::LocalHub) {
    let a = hub(Backend::Redis, Duration::from_secs(60)).await;
    let config = HubConfig::default()
        .with_actor("Ana", ANA)
        .with_actor("Bob", BOB)
        .with_actor("Carol", CAROL)
        .with_presence(Duration::from_millis(50), Duration::from_secs(60));
    let b = another_on(a.redis.as_ref().unwrap(), config).await;
    (a, b)
}

/// Behind a load balancer, people land on different hubs. Each is told
/// everyone, joins, focus and leaves alike, and a hub that stops takes its
/// people with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubs_on_one_redis_tell_everyone_whichever_hub_they_are_on() {
    let (a, b) = two_hubs().await;
    let mut bob = Stream::open(&a, Some(BOB)).await;
    bob.until_presence(&[("Bob", None)]).await;
    let mut ana = Stream::open(&b, Some(ANA)).await;
    ana.until_presence(&[("Ana", None), ("Bob", None)]).await;
    bob.until_presence(&[("Ana", None), ("Bob", None)]).await;

    assert_eq!(view(&b, ANA, json!(7)).await, 204);
    bob.until_presence(&[("Ana", Some(7)), ("Bob", None)]).await;
    drop(ana);
    bob.until_presence(&[("Bob", None)]).await;

    let _carol = Stream::open(&b, Some(CAROL)).await;
    bob.until_presence(&[("Bob", None), ("Carol", None)]).await;
    b.stop().await.unwrap();
    bob.until_presence(&[("Bob", None)]).await;
}

/// A hub that dies says nothing; its part of who is here runs out in
/// Redis, and the others forget it at their next heartbeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_people_of_a_hub_that_died_leave_when_its_part_runs_out() {
    let a = hub(Backend::Redis, Duration::from_secs(60)).await;
    let mut bob = Stream::open(&a, Some(BOB)).await;
    bob.until_presence(&[("Bob", None)]).await;

    // What a hub writes, written by hand, to hold for 300 ms, as if its
    // hub died right after.
    let redis = ::redis::Client::open(a.redis.as_ref().unwrap().location().url).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let part = json!({"present": [{"actor": "Zed", "viewing": 4}]}).to_string();
    ::redis::pipe()
        .pset_ex("herald:presence:dead", part, 300)
        .sadd("herald:presence", "dead")
        .publish("herald:presence", "dead")
        .exec_async(&mut conn)
        .await
        .unwrap();
    bob.until_presence(&[("Bob", None), ("Zed", Some(4))]).await;
    bob.until_presence(&[("Bob", None)]).await;
    let hubs: Vec<String> = ::redis::cmd("SMEMBERS").arg("herald:presence").query_async(&mut conn).await.unwrap();
    assert!(!hubs.contains(&"dead".to_string()), "the dead hub is struck from the set: {hubs:?}");
    assert_eq!(hubs.len(), 1, "the live hub is still there: {hubs:?}");
}
