//! The real app following three kinds of server at once, from a feeds file
//! imported with `herald-cli`:
//!
//! - Herald's hub, with its bearer token put in gnome-keyring by
//!   `herald-cli feeds secret`;
//! - a REST task list that speaks only HTTP/2 over TLS with a self-signed
//!   CA:TRUE certificate pinned by the feed, sends no ids, and sends a
//!   delete's id as a string; it is stopped and started again with
//!   changes made while it was down;
//! - an ntfy-style server, sending messages with a title, a priority and a
//!   click URL.
//!
//! Changes on all three reach the window and the notifications; the task
//! list's restart gives exactly the changes it hid, in one digest; the
//! user's own change on the hub raises nothing.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use fantoccini::Locator;
use herald_e2e::cli::run as cli;
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::eventually;
use herald_e2e::notifications::{NotificationServer, Shown};
use herald_e2e::page::script;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::ntfy::{Message, Ntfy};
use herald_test_support::tasklist::TaskList;
use herald_test_support::tls::self_signed_ca_true;
use serde_json::json;

const YOU: &str = "you-feeds-token";
const BOB: &str = "bob-feeds-token";

fn summaries(shown: &[Shown]) -> Vec<&str> {
    shown.iter().map(|n| n.summary.as_str()).collect()
}

