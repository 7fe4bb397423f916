//! The shell on Tauri's mock runtime: no display, no tray, no notification
//! service. It proves the commands reach the core's board and that the relay
//! alerts for a teammate's change and not for the user's own.

use std::sync::Arc;
use std::time::Duration;

use herald_app::{run_app, AppState, Desktop, Feed};
use herald_core::attention::{Alert, Notifier, NotifyError};
use herald_core::sse::Phase;
use herald_hub::demo::{DemoHub, TEAMMATE};
use herald_hub::TaskPatch;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindowBuilder};
use tokio::sync::watch;

const DEADLINE: Duration = Duration::from_secs(15);

/// Records alerts instead of showing them.
struct Recorder(watch::Sender<Vec<Alert>>);

impl Notifier for Recorder {
    fn show(&self, alert: Alert) -> Result<(), NotifyError> {
        self.0.send_modify(|alerts| alerts.push(alert));
        Ok(())
    }
}

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
fn commands_reach_the_board_and_only_teammates_changes_alert() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    tauri::async_runtime::set(runtime.handle().clone());
    let _inside = runtime.enter();
    let demo = runtime.block_on(DemoHub::start(Duration::from_secs(3600))).unwrap();
    let (alerts_tx, mut alerts) = watch::channel(Vec::new());
    let feed =
        Feed { base_url: demo.server.url.clone(), token: Some(demo.token.clone()), source: "test".into(), store: None };
    let desktop = Desktop { tray: false, open_window: false, notifier: Some(Arc::new(Recorder(alerts_tx))) };
    let mut app = run_app(mock_builder(), feed.start().unwrap(), desktop).build(mock_context(noop_assets())).unwrap();
    #[allow(deprecated)] // one iteration runs setup; the mock runtime has no loop to run
    app.run_iteration(|_, _| {});
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();

    let mut state = app.state::<AppState>().board.state();
    runtime
        .block_on(tokio::time::timeout(DEADLINE, state.wait_for(|s| matches!(s.phase, Phase::Open { .. }))))
        .unwrap()
        .unwrap();
    let listed = invoke(&webview, "list_tasks", serde_json::json!({})).unwrap();
    let tasks = listed.as_array().unwrap();
    assert_eq!(tasks.len(), 4, "the demo's seeded tasks");
    let first = tasks[0]["id"].as_i64().unwrap();
    let first_name = tasks[0]["name"].as_str().unwrap();
    demo.server.hub.update(TEAMMATE, first, &TaskPatch { done: Some(true), name: None }).unwrap();
    let mut wait_alerts = |n: usize| {
        runtime.block_on(tokio::time::timeout(DEADLINE, alerts.wait_for(|a| a.len() >= n))).unwrap().unwrap().clone()
    };
    let got = wait_alerts(1);
    assert_eq!(got[0].summary, format!("Ana completed '{first_name}'"));
    assert_eq!(got[0].task_id, first);

    // The user's own change, through the command, raises no alert; Ana's next one does.
    let mut notices = app.state::<AppState>().board.notices();
    invoke(&webview, "add_task", serde_json::json!({ "name": "Mine" })).unwrap();
    let own = runtime.block_on(tokio::time::timeout(DEADLINE, notices.recv())).unwrap().unwrap();
    assert!(own.own && own.task_name == "Mine");
    demo.server.hub.delete(TEAMMATE, first).unwrap();
    let got = wait_alerts(2);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].summary, format!("Ana deleted '{first_name}'"));

    let refused = invoke(&webview, "add_task", serde_json::json!({ "name": "   " })).unwrap_err();
    assert_eq!(refused, serde_json::json!("Give the task a name."));
    assert_eq!(invoke(&webview, "take_focus", serde_json::json!({})).unwrap(), serde_json::Value::Null);
}
