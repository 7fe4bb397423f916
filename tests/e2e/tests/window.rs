//! The window's pages on the real app: the sidebar, the timeline and its
//! search, reading, the record view, health, settings, an automated
//! accessibility check of each page, and the README's screenshots.
//!
//! Two feeds, imported with `herald-cli`: Herald's hub (token in
//! gnome-keyring) and an ntfy-style topic. Hostile payloads arrive on both
//! and must stay inert text.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use std::path::Path;

use fantoccini::{Client, Locator};
use herald_e2e::cli::run as cli;
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::notifications::NotificationServer;
use herald_e2e::page::{accessible, click, script, until};
use herald_e2e::{eventually, DEADLINE};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::ntfy::{Message, Ntfy};
use serde_json::{json, Value};

const YOU: &str = "you-window-token";
/// Events in the burst that the window must take at 1,000 a second.
const BURST: i64 = 2000;
const BOB: &str = "bob-window-token";

/// Payloads that would run script or inject elements if rendered as HTML.
const HOSTILE: [&str; 4] = [
    "<script>window.__pwned = 1</script>",
    "<img src=x onerror=\"window.__pwned = 2\">",
    "javascript:window.__pwned = 3",
    "\u{202E}txet esrever\u{200B}\u{200D} zero width",
];

/// The sidebar's unread count for `feed` (0 when it shows none).
async fn unread(app: &Client, feed: &str) -> anyhow::Result<i64> {
    let js =
        format!("return document.querySelector(\"button[data-feed='{feed}'] [data-unread]\")?.dataset.unread ?? '0'");
    Ok(script(app, &js).await?.as_str().unwrap_or("0").parse()?)
}

