//! The ntfy and Mercure presets against the real servers they name (built
//! from upstream, in `../shared/tools/real-servers/`), read through the
//! engine's messages as every sink reads them. Skipped where the machine
//! has no real servers, and never under `CI=true`.
//!
//! For each server: live messages arrive once each, in order, with their
//! fields; a restarted Herald gets exactly what it missed; a server
//! restarted mid-stream costs nothing and repeats nothing; an idle feed is
//! never recycled while the server keeps it alive; auth works and its
//! absence is a clear stop; and the store keeps no control events.

mod support;

use std::time::Duration;

use herald_core::engine::{FeedState, GetFeeds, StoreAt};
use herald_core::feed::{Action, Auth, Feed, Preset};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::sse::{Event, Phase, StopReason};
use herald_core::store::Store;
use herald_test_support::real::mercure::{self, Mercure};
use herald_test_support::real::ntfy::{self, Message, Ntfy};
use support::Sink;

/// ntfy's floor, so that an idle test sees several keepalives quickly.
const KEEPALIVE: Duration = Duration::from_secs(5);

fn ids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.last_event_id.to_string()).collect()
}

/// Events told until `n` have come.
async fn events(sink: &mut Sink, n: usize) -> Vec<Event> {
    let mut got = Vec::new();
    while got.len() < n {
        got.extend(sink.events().await);
    }
    got
}

/// The feed's state as the engine has it now.
async fn state(sink: &Sink, feed: &str) -> FeedState {
    let feeds = sink.engine.ask(GetFeeds).await.expect("the engine answers");
    feeds.into_iter().find(|f| f.name == feed).expect("the feed is followed")
}

