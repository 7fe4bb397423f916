//! The desk served on a real Unix socket, as the window and the CLI reach
//! it: every request answered against a real engine (an in-memory store),
//! with its own answer type, its errors by kind and field, and what it
//! pushes.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use herald_core::attention::{DoNotDisturb, DoNotDisturbFor, Quiet, Target};
use herald_core::engine::{GetFeeds, RemoveFeed, StoreAt, WriteRecord};
use herald_core::feed::{FeedForm, Fields, FormAuth, Write};
use herald_core::ipc::*;
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::Error;
use herald_desk::testing::{self, Desktop, TestDesk};
use herald_desk::Desk;

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
    let TestDesk { desk, desktop, events, .. } =
        testing::desk(StoreAt::Memory, secrets.clone(), dir.path()).await.unwrap();
    // What the engine publishes goes where it goes in the app: a feed whose
    // news nobody takes stops, as the engine stops when its sinks are gone.
    tokio::spawn(herald_desk::relay::run(desk.clone(), events, None));
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

    let bad = client.ask(ValidateFeed { form: form("tasks", "ftp://example.com") }).await;
    assert_eq!(bad.unwrap_err().field(), Some("url"), "refused by the field to fix");

    let mut tasks = form("tasks", "http://127.0.0.1:9/tasks/subscribe");
    tasks.auth = FormAuth::Bearer;
    client
        .ask(SaveFeed { feed: FeedInput::Form(Box::new(tasks)), secret: Some("s3cret".into()), client_key: None })
        .await
        .unwrap();
    assert_eq!(running.secrets.get("tasks").unwrap(), "s3cret", "the secret went to the keyring");
    let feeds = client.ask(GetFeeds).await.unwrap();
    assert_eq!(feeds.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["tasks"]);
    let edited = client.ask(GetFeedForm { name: "tasks".into() }).await.unwrap();
    assert_eq!(edited.auth, FormAuth::Bearer);
    let missing = client.ask(GetFeedForm { name: "nope".into() }).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");

    let exported = running.dir.path().join("feeds.toml");
    client.ask(ExportFeeds { path: exported.clone() }).await.unwrap();
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("name = \"tasks\"") && !text.contains("s3cret"), "{text}");
    let more = running.dir.path().join("more.toml");
    std::fs::write(&more, "[[feed]]\nname = \"alerts\"\nurl = \"http://127.0.0.1:9/alerts/sse\"\npreset = \"ntfy\"\n")
        .unwrap();
    assert_eq!(client.ask(ImportFeeds { path: more.clone() }).await, Ok(1));
    std::fs::write(&more, "[[feed]]\nname = \"x\"\nurl = 7\n").unwrap();
    let refused = client.ask(ImportFeeds { path: more }).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Invalid { message, .. } if message.contains("line 3")),
        "with its line: {refused:?}"
    );

    client.ask(RemoveFeed { name: "alerts".into() }).await.unwrap();
    assert_eq!(client.ask(GetFeeds).await.unwrap().len(), 1);

    // The window writes roles; a record feed needs a title to create one.
    let mut list = form("list", "http://127.0.0.1:9/tasks/subscribe");
    list.preset = Some(herald_core::feed::Preset::TaskList);
    client.ask(SaveFeed { feed: FeedInput::Form(Box::new(list)), secret: None, client_key: None }).await.unwrap();
    let unnamed = Write::Create { fields: Fields { title: Some("  ".into()), flag: None } };
    let error = client.ask(WriteRecord { feed: "list".into(), write: unnamed }).await;
    assert_eq!(error, Err(Error::invalid_field("title", "Give it a name.")));
    let untrusted = client.ask(TrustCertificate { fingerprint: "AB:CD".into() }).await.unwrap_err();
    assert!(matches!(untrusted, Error::NotFound { .. }), "{untrusted:?}");
}

#[tokio::test]
async fn quiet_status_and_the_window_over_the_socket() {
    let mut running = start().await;
    let quiet: Quiet = running.client.ask(SetDoNotDisturb { span: Some(DoNotDisturbFor::UntilOff) }).await.unwrap();
    assert_eq!(quiet.do_not_disturb, DoNotDisturb::On);
    let now = running.client.ask(GetQuiet).await.unwrap();
    assert_eq!(now.do_not_disturb, DoNotDisturb::On);

    let mut pushes = running.client.subscribe(false).await.unwrap();
    let failed = running.client.ask(ShowTestNotification::default()).await.unwrap_err();
    assert!(
        matches!(&failed, Error::NeedsYou { message } if message.contains("No notification service")),
        "{failed:?}"
    );
    let status = running.client.ask(GetStatus).await.unwrap();
    assert!(status.notifications_error.is_some(), "the status says so");
    assert_eq!(pushes.recv().await, Some(Push::Status { status }), "and every client hears it");

    let target = Target { feed: "tasks".into(), key: Some("7".into()), click: None, since: None };
    running.desk.show(target.clone());
    assert_eq!(running.desktop.opened.lock().unwrap().clone(), [Some(target.clone())]);
    let focus = running.client.ask(TakeFocus).await.unwrap();
    assert_eq!(focus, Some(target.clone()), "a window that opens asks for it");
    let again = running.client.ask(TakeFocus).await.unwrap();
    assert_eq!(again, None, "once");
    running.desktop.window.store(true, Ordering::SeqCst);
    running.desk.show(target.clone());
    assert_eq!(pushes.recv().await, Some(Push::Focus { target }), "a window already open is told");
}