/// How many events `herald-cli history --unread` lists for `feed`.
fn unread_in_history(store: &Path, feed: &str) -> anyhow::Result<usize> {
    let output = cli(store, &["history", "--unread", "--json", "--feed", feed], "")?;
    Ok(String::from_utf8(output.stdout)?.lines().count())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_of_the_window_works_on_the_real_app() -> anyhow::Result<()> {
    // A notification service, so the window has nothing to warn about.
    let _notifications = NotificationServer::start().await?;
    let data = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&data.path().join("keyring")).await?;
    let config = HubConfig::default().with_actor("You", YOU).with_actor("Bob", BOB);
    let hub = LocalHub::start(config, &StoreLocation::Memory).await?;
    let ntfy = Ntfy::start().await;
    let store = data.path().join("herald.db");
    let feeds = data.path().join("feeds.toml");
    std::fs::write(
        &feeds,
        format!(
            "[[feed]]\nname = \"hub\"\npreset = \"herald-hub\"\nurl = \"{}/tasks/subscribe\"\n\n\
             [[feed]]\nname = \"alerts\"\npreset = \"ntfy\"\nurl = \"{}/alerts/sse\"\n",
            hub.url, ntfy.url
        ),
    )?;
    cli(&store, &["feeds", "import", feeds.to_str().expect("UTF-8")], "")?;
    cli(&store, &["feeds", "secret", "hub"], YOU)?;

    // The webview's own storage (the theme) is the test's, not left by another.
    let webview = data.path().join("webview");
    let driver = Driver::start(&[
        ("HERALD_STORE", store.to_str().expect("UTF-8")),
        ("XDG_DATA_HOME", webview.to_str().expect("UTF-8")),
    ])
    .await?;
    let app = driver.session(&app_binary()?).await?;
    let tones = "return [...document.querySelectorAll('button.entry.feed')].map(b => b.dataset.tone)";
    until(&app, "both feeds to be live", tones, |t| t == &json!(["good", "good"])).await?;

    // Hostile payloads in every field, a long title, and one with a word to find.
    let long = "L".repeat(100_000);
    let mut published = 0;
    for text in HOSTILE.iter().copied().chain([long.as_str()]) {
        ntfy.publish(
            "alerts",
            &Message {
                title: Some(text),
                message: text,
                priority: Some(3),
                click: Some(text),
                tags: &[text],
                ..Default::default()
            },
        );
        published += 1;
    }
    ntfy.publish(
        "alerts",
        &Message {
            title: Some("Deploy finished"),
            message: "build 4711 shipped by the zebra pipeline",
            ..Default::default()
        },
    );
    published += 1;
    for text in HOSTILE {
        herald_e2e::create_task(&reqwest::Client::new(), &hub.url, BOB, text).await?;
    }
    eventually("every alert to count as unread", || async {
        Ok((unread(&app, "alerts").await? == published).then_some(()))
    })
    .await?;
    assert_eq!(unread_in_history(&store, "alerts")?, published as usize);

    // All activity: both feeds, newest first; nothing hostile ran or was injected.
    click(&app, "button.entry.all").await?;
    let summaries = "return [...document.querySelectorAll('.entry-open .summary')].map(s => s.textContent)";
    until(&app, "the timeline to show the hub's tasks", summaries, |s| {
        s.as_array().is_some_and(|s| s.iter().any(|t| t.as_str().is_some_and(|t| t.starts_with("Bob added '<script>"))))
    })
    .await?;
    let injected =
        "return [document.querySelectorAll('main img, main script, main iframe').length, window.__pwned ?? null]";
    assert_eq!(script(&app, injected).await?, json!([0, null]));
    let shown =
        script(&app, "return [...document.querySelectorAll('.entry-open .summary')].map(s => s.textContent)").await?;
    let shown: Vec<&str> = shown.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(shown.contains(&HOSTILE[1]), "the payload is shown as its characters: {shown:?}");
    assert!(shown.iter().all(|s| s.chars().count() <= 401), "a 100 KB title is shortened");
    accessible(&app, "all activity").await?;
    herald_e2e::screenshot(&app, "timeline-light").await?;

    // Search finds the alert by a word of its data, marked.
    let search = app.find(Locator::Css("input[type='search']")).await?;
    search.send_keys("zebra").await?;
    let found = "return [...document.querySelectorAll('.entry-open')].map(e => [e.querySelector('.summary').textContent, e.querySelector('.snippet mark')?.textContent ?? null])";
    until(&app, "the search to find the deploy", found, |f| f == &json!([["Deploy finished", "zebra"]])).await?;
    assert_eq!(script(&app, injected).await?, json!([0, null]));

    // Opening it marks it read: the sidebar and `herald-cli history` agree.
    click(&app, ".entry-open.unread").await?;
    eventually("the alert count to drop", || async {
        Ok((unread(&app, "alerts").await? == published - 1).then_some(()))
    })
    .await?;
    assert_eq!(unread_in_history(&store, "alerts")?, published as usize - 1);
    // Mark all read, from the alerts feed's own timeline.
    click(&app, "button[data-feed='alerts']").await?;
    // A message feed opens on its timeline.
    app.wait().at_most(DEADLINE).for_element(Locator::Css("section[aria-label='alerts timeline'] .entry-open")).await?;
    click(&app, ".actions button").await?;
    eventually("the alert count to go", || async { Ok((unread(&app, "alerts").await? == 0).then_some(())) }).await?;
    assert_eq!(unread_in_history(&store, "alerts")?, 0);
    assert!(unread(&app, "hub").await? > 0, "the hub's events are still unread");

    // The record view: the hostile task names are text.
    click(&app, "button[data-feed='hub']").await?;
    let names = "return [...document.querySelectorAll('.records li .name')].map(n => n.textContent)";
    until(&app, "the hub's records", names, |n| n.as_array().is_some_and(|n| n.len() == HOSTILE.len())).await?;
    assert_eq!(script(&app, injected).await?, json!([0, null]));
    accessible(&app, "records").await?;
    herald_e2e::screenshot(&app, "records-light").await?;

    // Health: today's events, pause and resume, and reconnect now.
    click(&app, "button[data-tab='health']").await?;
    until(&app, "today's events", "return document.querySelector('.health .today')?.textContent", |t| {
        t.as_str().is_some_and(|t| t.parse::<usize>().is_ok_and(|n| n >= HOSTILE.len()))
    })
    .await?;
    accessible(&app, "health").await?;
    let opened = "return Number([...document.querySelectorAll('.health dt')].find(d => d.textContent === 'Connections opened').nextElementSibling.textContent)";
    let before = script(&app, opened).await?.as_i64().unwrap_or(0);
    click(&app, ".health button.reconnect").await?;
    until(&app, "a new connection", opened, |n| n.as_i64().is_some_and(|n| n > before)).await?;
    click(&app, ".health button.pause").await?;
    until(&app, "the feed to pause", "return document.querySelector(\"button[data-feed='hub']\").dataset.tone", |t| {
        t == "idle"
    })
    .await?;
    assert_eq!(app.find(Locator::Css(".health button.pause")).await?.text().await?, "Resume");
    click(&app, ".health button.pause").await?;
    until(&app, "the feed to resume", "return document.querySelector(\"button[data-feed='hub']\").dataset.tone", |t| {
        t == "good"
    })
    .await?;

    // A feed that sends 1,000 events a second for two seconds: every one is
    // counted, and the window still answers at once.
    click(&app, "button.entry.all").await?;
    let mut pace = tokio::time::interval(std::time::Duration::from_millis(1));
    for i in 0..BURST {
        pace.tick().await;
        ntfy.publish("alerts", &Message { title: Some(&format!("burst {i}")), message: "load", ..Default::default() });
    }
    eventually("the whole burst to count as unread", || async {
        Ok((unread(&app, "alerts").await? == BURST).then_some(()))
    })
    .await?;
    until(&app, "the timeline to hold the burst", "return document.querySelector('.total')?.textContent ?? ''", |t| {
        t.as_str().and_then(|t| t.split(' ').next()).and_then(|n| n.parse::<i64>().ok()).is_some_and(|n| n >= BURST)
    })
    .await?;
    click(&app, "button.entry.settings").await?;
    app.wait().at_most(DEADLINE).for_element(Locator::Css("input[name='theme'][value='dark']")).await?;

    // Settings: the dark theme, and the same pages in it.
    accessible(&app, "settings").await?;
    click(&app, "input[name='theme'][value='dark']").await?;
    until(&app, "the dark theme", "return document.documentElement.dataset.theme", |t| t == "dark").await?;
    click(&app, "button.entry.all").await?;
    until(&app, "the timeline", "return document.querySelectorAll('.entry-open').length", |n| n.as_i64() > Some(0))
        .await?;
    herald_e2e::screenshot(&app, "timeline-dark").await?;
    click(&app, "button[data-feed='hub']").await?;
    until(&app, "the records", "return document.querySelectorAll('.records li').length", |n| n.as_i64() > Some(0))
        .await?;
    accessible(&app, "records, dark").await?;
    herald_e2e::screenshot(&app, "records-dark").await?;
    click(&app, "button.entry.add").await?;
    app.find(Locator::Css("#feed-name")).await?.send_keys("list").await?;
    app.find(Locator::Css("#feed-url")).await?.send_keys("ftp://tasks.example.com/events").await?;
    click(&app, "button.test").await?;
    until(
        &app,
        "the URL to be refused",
        "return document.querySelector('#feed-url-error')?.textContent ?? null",
        |t| t == "\"ftp://tasks.example.com/events\" is not an http(s) URL",
    )
    .await?;
    accessible(&app, "feed form, dark").await?;
    script(&app, "document.querySelector('.feed-editor').scrollTop = 0").await?;
    herald_e2e::screenshot(&app, "feed-form-dark").await?;
    app.close().await?;
    Ok(())
}
