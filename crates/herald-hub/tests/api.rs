//! The hub over real loopback sockets: REST, the event stream, replay and auth.

use std::time::Duration;

#[macro_use]
mod support;

use herald_core::sse::{Decoder, Event, Frame};
use herald_hub::{HubConfig, TaskPatch};
use serde_json::{json, Value};
use support::*;

/// Reads an SSE response until `want` frames have arrived (or the deadline
/// passes), leaving out who is here: `tests/presence.rs` reads that.
async fn read_frames(response: &mut reqwest::Response, want: usize) -> Vec<Frame> {
    let mut decoder = Decoder::default();
    let mut frames = Vec::new();
    let presence = |f: &Frame| matches!(f, Frame::Event(e) if &*e.event == herald_wire::PRESENCE_EVENT);
    tokio::time::timeout(DEADLINE, async {
        while frames.len() < want {
            let chunk = response.chunk().await.unwrap().expect("stream ended early");
            decoder.feed(&chunk, &mut |f| {
                if !presence(&f) {
                    frames.push(f)
                }
            });
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} of {want} frames arrived: {frames:?}", frames.len()));
    frames
}

fn events(frames: &[Frame]) -> Vec<&Event> {
    frames.iter().filter_map(|f| if let Frame::Event(e) = f { Some(e) } else { None }).collect()
}

/// The event's JSON with its timestamp checked and removed.
fn without_at(data: &str) -> Value {
    let mut v: Value = serde_json::from_str(data).unwrap();
    let at = v.as_object_mut().unwrap().remove("at").expect("every event says when");
    assert!(at.as_i64().unwrap() > 1_600_000_000_000);
    v
}

on_both_backends! {
    async fn rest_round_trips(backend) {
        let hub = default_hub(backend).await;
        let c = client();
        let created =
            c.post(url(&hub, "/tasks")).bearer_auth(ANA).json(&json!({"name": "  Buy milk "})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        assert_eq!(created.headers()["location"], "/tasks/1");
        let task: Value = created.json().await.unwrap();
        assert_eq!(task, json!({"id": 1, "name": "Buy milk", "done": false, "version": 1}));

        let updated = json_of(c.put(url(&hub, "/tasks/1")).bearer_auth(BOB).json(&json!({"done": true}))).await;
        assert_eq!(updated, json!({"id": 1, "name": "Buy milk", "done": true, "version": 2}));

        let one = c.get(url(&hub, "/tasks/1")).bearer_auth(ANA).send().await.unwrap();
        assert_eq!(one.headers()["etag"], "\"2\"", "the version is the entity tag");
        assert_eq!(one.json::<Value>().await.unwrap(), updated);

        let list = c.get(url(&hub, "/tasks")).bearer_auth(ANA).send().await.unwrap();
        assert_eq!(list.headers()["herald-sequence"], "2", "two changes so far");
        assert_eq!(list.json::<Value>().await.unwrap(), json!([updated]));

        assert_eq!(c.delete(url(&hub, "/tasks/1")).bearer_auth(ANA).send().await.unwrap().status(), 204);
        assert_eq!(c.get(url(&hub, "/tasks/1")).bearer_auth(ANA).send().await.unwrap().status(), 404);
        assert_eq!(c.delete(url(&hub, "/tasks/1")).bearer_auth(ANA).send().await.unwrap().status(), 404);

        let me = json_of(c.get(url(&hub, "/me")).bearer_auth(BOB)).await;
        assert_eq!(me, json!({"actor": "Bob"}));
        let lower = json_of(c.get(url(&hub, "/me")).header("authorization", format!("bearer {BOB}"))).await;
        assert_eq!(lower, json!({"actor": "Bob"}), "the scheme is case-insensitive");
    }

    async fn bad_requests_get_clear_errors(backend) {
        let hub = default_hub(backend).await;
        let c = client();
        let empty = c.post(url(&hub, "/tasks")).bearer_auth(ANA).json(&json!({"name": "  "})).send().await.unwrap();
        assert_eq!(empty.status(), 422);
        assert_eq!(empty.json::<Value>().await.unwrap(), json!({"error": "name must not be empty"}));
        let nothing = c.put(url(&hub, "/tasks/1")).bearer_auth(ANA).json(&json!({})).send().await.unwrap();
        assert_eq!(nothing.status(), 422);
        let unknown_field =
            c.post(url(&hub, "/tasks")).bearer_auth(ANA).json(&json!({"name": "x", "owner": 1})).send().await.unwrap();
        assert_eq!(unknown_field.status(), 422);
        let bad_id = c.get(url(&hub, "/tasks/abc")).bearer_auth(ANA).send().await.unwrap();
        assert_eq!(bad_id.status(), 400);
    }

    async fn unknown_tokens_get_401_and_anonymous_reads_are_opt_in(backend) {
        let hub = default_hub(backend).await;
        let c = client();
        for request in [
            c.get(url(&hub, "/tasks")),
            c.get(url(&hub, "/tasks")).bearer_auth("wrong-token"),
            c.post(url(&hub, "/tasks")).bearer_auth("wrong-token").json(&json!({"name": "x"})),
            c.get(url(&hub, "/tasks/subscribe")).bearer_auth("wrong-token"),
            c.get(url(&hub, "/tasks")).basic_auth("Ana", Some(ANA)),
        ] {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401);
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }

        let open = start(backend, HubConfig::default().with_actor("Ana", ANA).with_anonymous_reads(true)).await;
        assert_eq!(c.get(url(&open, "/tasks")).send().await.unwrap().status(), 200);
        assert_eq!(c.get(url(&open, "/tasks")).bearer_auth("wrong-token").send().await.unwrap().status(), 401);
        let write = c.post(url(&open, "/tasks")).json(&json!({"name": "x"})).send().await.unwrap();
        assert_eq!(write.status(), 401, "anonymous writes are never allowed");
    }

    async fn the_stream_carries_ids_event_types_and_actors(backend) {
        let hub = default_hub(backend).await;
        let c = client();
        let mut stream = c.get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB).send().await.unwrap();
        assert_eq!(stream.status(), 200);
        assert_eq!(stream.headers()["content-type"], "text/event-stream");
        // The retry field comes first, once; reading it proves the subscription is live.
        assert_eq!(read_frames(&mut stream, 1).await, vec![Frame::Retry(Duration::from_millis(3000))]);

        let id = json_of(c.post(url(&hub, "/tasks")).bearer_auth(ANA).json(&json!({"name": "Buy milk"}))).await["id"]
            .as_i64()
            .unwrap();
        c.put(url(&hub, &format!("/tasks/{id}"))).bearer_auth(BOB).json(&json!({"done": true})).send().await.unwrap();
        c.delete(url(&hub, &format!("/tasks/{id}"))).bearer_auth(ANA).send().await.unwrap();

        let frames = read_frames(&mut stream, 3).await;
        let got: Vec<(String, String, Value)> = events(&frames)
            .iter()
            .map(|e| (e.event.to_string(), e.last_event_id.to_string(), without_at(&e.data)))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "create".into(),
                    "1".into(),
                    json!({"id": id, "name": "Buy milk", "done": false, "version": 1, "actor": "Ana"})
                ),
                (
                    "update".into(),
                    "2".into(),
                    json!({"id": id, "name": "Buy milk", "done": true, "version": 2, "actor": "Bob"})
                ),
                ("delete".into(), "3".into(), json!({"id": id, "version": 3, "actor": "Ana"})),
            ]
        );
    }

    async fn the_stream_replays_every_change_after_last_event_id(backend) {
        let hub = default_hub(backend).await;
        for i in 0..5 {
            hub.hub.create("Ana", &format!("task {i}")).await.unwrap();
        }
        hub.hub.update("Bob", 2, &TaskPatch { done: Some(true), name: None }, None).await.unwrap();

        let mut stream =
            client().get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB).header("Last-Event-ID", "3").send().await.unwrap();
        let frames = read_frames(&mut stream, 4).await;
        let ids: Vec<&str> = events(&frames).iter().map(|e| &*e.last_event_id).collect();
        assert_eq!(ids, ["4", "5", "6"]);

        // Live changes follow the replay with no gap and no repeat.
        hub.hub.create("Ana", "task 5").await.unwrap();
        let next = read_frames(&mut stream, 1).await;
        assert_eq!(events(&next)[0].last_event_id, "7");

        let bad = client()
            .get(url(&hub, "/tasks/subscribe"))
            .bearer_auth(BOB)
            .header("Last-Event-ID", "seven")
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
    }

    /// The log keeps at least `history` changes: exactly that many on
    /// SQLite, and whole blocks of its stream on Redis (`MAXLEN ~`).
    async fn a_cursor_older_than_the_bounded_log_gets_reset_not_a_gap(backend) {
        const MADE: u64 = 250;
        let mut config = HubConfig::default().with_actor("Bob", BOB);
        config.history = Some(3);
        let hub = start(backend, config).await;
        for i in 0..MADE {
            hub.hub.create("Ana", &format!("task {i}")).await.unwrap();
        }
        let oldest = hub.hub.oldest_seq().await.unwrap().unwrap();
        assert!(oldest > 1 && oldest <= MADE - 2, "the log forgot the oldest and keeps the last 3: from {oldest}");
        let subscribe = |last: String| {
            client().get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB).header("Last-Event-ID", last).send()
        };

        // The change after the cursor is gone: the client is told to resync, from the last.
        let mut stream = subscribe((oldest - 2).to_string()).await.unwrap();
        let frames = read_frames(&mut stream, 2).await;
        let reset = events(&frames)[0];
        assert_eq!(
            (&*reset.event, &*reset.data, &*reset.last_event_id),
            ("reset", &*format!("{{\"seq\":{MADE}}}"), &*MADE.to_string())
        );
        hub.hub.create("Ana", "after the reset").await.unwrap();
        let next = read_frames(&mut stream, 1).await;
        assert_eq!((&*events(&next)[0].event, &*events(&next)[0].last_event_id), ("create", &*(MADE + 1).to_string()));

        // A cursor the log still reaches is replayed as usual.
        let mut stream = subscribe((MADE - 2).to_string()).await.unwrap();
        let frames = read_frames(&mut stream, 4).await;
        let ids: Vec<&str> = events(&frames).iter().map(|e| &*e.last_event_id).collect();
        let want: Vec<String> = (MADE - 1..=MADE + 1).map(|id| id.to_string()).collect();
        assert_eq!(ids, want);
    }

    /// A cursor ahead of the log is one the hub cannot honour: its store
    /// lost the log (or it was given a fresh one), and the numbers it hands
    /// out now would look like ones the client has. It is told to reset,
    /// and resumes from the hub's own number.
    async fn a_cursor_ahead_of_the_log_gets_reset(backend) {
        let hub = start(backend, HubConfig::default().with_actor("Bob", BOB)).await;
        for name in ["a", "b"] {
            hub.hub.create("Ana", name).await.unwrap();
        }
        let mut stream = client()
            .get(url(&hub, "/tasks/subscribe"))
            .bearer_auth(BOB)
            .header("Last-Event-ID", "40")
            .send()
            .await
            .unwrap();
        let frames = read_frames(&mut stream, 2).await;
        let reset = events(&frames)[0];
        assert_eq!((&*reset.event, &*reset.data, &*reset.last_event_id), ("reset", "{\"seq\":2}", "2"));
        hub.hub.create("Ana", "c").await.unwrap();
        let next = read_frames(&mut stream, 1).await;
        assert_eq!((&*events(&next)[0].event, &*events(&next)[0].last_event_id), ("create", "3"));
    }

    async fn idle_streams_get_keepalive_comments(backend) {
        let hub = start(backend, HubConfig::default().with_actor("Bob", BOB).with_keepalive(Duration::from_millis(50))).await;
        let mut stream = client().get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB).send().await.unwrap();
        let frames = read_frames(&mut stream, 3).await;
        let keepalive = || Frame::Comment("keepalive".into());
        assert_eq!(frames[1..], [keepalive(), keepalive()]);
    }

    async fn shutdown_ends_open_streams(backend) {
        let hub = start(backend, HubConfig::default().with_actor("Bob", BOB)).await;
        let mut stream = client().get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB).send().await.unwrap();
        read_frames(&mut stream, 1).await;
        tokio::time::timeout(DEADLINE, hub.stop()).await.expect("the hub stopped").unwrap();
        let rest = tokio::time::timeout(DEADLINE, async { while let Ok(Some(_)) = stream.chunk().await {} }).await;
        assert!(rest.is_ok(), "the stream ended");
    }
}
