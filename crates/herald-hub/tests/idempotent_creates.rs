//! Creates that are safe to send again, over real loopback sockets on both
//! backends: a `POST /tasks` with an `Idempotency-Key` whose answer was lost
//! (a timeout, a dropped connection, a `503` from a Redis call that Redis
//! carried out) is sent again, and makes one task, not two.

#[macro_use]
mod support;

use serde_json::{json, Value};
use support::*;

/// `POST /tasks` of `name` as `token`, with `key` if given.
fn post(hub: &herald_hub::LocalHub, token: &str, name: &str, key: Option<&str>) -> reqwest::RequestBuilder {
    let request = client().post(url(hub, "/tasks")).bearer_auth(token).json(&json!({ "name": name }));
    match key {
        Some(key) => request.header("idempotency-key", key),
        None => request,
    }
}

/// The answer's status, whether it says it was sent before, and its body.
async fn answer(request: reqwest::RequestBuilder) -> (u16, bool, Value) {
    let response = request.send().await.unwrap();
    let again = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    (response.status().as_u16(), again, response.json().await.unwrap())
}

async fn tasks(hub: &herald_hub::LocalHub) -> Vec<Value> {
    json_of(client().get(url(hub, "/tasks")).bearer_auth(ANA)).await.as_array().unwrap().clone()
}

on_both_backends! {
    async fn a_create_sent_again_with_its_key_makes_one_task(backend) {
        let hub = default_hub(backend).await;
        let (status, again, first) = answer(post(&hub, ANA, "Buy milk", Some("8e0f-1"))).await;
        assert_eq!((status, again), (201, false));
        let (status, again, second) = answer(post(&hub, ANA, "Buy milk", Some("\"8e0f-1\""))).await;
        assert_eq!((status, again), (201, true), "answered as the first, and says so");
        assert_eq!(second, first);
        assert_eq!(tasks(&hub).await.len(), 1);
        assert_eq!(hub.hub.current_seq().await.unwrap(), 1, "one change logged, so subscribers hear of one");

        // Without a key, each create is its own.
        post(&hub, ANA, "Buy milk", None).send().await.unwrap();
        post(&hub, ANA, "Buy milk", None).send().await.unwrap();
        assert_eq!(tasks(&hub).await.len(), 3);
    }

    async fn a_key_is_the_actors_own_and_names_one_create(backend) {
        let hub = default_hub(backend).await;
        let (_, _, anas) = answer(post(&hub, ANA, "Buy milk", Some("k1"))).await;
        let (status, _, said) = answer(post(&hub, ANA, "Buy eggs", Some("k1"))).await;
        assert_eq!(status, 422);
        assert_eq!(said["error"], "this Idempotency-Key was given to a create of another name");
        let (status, again, bobs) = answer(post(&hub, BOB, "Buy milk", Some("k1"))).await;
        assert_eq!((status, again), (201, false), "Bob's k1 is not Ana's");
        assert_ne!(bobs["id"], anas["id"]);
        assert_eq!(tasks(&hub).await.len(), 2);
    }

    async fn a_key_that_cannot_be_one_is_refused(backend) {
        let hub = default_hub(backend).await;
        let long = "k".repeat(256);
        for key in ["", "\"\"", "two words", long.as_str()] {
            let (status, _, said) = answer(post(&hub, ANA, "Buy milk", Some(key))).await;
            assert_eq!(status, 422, "{key:?}");
            assert_eq!(said["error"], "Idempotency-Key must be 1 to 255 visible ASCII characters");
        }
        assert!(tasks(&hub).await.is_empty());
    }

    /// The key is kept with the task, in one step: however many copies race,
    /// one task is made, and every copy is answered with it.
    async fn copies_of_a_create_racing_make_one_task(backend) {
        let hub = default_hub(backend).await;
        let copies: Vec<_> = (0..8).map(|_| answer(post(&hub, ANA, "Buy milk", Some("race")))).collect();
        let answers = futures_util::future::join_all(copies).await;
        assert!(answers.iter().all(|(status, _, body)| *status == 201 && *body == answers[0].2), "{answers:?}");
        assert_eq!(answers.iter().filter(|(_, again, _)| !again).count(), 1, "one made it; the rest were told again");
        assert_eq!(tasks(&hub).await.len(), 1);
    }
}
