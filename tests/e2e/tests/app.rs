//! The real app, end to end: a teammate's changes reach the window and the
//! desktop's notification service; the user's own change raises nothing; a
//! click on a notification opens the window on its task; closing the window
//! ends its process while Herald runs on in the tray; and what changed while
//! Herald was not running comes in one digest.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use fantoccini::{Client, Locator};
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::eventually;
use herald_e2e::notifications::NotificationServer;
use herald_e2e::page::script;
use herald_e2e::x11::Display;
use herald_hub::{HubConfig, LocalHub, StoreLocation, TaskPatch};
use serde_json::json;

const YOU: &str = "you-e2e-token";
/// The open feed's badge, once it is connected.
const LIVE: &str = "main header .pill[data-tone='good']";
const BOB: &str = "bob-e2e-token";

/// The "who did what" line under a task, once it reads `want`.
async fn wait_for_change_line(app: &Client, task_id: i64, want: &str) -> anyhow::Result<()> {
    let css = format!("li[data-key='{task_id}'] .meta");
    eventually(&format!("task {task_id} to say {want:?}"), || async {
        let Ok(meta) = app.find(Locator::Css(&css)).await else { return Ok(None) };
        let text = meta.text().await?;
        Ok(text.starts_with(&format!("{want} · ")).then_some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teammates_changes_reach_the_window_and_the_desktop() -> anyhow::Result<()> {
    let notifications = NotificationServer::start().await?;
    let config = HubConfig::default().with_actor("You", YOU).with_actor("Bob", BOB);
    let server = LocalHub::start(config, &StoreLocation::Memory).await?;
    let (hub, url) = (&server.hub, server.url.clone());
    let water = hub.create("Bob", "Water plants").await?.task.id;

    // Herald keeps its feeds and their history here, and the token in the keyring.
    let data = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&data.path().join("keyring")).await?;
    let store_path = data.path().join("herald.db");
    // This test follows each change one by one.
    herald_e2e::cli::store_hub_feed_uncoalesced(&store_path, &url)?;
    let store = store_path.to_str().expect("a UTF-8 temporary path");
    let mut driver = Driver::start(&[("HERALD_SERVER", &url), ("HERALD_TOKEN", YOU), ("HERALD_STORE", store)]).await?;
    let app = driver.session(&app_binary()?).await?;
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(LIVE)).await?;
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(&format!("li[data-key='{water}']"))).await?;

    // Bob adds a task and completes it, through REST.
    let http = reqwest::Client::new();
    let milk = herald_e2e::create_task(&http, &url, BOB, "Buy milk").await?;
    wait_for_change_line(&app, milk, "Bob added 'Buy milk'").await?;
    http.put(format!("{url}/tasks/{milk}"))
        .bearer_auth(BOB)
        .json(&json!({"done": true}))
        .send()
        .await?
        .error_for_status()?;
    wait_for_change_line(&app, milk, "Bob completed 'Buy milk'").await?;
    let checked =
        script(&app, &format!("return document.querySelector(\"li[data-key='{milk}'] input\").checked")).await?;
    assert_eq!(checked, json!(true));

    let shown = notifications.wait_for(2).await?;
    let summaries: Vec<&str> = shown.iter().map(|n| n.summary.as_str()).collect();
    assert_eq!(summaries, ["Bob added 'Buy milk'", "Bob completed 'Buy milk'"]);
    for n in &shown {
        assert_eq!(n.app_name, "Herald");
        assert!(n.actions.iter().any(|a| a == "default"), "clickable: {:?}", n.actions);
    }

    // The user completes a task in the window: it goes through REST, comes
    // back on the stream as the user's own change, and raises no notification.
    app.find(Locator::Css(&format!("li[data-key='{water}'] input[type='checkbox']"))).await?.click().await?;
    wait_for_change_line(&app, water, "You completed 'Water plants'").await?;
    assert!(hub.get(water).await?.expect("still there").done);
    // Bob's next change is a marker: once its notification is in, anything the
    // user's change would have raised is in too.
    http.put(format!("{url}/tasks/{milk}"))
        .bearer_auth(BOB)
        .json(&json!({"name": "Buy oat milk"}))
        .send()
        .await?
        .error_for_status()?;
    let shown = notifications.wait_for(3).await?;
    let summaries: Vec<&str> = shown.iter().map(|n| n.summary.as_str()).collect();
    assert_eq!(
        summaries,
        ["Bob added 'Buy milk'", "Bob completed 'Buy milk'", "Bob renamed 'Buy milk' to 'Buy oat milk'"],
        "exactly the teammate's changes, none for the user's own"
    );

    // Clicking a notification brings the window to that task.
    app.find(Locator::Css("#new-record")).await?.click().await?;
    assert_eq!(script(&app, "return document.activeElement.id").await?, json!("new-record"));
    notifications.click(shown[1].id).await?;
    let focused = format!("li.focused[data-key='{milk}']");
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(&focused)).await?;
    let active = script(&app, "return document.activeElement.dataset.key").await?;
    assert_eq!(active, json!(milk.to_string()), "the task has keyboard focus");

    // Closing the window ends the window's process; Herald runs on in the tray.
    let display = Display::open()?;
    let window = *display.shown_windows("Herald")?.first().expect("the window is on screen");
    let pid = display.pid(window)?.expect("the window names its process");
    assert_ne!(Some(pid), driver.herald.pid(), "the window is a process of its own");
    display.close(window)?;
    eventually("the window's process to exit", || async {
        Ok((!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(()))
    })
    .await?;
    // A teammate's change still arrives while no window is open.
    http.put(format!("{url}/tasks/{water}"))
        .bearer_auth(BOB)
        .json(&json!({"done": false}))
        .send()
        .await?
        .error_for_status()?;
    let shown = notifications.wait_for(4).await?;
    assert_eq!(shown[3].summary, "Bob reopened 'Water plants'");
    let herald = driver.herald.pid().expect("Herald runs");
    assert!(std::path::Path::new(&format!("/proc/{herald}")).exists(), "Herald still runs");

    // Clicking that notification asks for a window on the task; the window
    // that opens (here through WebDriver, since the test starts windows)
    // shows it.
    notifications.click(shown[3].id).await?;
    // WebKitWebDriver holds one session: the closed window's is ended first.
    let _ = app.close().await;
    let app = driver.session(&app_binary()?).await?;
    let focused = format!("li.focused[data-key='{water}']");
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(&focused)).await?;

    // Herald quits, and its window with it; while it is closed, Bob changes three things.
    let display_pid = display.pid(*display.shown_windows("Herald")?.first().expect("a window"))?.expect("a pid");
    driver.herald.stop()?;
    eventually("the window to go with Herald", || async {
        Ok((!std::path::Path::new(&format!("/proc/{display_pid}")).exists()).then_some(()))
    })
    .await?;
    let _ = app.close().await;
    hub.update("Bob", milk, &TaskPatch { done: Some(false), name: None }, None).await?;
    hub.delete("Bob", water, None).await?;
    hub.create("Bob", "Call Ana").await?;
    // Started again, it tells the user in one notification, not three.
    driver.herald.start_again(&[]).await?;
    let app = driver.session(&app_binary()?).await?;
    let shown = notifications.wait_for(5).await?;
    assert_eq!(shown[4].summary, "You missed 3 changes");
    // The body lists them, escaped, since servers may read it as markup.
    let listed = [
        "Someone reopened &#39;Buy oat milk&#39;",
        "Someone added &#39;Call Ana&#39;",
        "Someone deleted &#39;Water plants&#39;",
    ];
    assert!(listed.iter().all(|line| shown[4].body.contains(line)), "{}", shown[4].body);
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(LIVE)).await?;
    // A live change is the marker: nothing else was raised in between.
    hub.create("Bob", "Marker").await?;
    let shown = notifications.wait_for(6).await?;
    assert_eq!(shown.len(), 6);
    assert_eq!(shown[5].summary, "Bob added 'Marker'");
    app.close().await?;
    Ok(())
}
