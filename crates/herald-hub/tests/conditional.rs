//! Versions and conditional writes over real loopback sockets: a write made
//! against an old version of a task never silently overwrites a newer one.

#[macro_use]
mod support;

use herald_core::sse::Event;
use serde_json::{json, Value};
use support::*;

fn put(
    hub: &herald_hub::LocalHub,
    token: &str,
    id: i64,
    if_match: Option<&str>,
    body: Value,
) -> reqwest::RequestBuilder {
    let request = client().put(url(hub, &format!("/tasks/{id}"))).bearer_auth(token).json(&body);
    match if_match {
        Some(tag) => request.header("if-match", tag),
        None => request,
    }
}

fn delete(hub: &herald_hub::LocalHub, token: &str, id: i64, if_match: Option<&str>) -> reqwest::RequestBuilder {
    let request = client().delete(url(hub, &format!("/tasks/{id}"))).bearer_auth(token);
    match if_match {
        Some(tag) => request.header("if-match", tag),
        None => request,
    }
}

/// Creates a task as Ana; its id.
async fn create(hub: &herald_hub::LocalHub, name: &str) -> i64 {
    let created = client().post(url(hub, "/tasks")).bearer_auth(ANA).json(&json!({ "name": name })).send().await;
    let created = created.unwrap();
    assert_eq!(created.headers()["etag"], "\"1\"");
    created.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

on_both_backends! {
    async fn a_write_at_the_current_version_goes_through_and_moves_it_on(backend) {
        let hub = default_hub(backend).await;
        let id = create(&hub, "Buy milk").await;
        let done = put(&hub, BOB, id, Some("\"1\""), json!({"done": true})).send().await.unwrap();
        assert_eq!(done.status(), 200);
        assert_eq!(done.headers()["etag"], "\"2\"");
        assert_eq!(done.json::<Value>().await.unwrap()["version"], 2);
        let listed = json_of(client().get(url(&hub, "/tasks")).bearer_auth(ANA)).await;
        assert_eq!(listed, json!([{"id": id, "name": "Buy milk", "done": true, "version": 2}]));
        let gone = delete(&hub, ANA, id, Some("\"2\"")).send().await.unwrap();
        assert_eq!(gone.status(), 204);
    }

    async fn a_stale_write_gets_412_with_the_task_as_it_is_now_and_who_changed_it(backend) {
        let hub = default_hub(backend).await;
        let id = create(&hub, "Buy milk").await;
        // Bob completes it; Ana, who saw version 1, renames it.
        put(&hub, BOB, id, Some("\"1\""), json!({"done": true})).send().await.unwrap();
        let refused = put(&hub, ANA, id, Some("\"1\""), json!({"name": "Buy oat milk"})).send().await.unwrap();
        assert_eq!(refused.status(), 412);
        assert_eq!(refused.headers()["etag"], "\"2\"");
        let mut body: Value = refused.json().await.unwrap();
        let at = body.as_object_mut().unwrap().remove("at").unwrap();
        assert!(at.as_i64().unwrap() > 1_600_000_000_000, "when it was changed: {at}");
        assert_eq!(
            body,
            json!({
                "error": "the task changed since the version this write was made against",
                "current": {"id": id, "name": "Buy milk", "done": true, "version": 2},
                "actor": "Bob",
            })
        );
        let stale_delete = delete(&hub, ANA, id, Some("\"1\"")).send().await.unwrap();
        assert_eq!(stale_delete.status(), 412);
        assert_eq!(stale_delete.json::<Value>().await.unwrap()["current"]["version"], 2);
        let weak = put(&hub, ANA, id, Some("W/\"2\""), json!({"done": false})).send().await.unwrap();
        assert_eq!(weak.status(), 412, "If-Match compares strongly");

        let now = json_of(client().get(url(&hub, &format!("/tasks/{id}"))).bearer_auth(ANA)).await;
        assert_eq!(now, json!({"id": id, "name": "Buy milk", "done": true, "version": 2}), "nothing was overwritten");
        let either = put(&hub, ANA, id, Some("\"1\", \"2\""), json!({"name": "Buy oat milk"})).send().await.unwrap();
        assert_eq!(either.status(), 200, "any listed tag may match");
    }

    async fn a_write_without_if_match_still_goes_through_for_old_clients(backend) {
        let hub = default_hub(backend).await;
        let id = create(&hub, "Buy milk").await;
        put(&hub, BOB, id, None, json!({"done": true})).send().await.unwrap();
        let blind = put(&hub, ANA, id, None, json!({"name": "Buy oat milk"})).send().await.unwrap();
        assert_eq!(blind.status(), 200);
        assert_eq!(
            blind.json::<Value>().await.unwrap(),
            json!({"id": id, "name": "Buy oat milk", "done": true, "version": 3})
        );
    }

    async fn a_write_after_a_delete_gets_412_saying_who_deleted_it(backend) {
        let hub = default_hub(backend).await;
        let id = create(&hub, "Buy milk").await;
        assert_eq!(delete(&hub, BOB, id, None).send().await.unwrap().status(), 204);

        for refused in [
            put(&hub, ANA, id, Some("\"1\""), json!({"done": true})).send().await.unwrap(),
            delete(&hub, ANA, id, Some("\"1\"")).send().await.unwrap(),
            put(&hub, ANA, id, Some("*"), json!({"done": true})).send().await.unwrap(),
        ] {
            assert_eq!(refused.status(), 412);
            let body: Value = refused.json().await.unwrap();
            assert_eq!(
                (&body["error"], &body["current"], &body["actor"]),
                (&json!("the task was deleted"), &Value::Null, &json!("Bob"))
            );
        }
        let blind = put(&hub, ANA, id, None, json!({"done": true})).send().await.unwrap();
        assert_eq!(blind.status(), 404, "without If-Match a missing task is simply not found");
    }

    async fn a_refused_write_sends_no_change_on_the_stream(backend) {
        let hub = default_hub(backend).await;
        let id = create(&hub, "Buy milk").await;
        let mut stream = Stream::open(&hub, Some(BOB)).await;
        assert_eq!(put(&hub, ANA, id, Some("\"7\""), json!({"done": true})).send().await.unwrap().status(), 412);
        assert_eq!(put(&hub, ANA, id, Some("\"1\""), json!({"done": true})).send().await.unwrap().status(), 200);
        let change: Event = loop {
            let event = stream.next_event().await.expect("a change");
            if &*event.event != herald_wire::PRESENCE_EVENT {
                break event;
            }
        };
        assert_eq!((&*change.event, &*change.last_event_id), ("update", "2"), "the next change is the one made");
        let data: Value = serde_json::from_str(&change.data).unwrap();
        assert_eq!((&data["version"], &data["actor"]), (&json!(2), &json!("Ana")));
    }

    async fn if_match_that_is_not_ascii_is_a_clear_error(backend) {
        let hub = default_hub(backend).await;
        let id = create(&hub, "Buy milk").await;
        let bad = put(&hub, ANA, id, None, json!({"done": true}))
            .header("if-match", reqwest::header::HeaderValue::from_bytes(b"\"\xff\"").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        assert_eq!(bad.json::<Value>().await.unwrap(), json!({"error": "If-Match must be ASCII entity tags"}));
    }
}
