//! The engine against real servers on loopback: Herald's hub, and scripted
//! servers that behave as a REST task list, ntfy and Nchan do on the wire.
//! Each test reads only the engine's messages, as every sink does.

use herald_test_support as common;

mod support;

use std::sync::Arc;
use std::time::Duration;

use common::{serve, sse, Answer};
use herald_core::engine::{
    AddFeed, EngineEvent, FeedState, GetActivity, GetEntry, GetFeeds, GetRecords, GetTimeline, MarkRead, PauseFeed,
    Record, RemoveFeed, SendHttpAction, StoreAt, ViewRecord, WriteRecord,
};
use herald_core::feed::{Action, Auth, Change, Feed, Level, Preset};
use herald_core::feed::{Fields, Write};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::sse::{Phase, StopReason};
use herald_core::store::{EntryRef, TimelineQuery};
use herald_core::Error;
use herald_hub::{HubConfig, LocalHub, StoreLocation, TaskPatch};
use serde_json::json;
use support::Sink;

const YOU: &str = "you-token-engine";

fn summaries(changes: &[Change]) -> Vec<&str> {
    changes.iter().map(|c| c.summary.as_str()).collect()
}

fn missed_in(events: &[EngineEvent]) -> usize {
    events.iter().filter(|e| matches!(e, EngineEvent::Missed { .. })).count()
}

fn hub_feed(hub: &LocalHub) -> (Feed, MemorySecrets) {
    hub_feed_at(&hub.url)
}

/// The hub's feed, as the user, for a hub (or a relay to one) at `root`.
fn hub_feed_at(root: &str) -> (Feed, MemorySecrets) {
    let mut feed = Feed::new("hub", format!("{root}/tasks/subscribe")).with_preset(Preset::HeraldHub);
    feed.settings.auth = Some(Auth::bearer("hub"));
    let secrets = MemorySecrets::default();
    secrets.set("hub", YOU).unwrap();
    (feed, secrets)
}

fn hub_config() -> HubConfig {
    let mut config = HubConfig::default().with_actor("You", YOU).with_actor("Ana", "ana-token-engine");
    config.retry = Duration::from_millis(50);
    config
}

#[tokio::test]
async fn the_hub_preset_attributes_changes_and_marks_the_users_own() {
    let hub = LocalHub::start(hub_config(), &StoreLocation::Memory).await.unwrap();
    hub.hub.create("Ana", "Buy milk").await.unwrap();
    let (feed, secrets) = hub_feed(&hub);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    let opened = sink.open().await;
    assert!(opened.writable && opened.problem.is_none());

    hub.hub.update("Ana", 1, &TaskPatch { done: Some(true), name: None }, None).await.unwrap();
    let changes = sink.changes().await;
    assert_eq!(summaries(&changes), ["Ana completed 'Buy milk'"]);
    assert_eq!((changes[0].own, changes[0].key.as_deref(), changes[0].event_id.as_str()), (false, Some("1"), "2"));

    // The user's own change goes through REST and comes back marked as own.
    let created = Write::Create { fields: Fields { title: Some("Water plants".into()), flag: None } };
    assert_eq!(sink.engine.ask(WriteRecord { feed: "hub".into(), write: created }).await, Ok(()));
    let own = sink.changes().await;
    assert_eq!((summaries(&own), own[0].own), (vec!["You added 'Water plants'"], true));
    let delete = Write::Delete { key: "1".into(), base: None };
    assert_eq!(sink.engine.ask(WriteRecord { feed: "hub".into(), write: delete }).await, Ok(()));
    assert_eq!(summaries(&sink.changes().await), ["You deleted 'Buy milk'"]);
    let records = sink.engine.ask(GetRecords { feed: "hub".into() }).await.expect("records");
    let titles: Vec<(&str, Option<bool>)> = records.iter().map(|r| (r.title.as_str(), r.flag)).collect();
    assert_eq!(titles, [("Water plants", Some(false))]);

    // A refused write says why, in the server's words, and what kind of
    // trouble it is.
    let missing = Write::Update { key: "99".into(), fields: Fields { title: None, flag: Some(true) }, base: None };
    let refused = sink.engine.ask(WriteRecord { feed: "hub".into(), write: missing }).await;
    assert_eq!(refused, Err(Error::not_found("the server answered 404: no task with id 99")));
}

/// The record as the engine keeps it, which is what the window shows.
async fn record(sink: &Sink, feed: &str, key: &str) -> Record {
    let records = sink.engine.ask(GetRecords { feed: feed.into() }).await.expect("records");
    records.into_iter().find(|r| r.key == key).expect("the record is kept")
}

