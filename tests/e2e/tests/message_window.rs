//! A rich message in the real window, over WebDriver: hostile markdown
//! (`<script>`, a `javascript:` link, raw HTML, an image of `file:`, and a
//! 1 MB document) runs nothing and injects nothing; the attachment is a
//! picture from Herald's cache, and an icon too large to fetch says so; an
//! `http` button sends nothing until it is confirmed, and exactly one
//! request after, whose outcome the message then shows.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_e2e::cli::run as cli;
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::notifications::NotificationServer;
use herald_e2e::page::{accessible, click, script, until};
use herald_e2e::screenshot;
use herald_test_support::ntfy::{Message, Ntfy};
use herald_test_support::pictures::Pictures;
use serde_json::json;

const HOSTILE: &str = "# Deploy **done**\n\n\
    <script>window.__pwned = 1</script>\n\n\
    <img src=x onerror=\"window.__pwned = 2\">\n\n\
    [click me](javascript:window.__pwned=3) or see [the log](https://ci.example/log/7)\n\n\
    ![passwd](file:///etc/passwd)\n\n\
    <iframe src=\"https://evil.example\"></iframe>\n\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_rich_message_in_the_window_is_inert_shows_its_picture_and_asks_before_it_sends() -> anyhow::Result<()> {
    let _notifications = NotificationServer::start().await?;
    let data = tempfile::tempdir()?;
    let ntfy = Ntfy::start().await;
    let pictures = Pictures::start().await;
    let store = data.path().join("herald.db");
    let feeds = data.path().join("feeds.toml");
    std::fs::write(
        &feeds,
        format!("[[feed]]\nname = \"alerts\"\npreset = \"ntfy\"\nurl = \"{}/alerts/sse\"\n", ntfy.url),
    )?;
    cli(&store, &["feeds", "import", feeds.to_str().expect("UTF-8")], "")?;
    let webview = data.path().join("webview");
    let driver = Driver::start(&[
        ("HERALD_STORE", store.to_str().expect("UTF-8")),
        ("XDG_DATA_HOME", webview.to_str().expect("UTF-8")),
        ("XDG_CACHE_HOME", data.path().join("cache").to_str().expect("UTF-8")),
    ])
    .await?;
    let app = driver.session(&app_binary()?).await?;
    let tones = "return [...document.querySelectorAll('button.entry.feed')].map(b => b.dataset.tone)";
    until(&app, "the feed to be live", tones, |t| t == &json!(["good"])).await?;

    // A message as a backup job sends it, for the README.
    let log = format!("{}/act", pictures.url);
    let backup = Message {
        title: Some("Nightly backup finished"),
        message: "The **nightly** backup of `db-1` finished in _4 min_:\n\n- 12.4 GB copied\n- 3 snapshots kept\n\n\
                  See [the full log](https://ci.example/backups/4711).",
        markdown: true,
        attach: Some(&format!("{}/herald.png", pictures.url)),
        actions: Some(json!([
            {"action": "view", "label": "Open dashboard", "url": "https://ci.example/backups"},
            {"action": "http", "label": "Run again", "url": log, "method": "POST", "body": "{\"job\":\"nightly\"}"},
        ])),
        ..Message::default()
    };
    ntfy.publish("alerts", &backup);
    click(&app, "button.entry.all").await?;
    open_entry(&app, "Nightly backup finished").await?;
    let picture = "return document.querySelector('section.message-view img.attachment-image')?.naturalWidth ?? 0";
    until(&app, "the backup's picture", picture, |w| w == 128).await?;
    screenshot(&app, "message-light").await?;
    click(&app, "section.message-view button.close").await?;

    // A document of over 1 MB, hostile throughout.
    let body = HOSTILE.repeat(1 + (1 << 20) / HOSTILE.len());
    let act = format!("{}/act", pictures.url);
    let actions = json!([
        {"action": "http", "label": "Close door", "url": act, "method": "PUT",
         "headers": {"X-Door": "front"}, "body": "{\"open\":false}"},
        {"action": "broadcast", "label": "Take photo"},
    ]);
    let door = format!("{}/door.png", pictures.url);
    let too_big = format!("{}/announced.jpg", pictures.url);
    let message = Message {
        title: Some("Front door"),
        message: &body,
        markdown: true,
        attach: Some(&door),
        icon: Some(&too_big),
        actions: Some(actions),
        ..Message::default()
    };
    ntfy.publish("alerts", &message);
    open_entry(&app, "Front door").await?;
    let view = "section.message-view";
    let picture = "return document.querySelector('section.message-view img.attachment-image')?.src.slice(0, 22) \
        ?? document.querySelector('section.message-view')?.textContent.slice(0, 300) ?? null";
    let picture = until(&app, "the attachment's picture", picture, |p| p == "data:image/png;base64,").await?;
    assert_eq!(picture, json!("data:image/png;base64,"), "the picture, from Herald's cache");

    let inert = "const v = document.querySelector('section.message-view');
        return [v.querySelectorAll('script, iframe, style, img:not(.attachment-image)').length,
                [...v.querySelectorAll('.markdown a')].every(a => !a.hasAttribute('href') || a.href.startsWith('https://')),
                [...v.querySelectorAll('*')].some(e => [...e.attributes].some(a => a.name.startsWith('on'))),
                window.__pwned ?? null]";
    assert_eq!(script(&app, inert).await?, json!([0, true, false, null]), "nothing ran and nothing was injected");
    let refused = "return document.querySelector('section.message-view header .picture-refused')?.textContent";
    until(&app, "the icon to say why it is not shown", refused, |t| {
        t.as_str().is_some_and(|t| t.starts_with("Not shown: it is 1024.0 MB, over the 5.0 MB limit"))
    })
    .await?;
    accessible(&app, "a message").await?;

    // The http button: nothing is sent until the user confirms.
    click(&app, &format!("{view} button[data-action='http']")).await?;
    let dialog = "return document.querySelector('dialog.confirm-http')?.open ? document.querySelector('dialog.confirm-http').textContent : null";
    let asked = until(&app, "the request to be shown", dialog, |t| t.is_string()).await?;
    let asked = asked.as_str().unwrap_or_default();
    assert!(
        asked.contains("PUT") && asked.contains(&act) && asked.contains("X-Door") && asked.contains("{\"open\":false}"),
        "{asked}"
    );

    click(&app, "dialog.confirm-http button[type='button']").await?;
    assert!(pictures.acted().is_empty(), "cancelled: nothing sent");
    click(&app, &format!("{view} button[data-action='http']")).await?;
    click(&app, "dialog.confirm-http button.primary").await?;
    let results = "return document.querySelector('.action-results')?.textContent ?? ''";
    until(&app, "the outcome to show", results, |t| t.as_str().is_some_and(|t| t.contains("answered 200 OK"))).await?;
    let acted = pictures.acted();
    assert_eq!(acted.len(), 1, "exactly one request: {acted:?}");
    assert_eq!((acted[0].0.as_str(), acted[0].2.as_str()), ("PUT", "{\"open\":false}"));
    assert_eq!(acted[0].1, None, "another server gets none of the feed's credentials");
    Ok(())
}

/// Opens the timeline entry whose summary is `summary`, once it is there.
async fn open_entry(app: &fantoccini::Client, summary: &str) -> anyhow::Result<()> {
    let js = format!(
        "const e = [...document.querySelectorAll('.entry-open')].find(e => e.querySelector('.summary').textContent === {summary:?});
         if (e) e.click();
         return document.querySelector('section.message-view h2')?.textContent ?? null"
    );
    until(app, &format!("'{summary}' to open"), &js, |t| t == summary).await?;
    Ok(())
}