/// Waits for exactly one more notification, and returns it.
async fn next_notification(notifications: &NotificationServer, seen: &mut usize) -> anyhow::Result<Shown> {
    *seen += 1;
    let shown = notifications.wait_for(*seen).await?;
    Ok(shown[*seen - 1].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn three_kinds_of_feed_reach_the_window_and_the_desktop() -> anyhow::Result<()> {
    let notifications = NotificationServer::start().await?;
    let data = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&data.path().join("keyring")).await?;

    let config = HubConfig::default().with_actor("You", YOU).with_actor("Bob", BOB);
    let hub = LocalHub::start(config, &StoreLocation::Memory).await?;
    let identity = self_signed_ca_true();
    let pem = data.path().join("list.pem");
    std::fs::write(&pem, &identity.trust_pem)?;
    let list = TaskList::start(&identity).await;
    let water = list.create("Water plants");
    let ntfy = Ntfy::start().await;

    // The user's feeds, as a feeds file, imported with herald-cli; the
    // hub's token goes into the keyring, and only its entry's name is stored.
    let store = data.path().join("herald.db");
    let feeds = data.path().join("feeds.toml");
    std::fs::write(
        &feeds,
        format!(
            r#"
[[feed]]
name = "hub"
preset = "herald-hub"
url = "{hub}/tasks/subscribe"

# Every change of this list is checked one by one: told apart, not
# coalesced into a burst (bursts have a test of their own).
[[feed]]
name = "list"
preset = "task-list"
url = "{list}"
ca_cert = "{pem}"
coalesce = {{ enabled = false }}

[[feed]]
name = "alerts"
preset = "ntfy"
url = "{ntfy}/alerts/sse"
"#,
            hub = hub.url,
            list = list.stream_url(),
            pem = pem.display(),
            ntfy = ntfy.url,
        ),
    )?;
    cli(&store, &["feeds", "import", feeds.to_str().expect("UTF-8")], "")?;
    cli(&store, &["feeds", "secret", "hub"], YOU)?;
    anyhow::ensure!(!std::fs::read(&store)?.windows(YOU.len()).any(|w| w == YOU.as_bytes()), "no token in the store");

    let driver = Driver::start(&[("HERALD_STORE", store.to_str().expect("UTF-8"))]).await?;
    let app = driver.session(&app_binary()?).await?;
    eventually("all three feeds to be live", || async {
        let tones =
            script(&app, "return [...document.querySelectorAll('button.entry.feed')].map(b => b.dataset.tone)").await?;
        let live = tones.as_array().is_some_and(|t| t.len() == 3 && t.iter().all(|t| t == "good"));
        Ok(live.then_some(()))
    })
    .await?;
    let mut seen = 0;

    // The hub: a teammate's change, attributed.
    let http = reqwest::Client::new();
    let milk = herald_e2e::create_task(&http, &hub.url, BOB, "Buy milk").await?;
    assert_eq!(next_notification(&notifications, &mut seen).await?.summary, "Bob added 'Buy milk'");

    // The task list: no ids, `done` as 1, a delete by string id.
    let plumber = list.create("Call the plumber");
    assert_eq!(next_notification(&notifications, &mut seen).await?.summary, "Someone added 'Call the plumber'");
    list.set_done(water, true);
    assert_eq!(next_notification(&notifications, &mut seen).await?.summary, "Someone completed 'Water plants'");
    list.delete(plumber);
    assert_eq!(next_notification(&notifications, &mut seen).await?.summary, "Someone deleted 'Call the plumber'");

    // ntfy: a message with a title, a body, a priority and a link.
    let disk = Message {
        title: Some("Disk <full>"),
        message: "98% on /srv",
        priority: Some(5),
        click: Some("https://grafana.example/d/1"),
        tags: &["warning"],
        ..Message::default()
    };
    ntfy.publish("alerts", &disk);
    let alert = next_notification(&notifications, &mut seen).await?;
    assert_eq!(alert.summary, "Disk <full>");
    assert!(alert.body.starts_with("98% on /srv\n"), "{}", alert.body);

    // The window shows the list as the server has it, and the messages.
    app.find(Locator::Css("button[data-feed='list']")).await?.click().await?;
    let water_done = format!("li[data-key='{water}'] input:checked");
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(&water_done)).await?;
    let keys = script(&app, "return [...document.querySelectorAll('.records li')].map(li => li.dataset.key)").await?;
    assert_eq!(keys, json!([water.to_string()]), "the string-id delete removed the right record");
    app.find(Locator::Css("button[data-feed='alerts']")).await?.click().await?;
    // Payload text is text.
    eventually("the alert in the alerts timeline", || async {
        let title = script(&app, "return document.querySelector('.entry-open .summary')?.textContent").await?;
        Ok((title == json!("Disk <full>")).then_some(()))
    })
    .await?;

    // The task list goes down; three changes happen that no stream hears;
    // it comes back, and Herald tells them in one digest, exactly.
    let old = list.create("Old invoice");
    assert_eq!(next_notification(&notifications, &mut seen).await?.summary, "Someone added 'Old invoice'");
    let down = list.stop().await;
    down.create("Order paper");
    down.set_done(water, false);
    down.delete(old);
    let list = down.start().await;
    let digest = next_notification(&notifications, &mut seen).await?;
    assert_eq!(digest.summary, "You missed 3 changes");
    let lines = [
        "Someone reopened &#39;Water plants&#39;",
        "Someone added &#39;Order paper&#39;",
        "Someone deleted &#39;Old invoice&#39;",
    ];
    assert!(lines.iter().all(|line| digest.body.contains(line)), "{}", digest.body);
    list.create("Marker");
    assert_eq!(next_notification(&notifications, &mut seen).await?.summary, "Someone added 'Marker'");

    // The user's own change on the hub, from the window, raises nothing:
    // Bob's next change is the marker.
    app.find(Locator::Css("button[data-feed='hub']")).await?.click().await?;
    let check = format!("li[data-key='{milk}'] input[type='checkbox']");
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(&check)).await?.click().await?;
    let mine = format!("li[data-key='{milk}'] .meta");
    eventually("the user's change to show", || async {
        let Ok(meta) = app.find(Locator::Css(&mine)).await else { return Ok(None) };
        Ok(meta.text().await?.starts_with("You completed 'Buy milk' · ").then_some(()))
    })
    .await?;
    http.put(format!("{}/tasks/{milk}", hub.url))
        .bearer_auth(BOB)
        .json(&json!({"name": "Buy oat milk"}))
        .send()
        .await?
        .error_for_status()?;
    let shown = notifications.wait_for(seen + 1).await?;
    assert_eq!(
        summaries(&shown[seen..]),
        ["Bob renamed 'Buy milk' to 'Buy oat milk'"],
        "the teammate's change, and none for the user's own"
    );
    app.close().await?;
    Ok(())
}