async fn write(sink: &Sink, feed: &str, write: Write) -> Result<(), Error> {
    sink.engine.ask(WriteRecord { feed: feed.into(), write }).await
}

#[tokio::test]
async fn a_stale_edit_to_the_hub_is_refused_with_its_version_and_applied_against_the_current_one() {
    let hub = LocalHub::start(hub_config(), &StoreLocation::Memory).await.unwrap();
    hub.hub.create("Ana", "Buy milk").await.unwrap();
    let (feed, secrets) = hub_feed(&hub);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    sink.open().await;
    let seen = record(&sink, "hub", "1").await.value;
    assert_eq!(seen["version"], 1);

    // Ana completes it; the user, who saw it open, renames it.
    hub.hub.update("Ana", 1, &TaskPatch { done: Some(true), name: None }, None).await.unwrap();
    let rename = |base| Write::Update {
        key: "1".into(),
        fields: Fields { title: Some("Buy oat milk".into()), flag: None },
        base: Some(base),
    };
    let Err(Error::Conflict { conflict }) = write(&sink, "hub", rename(seen.clone())).await else {
        panic!("a stale edit went through")
    };
    assert_eq!(conflict.current, Some(json!({"id": 1, "name": "Buy milk", "done": true, "version": 2})));
    assert_eq!(conflict.actor.as_deref(), Some("Ana"));
    assert!(conflict.at.is_some());
    assert_eq!(conflict.tried, rename(seen));
    assert_eq!(hub.hub.get(1).await.unwrap().unwrap().name, "Buy milk", "nothing was overwritten");

    // "Apply mine": the same edit, made against what is there now.
    assert_eq!(write(&sink, "hub", rename(conflict.current.clone().unwrap())).await, Ok(()));
    let now = hub.hub.get(1).await.unwrap().unwrap();
    assert_eq!((now.name.as_str(), now.done, now.version), ("Buy oat milk", true, 3), "Ana's change kept too");
}

