//! Notifications that respect attention, on the real app with a private
//! D-Bus notification recorder:
//!
//! - a burst of 300 changes from one teammate is at most three `Notify`
//!   calls, the later ones replacing the first by id, and the timeline
//!   holds all 300;
//! - under do not disturb, 20 changes raise no popup, and one digest when
//!   it is turned off, whose click opens the timeline of just those 20;
//! - a rule marked urgent breaks through do not disturb, as critical;
//! - "Mute 1 h", invoked through `ActionInvoked`, silences that feed;
//! - a feed server that dies turns the tray's icon and its line for that
//!   feed, as a panel reads them over D-Bus, and says so once past its
//!   threshold (shortened here to one second), and once more, in place,
//!   when it is back.

use herald_e2e::cli::run as cli;
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::eventually;
use herald_e2e::notifications::{NotificationServer, Shown};
use herald_e2e::page::{click, script, timeline_total, until};
use herald_e2e::tray::{Seen, TrayHost};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::ntfy::{Message, Ntfy};
use herald_test_support::tasklist::TaskList;
use herald_test_support::tls::self_signed_ca_true;

const YOU: &str = "you-attention-token";
const BOB: &str = "bob-attention-token";
const BURST: usize = 300;

/// The tray menu's line for `feed`.
fn line<'a>(seen: &'a Seen, feed: &str) -> Option<&'a str> {
    seen.menu.iter().map(String::as_str).find(|l| l.starts_with(&format!("{feed}: ")))
}

