//! What events mean, read as the servers send them.
use serde_json::json;

use super::*;
use crate::feed::preset::Preset;

fn tasks() -> RecordMeaning {
    match Preset::TaskList.defaults("http://h/tasks/subscribe").meaning {
        Meaning::Record(record) => record,
        other => panic!("{other:?}"),
    }
}

fn event(kind: &str, data: &str) -> Event {
    Event { event: kind.into(), data: data.into(), last_event_id: "".into() }
}

const CTX: Context<'static> = Context { feed: "tasks", me: Some("You"), now: 5 };

/// Applies an event to `before`, as the store would.
fn live(meaning: &RecordMeaning, e: &Event, before: Option<&Value>) -> (Option<Change>, RecordOp) {
    match meaning.read(e) {
        Read::Keyed { kind, key, data } => meaning.apply(CTX, e, kind, key, data, before),
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_kind_of_change_reads_as_a_sentence() {
    let m = tasks();
    let milk = json!({"id": 1, "name": "Buy milk", "done": false});
    let cases = [
        (event("create", r#"{"id":2,"name":"Call Bo","actor":"Bo","at":1700000000}"#), None, "Bo added 'Call Bo'"),
        (event("update", r#"{"id":1,"done":1,"actor":"Ana"}"#), Some(&milk), "Ana completed 'Buy milk'"),
        (
            event("update", r#"{"id":"1","name":"Buy oat milk"}"#),
            Some(&milk),
            "Someone renamed 'Buy milk' to 'Buy oat milk'",
        ),
        (event("update", r#"{"id":1,"name":"x","done":true,"actor":"You"}"#), Some(&milk), "You changed 'x'"),
        (event("delete", r#""1""#), Some(&milk), "Someone deleted 'Buy milk'"),
    ];
    for (e, before, want) in cases {
        let (change, _) = live(&m, &e, before);
        let change = change.expect("a change");
        assert_eq!(change.summary, want);
        assert_eq!(change.own, want.starts_with("You"));
    }
    let (created, _) = live(&m, &event("create", r#"{"id":2,"name":"a","at":1700000000}"#), None);
    assert_eq!(created.unwrap().at, 1_700_000_000_000, "seconds are read as seconds");
}

#[test]
fn a_delete_by_string_id_removes_the_record_a_number_created() {
    let m = tasks();
    let (_, op) = live(&m, &event("create", r#"{"id":26,"name":"a","done":false}"#), None);
    let RecordOp::Put(key, record) = op else { panic!() };
    let (change, op) = live(&m, &event("delete", r#"{"id":"26"}"#), Some(&record));
    assert_eq!(op, RecordOp::Remove(key));
    assert_eq!(change.unwrap().title, "a");
}

#[test]
fn fields_an_event_leaves_out_are_unknown_not_changed() {
    let m = tasks();
    // The live create had no `done`; the snapshot says 0: that is no change.
    let (_, op) = live(&m, &event("create", r#"{"id":3,"name":"a"}"#), None);
    let RecordOp::Put(_, known) = op else { panic!() };
    let snapshot = json!({"id": 3, "name": "a", "done": 0});
    assert_eq!(m.missed(CTX, "3", Some(&known), Some(&snapshot)), None, "`done` was never known");
    let known_then = json!({"id": 3, "name": "a", "done": false});
    assert_eq!(m.missed(CTX, "3", Some(&known_then), Some(&snapshot)), None, "false and 0 are the same");
    let done = json!({"id": 3, "name": "a", "done": 1});
    assert_eq!(m.missed(CTX, "3", Some(&known_then), Some(&done)).unwrap().summary, "Someone completed 'a'");
    // A replayed update changes nothing and says nothing.
    let (change, _) = live(&m, &event("update", r#"{"id":3,"name":"a"}"#), Some(&known));
    assert_eq!(change, None);
}

#[test]
fn data_that_is_not_json_is_unreadable_not_lost() {
    let m = tasks();
    assert!(
        matches!(m.read(&event("update", "undefined")), Read::Unreadable(r) if r.starts_with("the data is not JSON"))
    );
    assert_eq!(m.read(&event("keepalive", "x")), Read::Ignored);
    assert!(
        matches!(m.read(&event("create", r#"{"name":"a"}"#)), Read::Unreadable(r) if r == "the data has no key at /id")
    );
    let change = unreadable(CTX, &event("update", "undefined"), "the data is not JSON");
    assert_eq!((change.action, change.body.as_deref()), (Action::Unreadable, Some("undefined")));
    assert_eq!(change.level, crate::feed::Level::Timeline, "no popup unless a rule says so");
}

#[test]
fn ntfy_messages_read_with_title_priority_link_and_tags() {
    let m = MessageMeaning::ntfy();
    let e = event(
        "message",
        r#"{"id":"a1","event":"message","title":"Disk <full>","message":"98% on /","priority":5,"click":"https://grafana.example/d/1","tags":["warning"]}"#,
    );
    let change = m.read(CTX, &e).unwrap();
    assert_eq!((change.title.as_str(), change.body.as_deref()), ("Disk <full>", Some("98% on /")));
    assert_eq!((change.priority, change.click.as_deref()), (Some(5), Some("https://grafana.example/d/1")));
    assert_eq!(change.tags, ["warning"]);
    assert_eq!(m.read(CTX, &event("keepalive", "{}")), None);
    let unsafe_link = event("message", r#"{"message":"x","click":"javascript:alert(1)"}"#);
    assert_eq!(m.read(CTX, &unsafe_link).unwrap().click, None, "only http(s) links");
}

#[test]
fn loose_equality_spans_the_types_servers_mix() {
    assert!(same(&json!(1), &json!(true)) && same(&json!("26"), &json!(26)) && same(&json!(0), &json!(false)));
    assert!(!same(&json!(2), &json!(true)) && !same(&json!("a"), &json!("b")) && !same(&json!([1]), &json!(1)));
}