/// Polls the feed's state until `done` holds, within `within`.
async fn poll_state(sink: &Sink, feed: &str, within: Duration, done: impl Fn(&FeedState) -> bool) -> FeedState {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let now = state(sink, feed).await;
        if done(&now) {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "the feed never got there: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// When the feed's current connection opened.
fn open_since(state: &FeedState) -> i64 {
    match state.connection.phase {
        Phase::Open { since } => since,
        ref other => panic!("the feed is not open: {other:?}"),
    }
}

/// The types of the events the store keeps for `feed`.
fn stored_types(path: &std::path::Path, feed: &str) -> Vec<String> {
    let store = Store::open(path).unwrap();
    let id = store.feed_id(feed).unwrap();
    store.history(Some(id), None).unwrap().into_iter().map(|e| e.event_type).collect()
}

fn ntfy_feed(server: &Ntfy) -> Feed {
    Feed::new("alerts", format!("{}/alerts/sse", server.url)).with_preset(Preset::Ntfy)
}

async fn publish_n(server: &Ntfy, from: usize, to: usize) -> Vec<String> {
    server.publish_numbered("alerts", from..to).await
}

#[tokio::test(flavor = "multi_thread")]
async fn ntfy_live_messages_arrive_once_in_order_with_their_fields_and_an_idle_feed_stays_open() {
    let Some(server) = Ntfy::start(ntfy::Options { keepalive: KEEPALIVE, ..Default::default() }).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let mut sink = Sink::start(StoreAt::Path(path.clone()), &[ntfy_feed(&server)], MemorySecrets::default()).await;
    sink.open().await;

    let mut published = Vec::new();
    for i in 0..20u8 {
        let (title, body) = (format!("Disk {i}"), format!("{}% on /", 80 + i));
        let message = Message {
            title: Some(&title),
            message: &body,
            priority: Some(1 + i % 5),
            click: (i % 2 == 0).then_some("https://grafana.example/d/1"),
            tags: &["warning", "disk"],
            ..Message::default()
        };
        published.push(server.publish("alerts", &message).await);
    }
    let mut changes = Vec::new();
    while changes.len() < 20 {
        changes.extend(sink.changes().await);
    }
    assert_eq!(changes.len(), 20, "each once: {changes:#?}");
    for (i, (change, sent)) in changes.iter().zip(&published).enumerate() {
        assert_eq!(change.event_id, sent["id"].as_str().unwrap(), "in order");
        assert_eq!(change.action, Action::Message);
        assert_eq!(change.title, format!("Disk {i}"));
        assert_eq!(change.body.as_deref(), Some(format!("{}% on /", 80 + i).as_str()));
        assert_eq!(change.priority, Some(1 + i as u8 % 5));
        let click = (i % 2 == 0).then_some("https://grafana.example/d/1");
        assert_eq!(change.click.as_deref(), click);
        assert_eq!(change.tags, ["warning", "disk"]);
    }

    // Idle for several keepalive intervals: the same connection all along.
    let first = state(&sink, "alerts").await;
    let since = open_since(&first);
    let idle = poll_state(&sink, "alerts", KEEPALIVE * 8, |s| {
        s.connection.last_heard.is_some_and(|heard| heard - since >= 3 * KEEPALIVE.as_millis() as i64)
    })
    .await;
    assert_eq!((idle.connection.opened, idle.recycled), (1, 0), "no reconnect at all: {idle:?}");
    assert_eq!(open_since(&idle), since);
    let learned = idle.connection.keepalive_ms.expect("the server's keepalive is learned");
    assert!(learned >= 4_000, "about ntfy's {KEEPALIVE:?}: {learned} ms");
    assert!(idle.connection.stall_timeout_ms >= 2 * learned);
    drop(sink);

    let types = stored_types(&path, "alerts");
    assert_eq!(types, vec!["message"; 20], "no open or keepalive rows");
    let store = Store::open(&path).unwrap();
    let feed = store.feed_id("alerts").unwrap();
    assert_eq!(store.cursor(feed).unwrap().as_deref(), published[19]["id"].as_str(), "a message's id");
    assert!(store.keepalive(feed).unwrap().is_some(), "kept, so a restart need not learn it again");
}

#[tokio::test(flavor = "multi_thread")]
async fn ntfy_a_restarted_herald_gets_exactly_what_it_missed_and_a_restarted_server_costs_nothing() {
    let Some(mut server) = Ntfy::start(ntfy::Options { keepalive: KEEPALIVE, ..Default::default() }).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let feed = ntfy_feed(&server);
    let mut sink = Sink::start(StoreAt::Path(path.clone()), std::slice::from_ref(&feed), Default::default()).await;
    sink.open().await;
    let first = publish_n(&server, 0, 5).await;
    assert_eq!(ids(&events(&mut sink, 5).await), first);
    drop(sink);

    // Herald away: 10 messages, and keepalives on a stream nobody reads.
    let missed = publish_n(&server, 5, 15).await;
    let mut sink = Sink::start(StoreAt::Path(path.clone()), &[feed], Default::default()).await;
    let got = events(&mut sink, 10).await;
    assert_eq!(ids(&got), missed, "exactly the missed ones, none again");
    let marker = publish_n(&server, 15, 16).await;
    assert_eq!(ids(&sink.events().await), marker, "and nothing else came before the next one");

    // The server restarted mid-stream; it takes messages before Herald is back.
    server.restart().await;
    let after = publish_n(&server, 16, 21).await;
    assert_eq!(ids(&events(&mut sink, 5).await), after);
    let marker = publish_n(&server, 21, 22).await;
    assert_eq!(ids(&sink.events().await), marker, "nothing lost, nothing twice");
    drop(sink);
    assert_eq!(stored_types(&path, "alerts").len(), 22);
}

#[tokio::test(flavor = "multi_thread")]
async fn ntfy_with_deny_all_a_token_reads_and_no_token_is_a_clear_stop() {
    let Some(server) = Ntfy::start(ntfy::Options { keepalive: KEEPALIVE, deny_all: true }).await else { return };
    let token = server.user_with_token("reader", "user");
    server.grant_read("reader", "alerts");
    let mut feed = ntfy_feed(&server);
    let without = Sink::start(StoreAt::Memory, std::slice::from_ref(&feed), Default::default()).await;
    feed.settings.auth = Some(Auth::bearer("alerts"));
    let secrets = MemorySecrets::default();
    secrets.set("alerts", &token).unwrap();
    let mut with = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    with.open().await;
    let sent = publish_n(&server, 0, 2).await;
    assert_eq!(ids(&events(&mut with, 2).await), sent);

    let mut without = without;
    let stopped = without.state(|s| matches!(s.connection.phase, Phase::Stopped { .. })).await;
    let Phase::Stopped { reason } = stopped.connection.phase else { unreachable!() };
    assert_eq!(reason, StopReason::NeedsAuthentication { status: 403 });
}

fn mercure_feed(server: &Mercure, topic: &str) -> Feed {
    Feed::new("updates", server.subscribe_url(topic)).with_preset(Preset::Mercure)
}

const TOPIC: &str = "https://example.com/tasks";

async fn publish_updates(server: &Mercure, from: usize, to: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in from..to {
        ids.push(server.publish(TOPIC, Some("update"), &format!(r#"{{"id":{i},"name":"task {i}"}}"#), false).await);
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn mercure_live_updates_arrive_once_in_order_and_an_idle_feed_stays_open() {
    let heartbeat = Duration::from_secs(1);
    let Some(server) = Mercure::start(mercure::Options { heartbeat, ..Default::default() }).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let mut sink = Sink::start(StoreAt::Path(path.clone()), &[mercure_feed(&server, TOPIC)], Default::default()).await;
    sink.open().await;
    let sent = publish_updates(&server, 0, 20).await;
    let got = events(&mut sink, 20).await;
    assert_eq!(ids(&got), sent, "each once, in order, by the hub's ids");
    assert!(got.iter().all(|e| &*e.event == "update"), "the update's type is the event's");
    assert_eq!(&*got[3].data, r#"{"id":3,"name":"task 3"}"#);

    let since = open_since(&state(&sink, "updates").await);
    let idle = poll_state(&sink, "updates", heartbeat * 20, |s| {
        s.connection.last_heard.is_some_and(|heard| heard - since >= 5 * heartbeat.as_millis() as i64)
    })
    .await;
    assert_eq!((idle.connection.opened, idle.recycled), (1, 0), "no reconnect at all: {idle:?}");
    assert!(idle.connection.keepalive_ms.is_some(), "its heartbeats are learned");
    drop(sink);
    assert_eq!(stored_types(&path, "updates"), vec!["update"; 20], "heartbeats are not stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn mercure_a_restarted_herald_or_hub_resumes_by_last_event_id_losing_nothing() {
    let Some(mut server) = Mercure::start(mercure::Options::default()).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let feed = mercure_feed(&server, TOPIC);
    let mut sink = Sink::start(StoreAt::Path(path.clone()), std::slice::from_ref(&feed), Default::default()).await;
    sink.open().await;
    let first = publish_updates(&server, 0, 3).await;
    assert_eq!(ids(&events(&mut sink, 3).await), first);
    drop(sink);

    let missed = publish_updates(&server, 3, 10).await;
    let mut sink = Sink::start(StoreAt::Path(path.clone()), &[feed], Default::default()).await;
    assert_eq!(ids(&events(&mut sink, 7).await), missed, "exactly the missed ones");
    let marker = publish_updates(&server, 10, 11).await;
    assert_eq!(ids(&sink.events().await), marker);

    server.restart().await;
    let after = publish_updates(&server, 11, 16).await;
    assert_eq!(ids(&events(&mut sink, 5).await), after, "resumed from the hub's history");
    let marker = publish_updates(&server, 16, 17).await;
    assert_eq!(ids(&sink.events().await), marker, "nothing lost, nothing twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn mercure_private_updates_need_a_subscriber_jwt_and_none_is_a_clear_stop() {
    let Some(server) = Mercure::start(mercure::Options { anonymous: false, ..Default::default() }).await else {
        return;
    };
    let mut feed = mercure_feed(&server, TOPIC);
    let without = Sink::start(StoreAt::Memory, std::slice::from_ref(&feed), Default::default()).await;
    feed.settings.auth = Some(Auth::bearer("updates"));
    let secrets = MemorySecrets::default();
    secrets.set("updates", &server.subscriber_token(&[TOPIC])).unwrap();
    let mut with = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    with.open().await;
    let private = server.publish(TOPIC, None, "secret plans", true).await;
    let got = events(&mut with, 1).await;
    assert_eq!((ids(&got), &*got[0].data), (vec![private], "secret plans"));

    let mut without = without;
    let stopped = without.state(|s| matches!(s.connection.phase, Phase::Stopped { .. })).await;
    let Phase::Stopped { reason } = stopped.connection.phase else { unreachable!() };
    assert_eq!(reason, StopReason::NeedsAuthentication { status: 401 });
}

/// ntfy's scheduled messages, from the real ntfy: a message delayed by an
/// hour is upcoming, at its time, and one delivered now is not.
#[tokio::test(flavor = "multi_thread")]
async fn ntfy_scheduled_messages_are_upcoming_until_they_come() {
    let Some(server) = Ntfy::start(ntfy::Options::default()).await else { return };
    let mut sink = Sink::start(StoreAt::Memory, &[ntfy_feed(&server)], MemorySecrets::default()).await;
    sink.open().await;
    let http = reqwest::Client::new();
    for (message, delay) in [("Standup in an hour", Some("1h")), ("Coffee now", None)] {
        let mut body = serde_json::json!({"topic": "alerts", "title": message, "message": message});
        if let Some(delay) = delay {
            body["delay"] = delay.into();
        }
        let sent = http.post(&server.url).json(&body).send().await.expect("ntfy answers");
        assert!(sent.status().is_success(), "{}", sent.text().await.unwrap_or_default());
    }
    let upcoming = sink.engine.ask(herald_core::engine::GetUpcoming { feed: "alerts".into() }).await.unwrap();
    let titles: Vec<&str> = upcoming.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Standup in an hour"], "{upcoming:#?}");
    let in_an_hour = herald_core::sse::now_ms() + 3_600_000;
    assert!((upcoming[0].at - in_an_hour).abs() < 120_000, "at its time: {}", upcoming[0].at);
    let plain =
        Sink::start(StoreAt::Memory, &[Feed::new("tasks", format!("{}/x", server.url))], MemorySecrets::default())
            .await;
    let refused = plain.engine.ask(herald_core::engine::GetUpcoming { feed: "tasks".into() }).await;
    assert!(refused.is_err(), "only a message feed has upcoming messages: {refused:?}");
}