fn summaries(shown: &[Shown]) -> Vec<&str> {
    shown.iter().map(|n| n.summary.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn notifications_respect_attention() -> anyhow::Result<()> {
    let notifications = NotificationServer::start().await?;
    let panel = TrayHost::start().await?;
    let data = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&data.path().join("keyring")).await?;
    let config = HubConfig::default().with_actor("You", YOU).with_actor("Bob", BOB);
    let server = LocalHub::start(config, &StoreLocation::Memory).await?;
    let hub = &server.hub;
    let identity = self_signed_ca_true();
    let pem = data.path().join("list.pem");
    std::fs::write(&pem, &identity.trust_pem)?;
    let list = TaskList::start(&identity).await;
    let ntfy = Ntfy::start().await;

    let store = data.path().join("herald.db");
    let feeds = data.path().join("feeds.toml");
    std::fs::write(
        &feeds,
        format!(
            r#"
[[feed]]
name = "tasks"
preset = "herald-hub"
url = "{hub}/tasks/subscribe"
auth = {{ scheme = "bearer", keyring = "tasks" }}

[[feed.rule]]
when = [{{ pointer = "/name", contains = "URGENT" }}]
then = "urgent"
summary = "{{actor}}: {{/name}}"

[[feed]]
name = "alerts"
preset = "ntfy"
url = "{ntfy}/alerts/sse"

[[feed]]
name = "list"
preset = "task-list"
url = "{list}"
ca_cert = "{pem}"
coalesce = {{ offline_after_secs = 1 }}
"#,
            hub = server.url,
            ntfy = ntfy.url,
            list = list.stream_url(),
            pem = pem.display(),
        ),
    )?;
    cli(&store, &["feeds", "import", feeds.to_str().expect("UTF-8")], "")?;
    cli(&store, &["feeds", "secret", "tasks"], YOU)?;

    let driver = Driver::start(&[
        ("HERALD_STORE", store.to_str().expect("UTF-8")),
        ("XDG_DATA_HOME", data.path().join("webview").to_str().expect("UTF-8")),
    ])
    .await?;
    let app = driver.session(&app_binary()?).await?;
    until(
        &app,
        "three live feeds",
        "return [...document.querySelectorAll('button.entry.feed')].map(b => b.dataset.tone)",
        |t| t.as_array().is_some_and(|t| t.len() == 3 && t.iter().all(|t| t == "good")),
    )
    .await?;
    assert_eq!(notifications.shown().len(), 0, "nothing to tell yet");

    // A burst: Bob adds 300 tasks at once.
    for i in 0..BURST {
        hub.create("Bob", &format!("Imported {i}")).await?;
    }
    let settled = eventually("the burst's notification to count all 300", || async {
        let shown = notifications.shown();
        let last = shown.last().map(|n| n.summary.clone()).unwrap_or_default();
        Ok((last == format!("{BURST} changes to tasks by Bob")).then_some(shown))
    })
    .await?;
    assert!(settled.len() <= 3, "at most three Notify calls: {:?}", summaries(&settled));
    assert!(settled.iter().all(|n| n.id == settled[0].id), "the later ones replace the first: {settled:?}");
    until(&app, "the timeline to hold all 300", "return document.querySelector('.total')?.textContent ?? ''", |t| {
        t.as_str().and_then(|t| t.split(' ').next()).and_then(|n| n.parse::<usize>().ok()) == Some(BURST)
    })
    .await?;
    let mut seen = settled.len();

    // Do not disturb, from Settings: 20 changes, no popup; turned off, one digest.
    click(&app, "button.entry.settings").await?;
    click(&app, "button[data-dnd='untilOff']").await?;
    until(&app, "do not disturb to be on", "return document.querySelector('.dnd-state strong')?.textContent", |t| {
        t == "On until you turn it off"
    })
    .await?;
    for i in 0..20 {
        hub.create("Bob", &format!("Quiet {i}")).await?;
    }
    click(&app, "button.entry.all").await?;
    eventually("the timeline to hold the 20", || async { Ok((timeline_total(&app).await? == 320).then_some(())) })
        .await?;
    // The window has them, so Herald's attention has them too (the relay
    // hands each change to it before the window hears of it).
    click(&app, "button.entry.settings").await?;
    click(&app, "button[data-dnd='off']").await?;
    let shown = notifications.wait_for(seen + 1).await?;
    assert_eq!(summaries(&shown[seen..]), ["While you were away: 20 changes to tasks"], "no popup while quiet");
    // Its click opens the feed's timeline from when the quiet began: the 20.
    notifications.click(shown[seen].id).await?;
    until(&app, "the digest's timeline", "return document.querySelector('.since')?.textContent ?? ''", |t| {
        t.as_str().is_some_and(|t| t.starts_with("Since "))
    })
    .await?;
    eventually("only the 20 in it", || async { Ok((timeline_total(&app).await? == 20).then_some(())) }).await?;
    seen += 1;
    click(&app, "button.entry.settings").await?;

    // An urgent rule breaks through do not disturb.
    click(&app, "button[data-dnd='untilOff']").await?;
    until(
        &app,
        "do not disturb to be on again",
        "return document.querySelector('.dnd-state strong')?.textContent",
        |t| t == "On until you turn it off",
    )
    .await?;
    hub.create("Bob", "URGENT: the server room is flooding").await?;
    let shown = notifications.wait_for(seen + 1).await?;
    assert_eq!(shown[seen].summary, "Bob: URGENT: the server room is flooding");
    assert_eq!(shown[seen].urgency, Some(2), "critical");
    seen += 1;
    click(&app, "button[data-dnd='off']").await?;
    until(&app, "do not disturb to be off", "return document.querySelector('.dnd-state strong')?.textContent", |t| {
        t == "Off"
    })
    .await?;

    // "Mute 1 h" on an alert's notification silences the alerts feed.
    ntfy.publish("alerts", &Message { title: Some("Disk 91%"), message: "db-1", ..Default::default() });
    let shown = notifications.wait_for(seen + 1).await?;
    let alert = shown[seen].clone();
    assert_eq!(alert.summary, "Disk 91%");
    assert!(["default", "read", "mute"].iter().all(|a| alert.actions.iter().any(|x| x == a)), "{:?}", alert.actions);
    seen += 1;
    notifications.action(alert.id, "mute").await?;
    click(&app, "button.entry.all").await?;
    click(&app, "button.entry.settings").await?;
    until(&app, "alerts to be muted", "return document.querySelector('.mutes')?.textContent ?? ''", |t| {
        t.as_str().is_some_and(|t| t.contains("alerts"))
    })
    .await?;
    ntfy.publish("alerts", &Message { title: Some("Disk 95%"), message: "db-1", ..Default::default() });
    click(&app, "button.entry.all").await?;
    until(
        &app,
        "the muted alert in the timeline",
        "return document.querySelector('.entry-open .summary')?.textContent",
        |t| t == "Disk 95%",
    )
    .await?;
    // A change on another feed is the marker: the muted alert raised nothing before it.
    list.create("Marker");
    let shown = notifications.wait_for(seen + 1).await?;
    assert_eq!(summaries(&shown[seen..]), ["Someone added 'Marker'"], "the muted feed stayed quiet");
    seen += 1;

    // The task list's server dies: one "offline" past its threshold, and
    // one "back" in its place once it returns.
    let item = panel.item().await?;
    let before = eventually("the tray to say the list is connected", || async {
        let seen = panel.read(&item).await?;
        Ok(line(&seen, "list").is_some_and(|l| l.starts_with("list: connected")).then_some(seen))
    })
    .await?;
    assert!(before.menu.iter().any(|l| l == "Pause all"), "{:?}", before.menu);
    let down = list.stop().await;
    let shown = notifications.wait_for(seen + 1).await?;
    let offline = shown[seen].clone();
    assert_eq!(offline.summary, "list is offline");
    let after = eventually("the tray to say the list is offline", || async {
        let seen = panel.read(&item).await?;
        Ok(line(&seen, "list").is_some_and(|l| l.starts_with("list: offline")).then_some(seen))
    })
    .await?;
    assert_ne!(after.icon, before.icon, "the icon shows that a feed is down");
    assert!(offline.body.contains("Herald keeps trying"), "{}", offline.body);
    seen += 1;
    let list = down.start().await;
    let shown = notifications.wait_for(seen + 1).await?;
    assert_eq!((shown[seen].summary.as_str(), shown[seen].id), ("list is back", offline.id));
    assert_eq!(script(&app, "return document.querySelectorAll('button.entry.feed').length").await?, 3);
    drop(list);
    app.close().await?;
    Ok(())
}
