//! ntfy 2.16's updates, against the emulator (the real binary here is
//! 2.13), on the tray process alone: a message updated 5 times is one
//! notification updated in place and one entry, a delete closes it
//! (`CloseNotification`) and marks its entry withdrawn, a clear marks its
//! entry read, and ntfy 2.17's `copy` button copies. The server here reads
//! no markup, so bodies come as their plain text.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_e2e::alerts::{herald_following, shown_after, timeline};
use herald_e2e::eventually;
use herald_e2e::notifications::{NotificationServer, Shown};
use herald_e2e::portal::Portal;
use herald_test_support::ntfy::{Message, Ntfy};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn ntfy_2_16s_updates_are_one_notification_that_a_delete_closes() -> anyhow::Result<()> {
    // A server that reads no markup: bodies come as their plain text.
    let notifications = NotificationServer::with_capabilities(&["actions", "body"]).await?;
    let _portal = Portal::start().await?;
    let ntfy = Ntfy::start().await;
    let dir = tempfile::tempdir()?;
    let (_herald, client) = herald_following(dir.path(), &ntfy.url).await?;

    let first = ntfy.publish("alerts", &Message { title: Some("Deploy"), message: "0%", ..Message::default() });
    for percent in [20, 40, 60, 80, 100] {
        let text = format!("{percent}%");
        let update = Message { title: Some("Deploy"), message: &text, sequence_id: Some(&first), ..Message::default() };
        ntfy.publish("alerts", &update);
    }
    let done = eventually("the notification to say 100%", || async {
        let shown = notifications.shown();
        let done = shown.last().is_some_and(|n| n.body.starts_with("100%\n"));
        Ok(done.then_some(shown))
    })
    .await?;
    let deploy: Vec<&Shown> = done.iter().filter(|n| n.summary == "Deploy").collect();
    assert!(deploy.iter().all(|n| n.id == deploy[0].id), "one notification, updated in place: {deploy:?}");
    assert!(deploy[1..].iter().all(|n| n.replaces_id == deploy[0].id), "{deploy:?}");
    assert!(!deploy.last().unwrap().body.contains("earlier"), "updates are not more changes");
    let entries = timeline(&client).await?;
    let titles: Vec<(&str, Option<&str>)> =
        entries.iter().map(|e| (e.change.title.as_str(), e.change.body.as_deref())).collect();
    assert_eq!(titles, [("Deploy", Some("100%"))], "one entry, the latest");

    ntfy.delete("alerts", &first);
    eventually("the notification to close", || async {
        Ok(notifications.closed().contains(&deploy[0].id).then_some(()))
    })
    .await?;
    eventually("the entry to say it was withdrawn", || async {
        Ok(timeline(&client).await?.first().filter(|e| e.withdrawn && e.read).map(drop))
    })
    .await?;

    // A copy button, as ntfy 2.17 sends it, copies.
    let copy = json!([{"action": "copy", "label": "Copy code", "value": "493 112"}]);
    let code = Message { title: Some("Sign-in code"), message: "for ana", actions: Some(copy), ..Message::default() };
    let code_id = ntfy.publish("alerts", &code);
    let code = shown_after(&notifications, 0, "Sign-in code").await?;
    assert_eq!(code.action("act-0"), Some("Copy code"));
    notifications.action(code.id, "act-0").await?;
    let mut clipboard = arboard::Clipboard::new()?;
    eventually("the code on the clipboard", || {
        let text = clipboard.get_text().ok();
        async move { Ok((text.as_deref() == Some("493 112")).then_some(())) }
    })
    .await?;

    // Without body-markup, text and markdown arrive as their words.
    let plain = Message { title: Some("Plain"), message: "**a** & <b>", markdown: true, ..Message::default() };
    ntfy.publish("alerts", &plain);
    let plain = shown_after(&notifications, 0, "Plain").await?;
    assert!(plain.body.starts_with("a & <b>\n"), "{}", plain.body);

    // A clear marks its entry read.
    ntfy.clear("alerts", &code_id);
    eventually("the code's entry read", || async {
        let entries = timeline(&client).await?;
        Ok(entries.iter().find(|e| e.change.title == "Sign-in code").filter(|e| e.read && !e.withdrawn).map(drop))
    })
    .await?;
    Ok(())
}
