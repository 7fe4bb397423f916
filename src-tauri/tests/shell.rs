//! The window on Tauri's mock runtime, with no display, against a tray
//! process's desk served in this test on a real socket (its notifications
//! recorded instead of shown). It proves the commands reach the engine
//! through the socket, and that the desk alerts for a teammate's change and
//! not for the user's own.

use std::sync::Arc;
use std::time::Duration;

use herald_core::attention::DoNotDisturb;
use herald_core::engine::StoreAt;
use herald_core::feed::{Auth, Feed, Preset};
use herald_core::ipc::{bind, serve, Client};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::store::Store;
use herald_desk::testing::{self, TestDesk};
use herald_hub::demo::{DemoHub, TEAMMATE};
use herald_hub::TaskPatch;
use herald_window::run_app;
use serde_json::json;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

const DEADLINE: Duration = Duration::from_secs(15);

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|r| r.deserialize::<serde_json::Value>().unwrap())
}

#[test]
fn commands_reach_the_engine_and_only_teammates_changes_alert() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    tauri::async_runtime::set(runtime.handle().clone());
    let _inside = runtime.enter();
    let demo = runtime.block_on(DemoHub::start(Duration::from_secs(3600))).unwrap();
    let mut store = Store::in_memory().unwrap();
    let mut feed = Feed::new("demo", format!("{}/tasks/subscribe", demo.server.url)).with_preset(Preset::HeraldHub);
    feed.settings.auth = Some(Auth::bearer("demo"));
    store.import_feeds(&[feed]).unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    secrets.set("demo", &demo.token).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = runtime.block_on(testing::desk(StoreAt::Open(store), secrets.clone(), dir.path())).unwrap();
    let TestDesk { desk, events, mut alerts, .. } = started;
    let mut status = desk.attention().status();
    runtime.spawn(herald_desk::relay::run(desk.clone(), events, None));
    let socket = dir.path().join("herald.sock");
    let listener = bind(&socket).unwrap();
    runtime.spawn(serve(listener, desk, std::future::pending()));
    let mut client = runtime.block_on(Client::connect(&socket)).unwrap();
    let pushes = runtime.block_on(client.subscribe(true)).unwrap();
    let mut app = run_app(mock_builder(), Arc::new(client), pushes, false).build(mock_context(noop_assets())).unwrap();
    #[allow(deprecated)] // one iteration runs setup; the mock runtime has no loop to run
    app.run_iteration(|_, _| {});
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();

    // The feed opens; its records are the demo's seeded tasks.
    let deadline = std::time::Instant::now() + DEADLINE;
    let records = loop {
        let feeds = invoke(&webview, "feeds", json!({})).unwrap();
        if feeds[0]["connection"]["phase"]["phase"] == "open" {
            break invoke(&webview, "records", json!({ "feed": "demo" })).unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "the feed did not open: {feeds}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 4, "the demo's seeded tasks");
    let first: i64 = records[0]["key"].as_str().unwrap().parse().unwrap();
    let first_name = records[0]["title"].as_str().unwrap().to_owned();
    assert_eq!(records[0]["flag"], json!(false));
    runtime
        .block_on(demo.server.hub.update(TEAMMATE, first, &TaskPatch { done: Some(true), name: None }, None))
        .unwrap();
    let mut wait_alerts = |n: usize| {
        runtime.block_on(tokio::time::timeout(DEADLINE, alerts.wait_for(|a| a.len() >= n))).unwrap().unwrap().clone()
    };
    let got = wait_alerts(1);
    assert_eq!(got[0].summary, format!("Ana completed '{first_name}'"));
    assert_eq!(got[0].target.key, Some(first.to_string()));

    // The user's own change, through the command, raises no alert; Ana's next one does.
    invoke(&webview, "write", json!({ "feed": "demo", "write": { "op": "create", "fields": { "title": "Mine" } } }))
        .unwrap();
    runtime.block_on(demo.server.hub.delete(TEAMMATE, first, None)).unwrap();
    let got = wait_alerts(2);
    assert_eq!(got[1].summary, format!("Ana deleted '{first_name}'"));
    let titles: Vec<String> = invoke(&webview, "records", json!({ "feed": "demo" }))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect();
    assert!(titles.contains(&"Mine".to_owned()), "{titles:?}");
    assert_eq!(wait_alerts(2).len(), 2, "nothing for the user's own change");

    // Do not disturb: Ana's next change is held, and told in one digest
    // when it is turned off.
    let quiet = invoke(&webview, "do_not_disturb", json!({ "span": "untilOff" })).unwrap();
    assert_eq!(quiet["doNotDisturb"], json!({ "kind": "on" }));
    runtime
        .block_on(tokio::time::timeout(DEADLINE, status.wait_for(|s| s.quiet.do_not_disturb == DoNotDisturb::On)))
        .unwrap()
        .unwrap();
    runtime.block_on(demo.server.hub.create(TEAMMATE, "Quietly")).unwrap();
    runtime.block_on(tokio::time::timeout(DEADLINE, status.wait_for(|s| s.held == 1))).unwrap().unwrap();
    invoke(&webview, "do_not_disturb", json!({ "span": null })).unwrap();
    let got = wait_alerts(3);
    assert_eq!(got[2].summary, "While you were away: 1 change to demo", "no popup of its own while quiet");
    assert_eq!(invoke(&webview, "quiet", json!({})).unwrap()["doNotDisturb"], json!({ "kind": "off" }));

    let refused =
        invoke(&webview, "write", json!({ "feed": "demo", "write": { "op": "create", "fields": { "title": "  " } } }))
            .unwrap_err();
    assert_eq!(refused, json!({ "kind": "invalid", "field": "title", "message": "Give it a name." }));
    let unknown = invoke(&webview, "records", json!({ "feed": "nope" })).unwrap_err();
    assert_eq!(unknown, json!({ "kind": "notFound", "message": "there is no feed named \"nope\"" }));
    assert_eq!(invoke(&webview, "take_focus", json!({})).unwrap(), serde_json::Value::Null);

    // The feed form: refused field by field, in the feeds file's words;
    // saved with its secret, which goes to the keyring and never comes back.
    let form = |name: &str, url: &str| json!({ "name": name, "url": url, "auth": "bearer" });
    let bad = invoke(&webview, "validate_feed", json!({ "form": form("x", "ftp://example.com/") })).unwrap_err();
    let message = "\"ftp://example.com/\" is not an http(s) URL";
    assert_eq!(bad, json!({ "kind": "invalid", "field": "url", "message": message }));
    let url = format!("{}/tasks/subscribe", demo.server.url);
    let saved = json!({ "form": form("second", &url), "secret": "s3cret-token" });
    invoke(&webview, "save_feed", saved).unwrap();
    assert_eq!(secrets.get("second").unwrap(), "s3cret-token", "the secret is in the keyring");
    let back = invoke(&webview, "feed_form", json!({ "name": "second" })).unwrap();
    assert_eq!((back["url"].as_str(), back["auth"].as_str()), (Some(url.as_str()), Some("bearer")));
    assert!(!back.to_string().contains("s3cret"), "no command returns a secret: {back}");
    let names: Vec<String> = invoke(&webview, "feeds", json!({}))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["demo", "second"]);
    let untrusted = invoke(&webview, "trust_certificate", json!({ "fingerprint": "AB:CD" })).unwrap_err();
    assert_eq!(untrusted["kind"], json!("notFound"), "{untrusted}");
}
