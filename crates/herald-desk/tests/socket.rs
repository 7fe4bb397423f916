//! The desk served on a real Unix socket, as the window and the CLI reach
//! it: every request answered against a real engine (an in-memory store),
//! its errors by field, and what it pushes.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use herald_core::attention::{DoNotDisturb, DoNotDisturbFor, Quiet, Target};
use herald_core::engine::{Command, Reply, StoreAt, Write};
use herald_core::feed::{FeedForm, FieldError, FormAuth};
use herald_core::ipc::{bind, serve, Client, Push, Request, Status};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_desk::testing::{self, Desktop, TestDesk};
use herald_desk::Desk;
use serde_json::json;

struct Running {
    dir: tempfile::TempDir,
    client: Client,
    desk: Arc<Desk>,
    desktop: Arc<Desktop>,
    secrets: Arc<MemorySecrets>,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let TestDesk { desk, desktop, .. } = testing::desk(StoreAt::Memory, secrets.clone(), dir.path()).await.unwrap();
    let path = dir.path().join("run").join("herald.sock");
    let listener = bind(&path).unwrap();
    tokio::spawn(serve(listener, desk.clone(), std::future::pending()));
    let client = Client::connect(&path).await.unwrap();
    Running { dir, client, desk, desktop, secrets }
}

fn form(name: &str, url: &str) -> FeedForm {
    FeedForm { name: name.into(), url: url.into(), ..FeedForm::default() }
}

#[tokio::test]
async fn feeds_are_saved_checked_imported_and_exported_over_the_socket() {
    let running = start().await;
    let client = &running.client;

    let bad = client.call(Request::ValidateFeed { form: form("tasks", "ftp://example.com") }).await;
    assert_eq!(bad.unwrap_err().field, "url", "refused by the field to fix");

    let mut tasks = form("tasks", "http://127.0.0.1:9/tasks/subscribe");
    tasks.auth = FormAuth::Bearer;
    client.call(Request::SaveFeed { form: tasks, secret: Some("s3cret".into()) }).await.unwrap();
    assert_eq!(running.secrets.get("tasks").unwrap(), "s3cret", "the secret went to the keyring");
    let Reply::Feeds { feeds } = client.send(Command::Feeds).await else { panic!("feeds") };
    assert_eq!(feeds.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["tasks"]);
    let edited: FeedForm = client.call_as(Request::FeedForm { name: "tasks".into() }).await.unwrap();
    assert_eq!(edited.auth, FormAuth::Bearer);
    let missing = client.call(Request::FeedForm { name: "nope".into() }).await.unwrap_err();
    assert!(missing.message.contains("no feed named \"nope\""), "{missing:?}");

    let exported = running.dir.path().join("feeds.toml");
    client.call(Request::ExportFeeds { path: exported.clone() }).await.unwrap();
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("name = \"tasks\"") && !text.contains("s3cret"), "{text}");
    let more = running.dir.path().join("more.toml");
    std::fs::write(&more, "[[feed]]\nname = \"alerts\"\nurl = \"http://127.0.0.1:9/alerts/sse\"\npreset = \"ntfy\"\n")
        .unwrap();
    assert_eq!(client.call_as::<usize>(Request::ImportFeeds { path: more.clone() }).await.unwrap(), 1);
    std::fs::write(&more, "[[feed]]\nname = \"x\"\nurl = 7\n").unwrap();
    let refused = client.call(Request::ImportFeeds { path: more }).await.unwrap_err();
    assert!(refused.message.contains("line 3"), "with its line: {refused:?}");

    client.call(Request::RemoveFeed { name: "alerts".into() }).await.unwrap();
    let Reply::Feeds { feeds } = client.send(Command::Feeds).await else { panic!("feeds") };
    assert_eq!(feeds.len(), 1);

    let unnamed = Write::Create { fields: json!({ "name": "  " }) };
    let error = client.call(Request::Engine { command: Command::Write { feed: "tasks".into(), write: unnamed } }).await;
    assert_eq!(error.unwrap_err(), FieldError { field: "name".into(), message: "Give it a name.".into() });
    let untrusted = client.call(Request::TrustCertificate { fingerprint: "AB:CD".into() }).await.unwrap_err();
    assert!(untrusted.message.contains("test the connection first"), "{untrusted:?}");
}

#[tokio::test]
async fn quiet_status_and_the_window_over_the_socket() {
    let mut running = start().await;
    let quiet: Quiet =
        running.client.call_as(Request::DoNotDisturb { span: Some(DoNotDisturbFor::UntilOff) }).await.unwrap();
    assert_eq!(quiet.do_not_disturb, DoNotDisturb::On);
    let now: Quiet = running.client.call_as(Request::Quiet).await.unwrap();
    assert_eq!(now.do_not_disturb, DoNotDisturb::On);

    let mut pushes = running.client.subscribe(false).await.unwrap();
    let failed = running.client.call(Request::TestNotification).await.unwrap_err();
    assert!(failed.message.contains("No notification service"), "{failed:?}");
    let status: Status = running.client.call_as(Request::Status).await.unwrap();
    assert!(status.notifications_error.is_some(), "the status says so");
    assert_eq!(pushes.recv().await, Some(Push::Status { status }), "and every client hears it");

    let target = Target { feed: "tasks".into(), key: Some("7".into()), click: None, since: None };
    running.desk.show(target.clone());
    assert_eq!(running.desktop.opened.lock().unwrap().clone(), [Some(target.clone())]);
    let focus: Option<Target> = running.client.call_as(Request::TakeFocus).await.unwrap();
    assert_eq!(focus, Some(target.clone()), "a window that opens asks for it");
    let again: Option<Target> = running.client.call_as(Request::TakeFocus).await.unwrap();
    assert_eq!(again, None, "once");
    running.desktop.window.store(true, Ordering::SeqCst);
    running.desk.show(target.clone());
    assert_eq!(pushes.recv().await, Some(Push::Focus { target }), "a window already open is told");
}