/// A relay to `hub` on loopback that loses the answer to the first
/// `POST /tasks` it carries, as a dropped connection would: it passes the
/// request on, and when the hub's answer starts (the hub has made the
/// task), closes the connection instead. Everything else passes through.
async fn losing_the_first_create_answer(hub: std::net::SocketAddr) -> String {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let armed = Arc::new(AtomicBool::new(true));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(hub).await else { continue };
            let armed = armed.clone();
            tokio::spawn(async move {
                let ((mut from_client, mut to_client), (mut from_hub, mut to_hub)) =
                    (client.into_split(), server.into_split());
                let cut = Arc::new(AtomicBool::new(false));
                let cutting = cut.clone();
                let up = async move {
                    let mut buf = vec![0; 65536];
                    while let Ok(n @ 1..) = from_client.read(&mut buf).await {
                        if buf[..n].starts_with(b"POST /tasks ") && armed.swap(false, Ordering::SeqCst) {
                            cutting.store(true, Ordering::SeqCst);
                        }
                        if to_hub.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async move {
                    let mut buf = vec![0; 65536];
                    while let Ok(n @ 1..) = from_hub.read(&mut buf).await {
                        if cut.load(Ordering::SeqCst) || to_client.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                // Either way ending ends both, and dropping them closes the connection.
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    url
}

/// A create whose answer was lost is sent again with the key it was sent
/// with, and the hub makes one task of the two.
#[tokio::test]
async fn a_create_whose_answer_was_lost_is_sent_again_and_makes_one_task() {
    let hub = LocalHub::start(hub_config(), &StoreLocation::Memory).await.unwrap();
    let relay = losing_the_first_create_answer(hub.addr).await;
    let (feed, secrets) = hub_feed_at(&relay);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    sink.open().await;

    let create = Write::Create { fields: Fields { title: Some("Buy milk".into()), flag: None } };
    assert_eq!(write(&sink, "hub", create).await, Ok(()));
    let (tasks, _) = hub.hub.snapshot().await.unwrap();
    let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Buy milk"], "one task, though the create was sent twice");
    assert_eq!(hub.hub.current_seq().await.unwrap(), 1);
}

#[tokio::test]
async fn a_task_list_without_versions_is_reread_before_a_write_and_a_change_since_is_refused() {
    let identity = common::tls::self_signed_ca_true();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("list.pem");
    std::fs::write(&pem, &identity.trust_pem).unwrap();
    let list = common::tasklist::TaskList::start(&identity).await;
    let milk = list.create("Buy milk").to_string();
    let mut feed = Feed::new("list", list.stream_url()).with_preset(Preset::TaskList);
    feed.settings.ca_cert = Some(pem);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], MemorySecrets::default()).await;
    sink.open().await;
    let seen = record(&sink, "list", &milk).await.value;

    // A teammate completes it between the user's read and the user's write.
    list.set_done(milk.parse().unwrap(), true);
    let rename = |base| Write::Update {
        key: milk.clone(),
        fields: Fields { title: Some("Buy oat milk".into()), flag: None },
        base: Some(base),
    };
    let Err(Error::Conflict { conflict }) = write(&sink, "list", rename(seen.clone())).await else {
        panic!("a stale edit went through")
    };
    assert_eq!(conflict.current, Some(json!({"id": 1, "name": "Buy milk", "done": 1})));
    assert_eq!(list.names(), ["Buy milk"], "nothing was overwritten");

    // Against what is there now, it goes through.
    assert_eq!(write(&sink, "list", rename(conflict.current.unwrap())).await, Ok(()));
    assert_eq!(list.names(), ["Buy oat milk"]);

    // A delete made against a record someone else deleted finds nothing there.
    list.delete(milk.parse().unwrap());
    let delete = Write::Delete { key: milk.clone(), base: Some(seen) };
    let Err(Error::Conflict { conflict }) = write(&sink, "list", delete).await else { panic!("nothing to refuse") };
    assert_eq!(conflict.current, None);
}

#[tokio::test]
async fn who_is_here_is_on_the_feeds_state_and_never_stored_or_news() {
    let hub = LocalHub::start(
        hub_config().with_presence(Duration::from_millis(20), Duration::from_secs(60)),
        &StoreLocation::Memory,
    )
    .await
    .unwrap();
    let (feed, secrets) = hub_feed(&hub);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    let here = |names: &'static [(&str, Option<&str>)]| {
        move |s: &FeedState| {
            s.present.iter().map(|p| (p.actor.as_str(), p.viewing.as_deref())).collect::<Vec<_>>() == names
        }
    };
    let state = sink.state(here(&[("You", None)])).await;
    assert_eq!(state.me.as_deref(), Some("You"));

    // Ana comes, opens a record; the user opens one too.
    let ana = reqwest::Client::new();
    let mut stream =
        ana.get(format!("{}/tasks/subscribe", hub.url)).bearer_auth("ana-token-engine").send().await.unwrap();
    sink.state(here(&[("Ana", None), ("You", None)])).await;
    let view = ana.put(format!("{}/presence", hub.url)).bearer_auth("ana-token-engine").json(&json!({"viewing": 4}));
    assert_eq!(view.send().await.unwrap().status(), 204);
    sink.state(here(&[("Ana", Some("4")), ("You", None)])).await;
    assert_eq!(sink.engine.ask(ViewRecord { feed: "hub".into(), key: Some("7".into()) }).await, Ok(()));
    sink.state(here(&[("Ana", Some("4")), ("You", Some("7"))])).await;

    // Ana leaves.
    let _ = stream.chunk().await;
    drop(stream);
    let (between, _) = sink
        .until(|e| matches!(e, EngineEvent::State { state } if here(&[("You", Some("7"))])(state)).then_some(()))
        .await;
    assert!(
        !between.iter().any(|e| matches!(e, EngineEvent::Events { .. } | EngineEvent::Changes { .. })),
        "presence is neither stored nor news: {between:?}"
    );
    let page = sink.engine.ask(GetTimeline { query: TimelineQuery::default() }).await.expect("a page");
    assert!(page.entries.is_empty(), "nothing of presence in the timeline");
}

/// How presence behaves across a hub restart: gone while the feed is not
/// connected, and back with the record the user has open as soon as it is,
/// though the restarted hub had forgotten it.
#[tokio::test]
async fn presence_comes_back_after_a_hub_restart_with_the_open_record_told_again() {
    let config = || hub_config().with_presence(Duration::from_millis(20), Duration::from_secs(60));
    let hub = LocalHub::start(config(), &StoreLocation::Memory).await.unwrap();
    let (feed, secrets) = hub_feed(&hub);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    let viewing =
        |key: Option<&'static str>| move |s: &FeedState| s.present.len() == 1 && s.present[0].viewing.as_deref() == key;
    sink.state(viewing(None)).await;
    assert_eq!(sink.engine.ask(ViewRecord { feed: "hub".into(), key: Some("3".into()) }).await, Ok(()));
    sink.state(viewing(Some("3"))).await;

    let addr = hub.addr;
    hub.stop().await.unwrap();
    let down = sink.state(|s| !matches!(s.connection.phase, Phase::Open { .. })).await;
    assert!(down.present.is_empty(), "nobody is shown as here while not connected");
    let restarted = std::time::Instant::now();
    let _hub = LocalHub::start_on(addr, config(), &StoreLocation::Memory).await.unwrap();
    sink.state(viewing(Some("3"))).await;
    println!("presence back {:?} after the hub restarted", restarted.elapsed());
}

#[tokio::test]
async fn what_changed_while_herald_was_closed_comes_in_one_digest_once() {
    let hub = LocalHub::start(hub_config(), &StoreLocation::Memory).await.unwrap();
    for name in ["a", "b", "c"] {
        hub.hub.create("Ana", name).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let (feed, secrets) = hub_feed(&hub);
    {
        let mut first = Sink::start(StoreAt::Path(path.clone()), std::slice::from_ref(&feed), secrets).await;
        let (before, _) = first
            .until(|e| {
                matches!(e, EngineEvent::State { state } if matches!(state.connection.phase, Phase::Open { .. }))
                    .then_some(())
            })
            .await;
        assert_eq!(missed_in(&before), 0, "the first snapshot is a baseline");
    }
    hub.hub.update("Ana", 1, &TaskPatch { done: Some(true), name: None }, None).await.unwrap();
    hub.hub.delete("Ana", 2, None).await.unwrap();
    hub.hub.create("Ana", "d").await.unwrap();

    let (_, secrets) = hub_feed(&hub);
    let mut second = Sink::start(StoreAt::Path(path), &[feed], secrets).await;
    let (_, digest) = second.digest().await;
    assert_eq!(summaries(&digest.changes), ["Someone completed 'a'", "Someone added 'd'", "Someone deleted 'b'"]);
    assert_eq!((digest.created, digest.updated, digest.deleted), (1, 1, 1));
    assert!(digest.changes.iter().all(|c| c.missed));
    // The stream resumed from the snapshot's cursor: a live change is the
    // marker, and nothing was reported twice on the way.
    hub.hub.create("Ana", "marker").await.unwrap();
    let (between, changes) = second
        .until(|e| match e {
            EngineEvent::Changes { changes } => Some(changes.clone()),
            _ => None,
        })
        .await;
    assert_eq!(summaries(&changes), ["Ana added 'marker'"]);
    assert_eq!(missed_in(&between), 0);
}

/// A hub that comes back without its log (a fresh database, or a Redis
/// without persistence) counts from 0 again, below the feed's cursor. The
/// feed is told to reset, reloads the snapshot, reports what went in one
/// digest, and then follows the new numbers live.
#[tokio::test]
async fn a_hub_that_comes_back_without_its_log_resets_the_feed_and_it_goes_on() {
    let hub = LocalHub::start(hub_config(), &StoreLocation::Memory).await.unwrap();
    for name in ["a", "b"] {
        hub.hub.create("Ana", name).await.unwrap();
    }
    let (feed, secrets) = hub_feed(&hub);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    sink.open().await;
    hub.hub.create("Ana", "c").await.unwrap();
    assert_eq!(summaries(&sink.changes().await), ["Ana added 'c'"]);

    let addr = hub.addr;
    hub.stop().await.unwrap();
    let hub = LocalHub::start_on(addr, hub_config(), &StoreLocation::Memory).await.unwrap();
    let (_, digest) = sink.digest().await;
    assert_eq!((digest.created, digest.updated, digest.deleted), (0, 0, 3), "{digest:?}");

    hub.hub.create("Ana", "after").await.unwrap();
    let (between, changes) = sink
        .until(|e| match e {
            EngineEvent::Changes { changes } => Some(changes.clone()),
            _ => None,
        })
        .await;
    assert_eq!(summaries(&changes), ["Ana added 'after'"]);
    assert_eq!(missed_in(&between), 0);
}

fn json_response(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A REST task list as found in the wild: no ids on the stream, a delete's
/// id as a string, `done` as 1, and `data: undefined` after a PUT to a
/// missing id. Every reconnection resyncs, and reports only what it hid.
#[tokio::test]
async fn a_task_list_without_ids_resyncs_on_every_connection_and_reads_what_it_is_sent() {
    let first_stream = sse(concat!(
        "retry: 20\n\n",
        "event: create\ndata: {\"id\":26,\"name\":\"Buy milk\"}\n\n",
        "event: update\ndata: undefined\n\n",
        "event: update\ndata: {\"id\":2,\"done\":1}\n\n",
        "event: delete\ndata: {\"id\":\"26\"}\n\n",
        "event: create\ndata: {\"id\":27,\"name\":\"Call Bo\"}\n\n",
    )
    .as_bytes());
    let server = serve(vec![
        Answer::Close(first_stream),
        Answer::Close(json_response(r#"[{"id":2,"name":"Water","done":0},{"id":3,"name":"Post","done":1}]"#)),
        Answer::Hold(sse(b"")),
        // While Herald was away: 3 was deleted and 4 created. 27's snapshot
        // has a `done` its live create never said: that is no change.
        Answer::Close(json_response(
            r#"[{"id":2,"name":"Water","done":1},{"id":27,"name":"Call Bo","done":0},{"id":4,"name":"New","done":0}]"#,
        )),
    ])
    .await;
    let feed = Feed::new("list", format!("{}/tasks/subscribe", server.url)).with_preset(Preset::TaskList);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], MemorySecrets::default()).await;

    let mut live = Vec::new();
    while live.len() < 5 {
        live.extend(sink.changes().await);
    }
    assert_eq!(
        summaries(&live),
        [
            "Someone added 'Buy milk'",
            "update: undefined (not readable: the data is not JSON (expected value at line 1 column 1))",
            "Someone completed 'Water'",
            "Someone deleted 'Buy milk'",
            "Someone added 'Call Bo'",
        ]
    );
    assert_eq!((live[1].action, live[1].body.as_deref()), (Action::Unreadable, Some("undefined")));
    assert_eq!(live[1].level, Level::Timeline, "in the timeline, not a popup");
    assert!(live.iter().filter(|c| c.action != Action::Unreadable).all(|c| c.level == Level::Notify));
    let (between, digest) = sink.digest().await;
    assert_eq!(summaries(&digest.changes), ["Someone added 'New'", "Someone deleted 'Post'"]);
    let said = between.iter().rev().find_map(|e| match e {
        EngineEvent::State { state } => state.unreadable.clone().map(|u| (u, state.problem.clone())),
        _ => None,
    });
    let (unreadable, problem) = said.expect("the feed's health says an event could not be read");
    assert!(unreadable.starts_with("update: undefined (not readable: the data is not JSON"), "{unreadable}");
    assert_eq!(problem, None, "an unreadable event is no trouble: the feed goes on");
    assert_eq!(server.request_line(0), "GET /tasks/subscribe HTTP/1.1");
    assert_eq!(server.header(0, "accept").as_deref(), Some("text/event-stream"), "exactly, as such servers need");
    assert_eq!(server.request_line(1), "GET /tasks HTTP/1.1", "the snapshot follows the stream's opening");
    let records = sink.engine.ask(GetRecords { feed: "list".into() }).await.expect("records");
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["2", "27", "4"]);
}

/// Rules judge what a resync found, as they judge live events: on the
/// record, under the event type that would have carried it.
#[tokio::test]
async fn a_resync_judges_what_it_missed_by_the_feeds_rules() {
    let server = serve(vec![
        Answer::Close(sse(b"retry: 20\n\n")),
        Answer::Close(json_response(r#"[{"id":1,"name":"Water","done":0}]"#)),
        Answer::Hold(sse(b"")),
        Answer::Close(json_response(
            r#"[{"id":1,"name":"Water","done":0},{"id":2,"name":"bot: nightly sync","done":0},
                {"id":3,"name":"URGENT: server down","done":0},{"id":4,"name":"New","done":0}]"#,
        )),
    ])
    .await;
    let feeds = herald_core::feed::parse_feeds(&format!(
        r#"
[[feed]]
name = "list"
preset = "task-list"
url = "{}/tasks/subscribe"

[[feed.rule]]
when = [{{ pointer = "/name", contains = "bot:" }}]
then = "ignore"

[[feed.rule]]
event = "create"
when = [{{ pointer = "/name", contains = "URGENT" }}]
then = "urgent"
summary = "Urgent: {{/name}}"
"#,
        server.url
    ))
    .expect("a valid feeds file");
    let mut sink = Sink::start(StoreAt::Memory, &feeds, MemorySecrets::default()).await;
    let (_, digest) = sink.digest().await;
    let mut told: Vec<(&str, Level)> = digest.changes.iter().map(|c| (c.summary.as_str(), c.level)).collect();
    told.sort_by_key(|(summary, _)| *summary);
    assert_eq!(
        told,
        [("Someone added 'New'", Level::Notify), ("Urgent: URGENT: server down", Level::Urgent)],
        "the ignored change is no news"
    );
}

#[tokio::test]
async fn ntfy_messages_carry_title_priority_and_link_and_resume_by_since() {
    let message = r#"{"id":"m1","time":1700000000,"event":"message","topic":"alerts","title":"Disk full","message":"98% on /","priority":5,"click":"https://grafana.example/d/1","tags":["warning"]}"#;
    let stream = format!(
        "retry: 20\n\nevent: open\ndata: {{\"id\":\"o1\",\"event\":\"open\"}}\n\nevent: message\ndata: {message}\n\n"
    );
    let server = serve(vec![Answer::Close(sse(stream.as_bytes())), Answer::Hold(sse(b""))]).await;
    let feed = Feed::new("alerts", format!("{}/alerts/sse", server.url)).with_preset(Preset::Ntfy);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], MemorySecrets::default()).await;
    let changes = sink.changes().await;
    assert_eq!(changes.len(), 1, "an `open` event is not a message: {changes:?}");
    let alert = &changes[0];
    assert_eq!((alert.title.as_str(), alert.body.as_deref(), alert.priority), ("Disk full", Some("98% on /"), Some(5)));
    assert_eq!(
        (alert.click.as_deref(), alert.tags.as_slice()),
        (Some("https://grafana.example/d/1"), &["warning".to_owned()][..])
    );
    server.requests_made(2).await;
    assert_eq!(server.request_line(1), "GET /alerts/sse?since=m1 HTTP/1.1", "the cursor came from the payload");
}

/// A message's http action, sent through the engine: to the feed's own
/// server it carries the feed's credentials; to any other it carries none;
/// what came of each is kept beside the message.
#[tokio::test]
async fn an_http_action_carries_the_feeds_credentials_only_to_the_feeds_own_server() {
    let pictures = herald_test_support::pictures::Pictures::start().await;
    let message = |own: &str| {
        json!({"id": "m1", "event": "message", "topic": "alerts", "title": "Door open", "message": "front",
        "actions": [
            {"action": "http", "label": "Close here", "url": own, "method": "POST", "body": "close"},
            {"action": "http", "label": "Close there", "url": format!("{}/act", pictures.url), "method": "PUT"},
        ]})
    };
    let answered = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\ndone".to_vec();
    let server = common::serve_knowing_url(|url| {
        let stream = format!("data: {}\n\n", message(&format!("{url}/act")));
        vec![Answer::Hold(sse(stream.as_bytes())), Answer::Close(answered)]
    })
    .await;
    let mut feed = Feed::new("alerts", format!("{}/alerts/sse", server.url)).with_preset(Preset::Ntfy);
    feed.settings.auth = Some(Auth::bearer("alerts"));
    let secrets = MemorySecrets::default();
    secrets.set("alerts", "feed-token").unwrap();
    let mut sink = Sink::start(StoreAt::Memory, &[feed], secrets).await;
    let changes = sink.changes().await;
    assert_eq!(changes[0].extras.actions.len(), 2, "{changes:?}");
    let entry = EntryRef::Event { feed: "alerts".into(), event_id: "m1".into() };

    let here = sink.engine.ask(SendHttpAction { entry: entry.clone(), at: 0, confirmed: true }).await.unwrap();
    assert!(here.ok, "{here:?}");
    assert_eq!(here.outcome, format!("POST {}/act answered 200 OK", server.url));
    server.requests_made(2).await;
    assert_eq!(server.request_line(1), "POST /act HTTP/1.1");
    assert_eq!(server.header(1, "authorization").as_deref(), Some("Bearer feed-token"), "its own server");

    let unasked = sink.engine.ask(SendHttpAction { entry: entry.clone(), at: 1, confirmed: false }).await;
    assert!(matches!(unasked, Err(Error::Invalid { .. })), "not confirmed, to a host not allowed: {unasked:?}");
    assert!(pictures.acted().is_empty());
    let there = sink.engine.ask(SendHttpAction { entry: entry.clone(), at: 1, confirmed: true }).await.unwrap();
    assert!(there.ok, "{there:?}");
    assert_eq!(pictures.acted(), [("PUT".to_owned(), None, String::new())], "no credentials elsewhere");

    let kept = sink.engine.ask(GetEntry { entry }).await.unwrap().expect("the message");
    let outcomes: Vec<&str> = kept.results.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(outcomes, ["Close here", "Close there"], "both kept beside the message");
    let refused = sink.engine.ask(SendHttpAction { entry: EntryRef::Row(kept.id), at: 7, confirmed: true }).await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
}

/// A Mercure hub as its spec has it: `id:` lines that are URNs, JSON
/// updates, and `Last-Event-ID` to resume.
#[tokio::test]
async fn a_mercure_hub_resumes_by_last_event_id() {
    let first = "retry: 20\n\nid: urn:uuid:1b2c\ndata: {\"@id\":\"/books/1\",\"title\":\"Dune\"}\n\n";
    let server = serve(vec![Answer::Close(sse(first.as_bytes())), Answer::Hold(sse(b""))]).await;
    let url = format!("{}/.well-known/mercure?topic=https://example.com/books/{{id}}", server.url);
    let feed = Feed::new("books", url).with_preset(Preset::Mercure);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], MemorySecrets::default()).await;
    let changes = sink.changes().await;
    assert_eq!(summaries(&changes), [r#"message: {"@id":"/books/1","title":"Dune"}"#]);
    server.requests_made(2).await;
    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("urn:uuid:1b2c"));
}

#[tokio::test]
async fn an_nchan_channel_that_is_deleted_stops_its_feed_as_gone() {
    let server = serve(vec![Answer::Close(sse(b"id: 1:0\ndata: hello\n\n:410: 410 Gone\n\n"))]).await;
    let feed = Feed::new("chan", format!("{}/sub/room", server.url)).with_preset(Preset::Nchan);
    let mut sink = Sink::start(StoreAt::Memory, &[feed], MemorySecrets::default()).await;
    let (before, stopped) = sink
        .until(|e| match e {
            EngineEvent::State { state } if matches!(state.connection.phase, Phase::Stopped { .. }) => {
                Some(state.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(stopped.connection.phase, Phase::Stopped { reason: StopReason::Gone { status: 410 } });
    assert!(before.iter().any(|e| matches!(e, EngineEvent::Events { events, .. } if &*events[0].data == "hello")));
    assert_eq!(server.requests.lock().unwrap().len(), 1, "no reconnection to a deleted channel");
}

#[tokio::test]
async fn a_redirect_that_cannot_be_followed_stops_the_feed_with_the_reason() {
    let moved = b"HTTP/1.1 301 Moved Permanently\r\nLocation: \r\nContent-Length: 0\r\n\r\n".to_vec();
    let server = serve((0..40).map(|_| Answer::Close(moved.clone())).collect()).await;
    let feed = Feed::new("moved", format!("{}/events", server.url));
    let mut sink = Sink::start(StoreAt::Memory, &[feed], MemorySecrets::default()).await;
    let stopped = sink.state(|s| matches!(s.connection.phase, Phase::Stopped { .. })).await;
    let Phase::Stopped { reason: StopReason::Failed { message } } = &stopped.connection.phase else {
        panic!("{stopped:?}")
    };
    assert!(message.contains("redirect"), "{message}");
    let made = server.requests.lock().unwrap().len();
    assert!(made <= 11, "one attempt, not a retry loop: {made} requests");
}

/// The commands a window sends: a feed added at run time, paused and
/// resumed (its history kept), read, and removed.
#[tokio::test]
async fn feeds_are_added_paused_resumed_read_and_removed_by_command() {
    let hub = LocalHub::start(hub_config(), &StoreLocation::Memory).await.unwrap();
    hub.hub.create("Ana", "a").await.unwrap();
    let (feed, secrets) = hub_feed(&hub);
    let mut sink = Sink::start(StoreAt::Memory, &[], secrets).await;
    assert_eq!(sink.engine.ask(AddFeed { feed: Box::new(feed.clone()) }).await, Ok(()));
    sink.open().await;
    hub.hub.create("Ana", "b").await.unwrap();
    assert_eq!(summaries(&sink.changes().await), ["Ana added 'b'"]);

    let pause = PauseFeed { name: "hub".into(), paused: true };
    assert_eq!(sink.engine.ask(pause).await, Ok(()));
    let paused = sink.state(|s| s.paused).await;
    assert_eq!(paused.connection.phase, Phase::Stopped { reason: StopReason::Closed });
    hub.hub.create("Ana", "c").await.unwrap();
    let resume = PauseFeed { name: "hub".into(), paused: false };
    assert_eq!(sink.engine.ask(resume).await, Ok(()));
    // Resumed, it resyncs as on any start: what came while it was paused
    // is told once, in a digest.
    let (_, digest) = sink.digest().await;
    assert_eq!(summaries(&digest.changes), ["Someone added 'c'"]);

    let feeds = sink.engine.ask(GetFeeds).await.expect("feeds");
    assert_eq!((feeds.len(), feeds[0].unread), (1, 2));

    // The timeline holds both, newest first, with their meaning; a search
    // finds one by a word of its sentence.
    let timeline = |query: TimelineQuery| sink.engine.ask(GetTimeline { query });
    let page = timeline(TimelineQuery::default()).await.expect("a page");
    let sentences: Vec<&str> = page.entries.iter().map(|e| e.change.summary.as_str()).collect();
    assert_eq!(sentences, ["Someone added 'c'", "Ana added 'b'"]);
    assert!(page.entries[0].change.missed);
    let search = TimelineQuery { text: Some("ana".into()), ..Default::default() };
    let found = timeline(search).await.expect("a page");
    assert_eq!(found.total, Some(1));
    // Opening one marks it read, and the sinks hear the feed's new state
    // with its count (as they heard it rise after the resync).
    let unread = |n: u64| {
        move |e: &EngineEvent| match e {
            EngineEvent::State { state } if state.name == "hub" => (state.unread == n).then_some(()),
            _ => None,
        }
    };
    sink.until(unread(2)).await;
    let read_one = MarkRead { feed: None, rows: vec![found.entries[0].id] };
    assert_eq!(sink.engine.ask(read_one).await, Ok(()));
    sink.until(unread(1)).await;
    let activity = sink.engine.ask(GetActivity { feed: "hub".into(), since: 0 }).await.expect("its activity");
    assert_eq!((activity.since, activity.stored), (2, 2));
    assert!(activity.last_event_id.is_some());

    assert_eq!(sink.engine.ask(MarkRead { feed: Some("hub".into()), rows: vec![] }).await, Ok(()));
    sink.until(unread(0)).await;
    let feeds = sink.engine.ask(GetFeeds).await.expect("feeds");
    assert_eq!(feeds[0].unread, 0);

    assert_eq!(sink.engine.ask(RemoveFeed { name: "hub".into() }).await, Ok(()));
    sink.until(|e| matches!(e, EngineEvent::Removed { feed } if feed == "hub").then_some(())).await;
    let gone = sink.engine.ask(GetRecords { feed: "hub".into() }).await;
    assert!(matches!(gone, Err(Error::NotFound { .. })), "{gone:?}");
    let bad = Feed::new("bad", "ftp://example.com/x");
    let refused = sink.engine.ask(AddFeed { feed: Box::new(bad) }).await;
    assert_eq!(refused, Err(Error::invalid_field("url", "\"ftp://example.com/x\" is not an http(s) URL")));
}

/// A write is its feed's runner's to make: while a server takes its time to
/// answer one, the engine answers every other call.
#[tokio::test]
async fn a_write_waiting_on_its_server_holds_up_no_other_call() {
    // A server that takes connections and never answers them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/tasks", silent.local_addr().unwrap());
    let mut feed = Feed::new("slow", format!("{url}/subscribe")).with_preset(Preset::TaskList);
    feed.settings.write_url = Some(url);
    let sink = Sink::start(StoreAt::Memory, &[feed], MemorySecrets::default()).await;
    let engine = sink.engine.clone();
    let create = Write::Create { fields: Fields { title: Some("Buy milk".into()), flag: None } };
    let writing = tokio::spawn(async move { engine.ask(WriteRecord { feed: "slow".into(), write: create }).await });
    // The write is in flight (its runner has taken it) once the listener has
    // its connection; then the engine is asked something else.
    let give_up = std::time::Instant::now() + Duration::from_secs(30);
    let mut taken = 0;
    silent.set_nonblocking(true).unwrap();
    let mut held = Vec::new();
    while taken < 2 {
        match silent.accept() {
            Ok((stream, _)) => {
                held.push(stream);
                taken += 1;
            }
            Err(_) => {
                assert!(std::time::Instant::now() < give_up, "the stream and the write never connected");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    let asked = tokio::time::timeout(Duration::from_secs(30), sink.engine.ask(GetFeeds)).await;
    let feeds = asked.expect("answered while the write waits").expect("its feeds");
    assert_eq!(feeds.len(), 1);
    assert!(!writing.is_finished(), "the write still waits on its server");
    drop(held);
}
