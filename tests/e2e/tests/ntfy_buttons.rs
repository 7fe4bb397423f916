//! ntfy's buttons, icon, attachment and markdown, against the real ntfy
//! 2.13 and the tray process alone, as the desktop receives them: the
//! test is the notification server and the portal (OpenURI) on the
//! private bus.
//!
//! In the JSON form and in the `X-Actions` header form, the notification
//! carries the hints (`desktop-entry`, `category`, `sound-name` as chosen
//! for the feed, and `image-path`: the attachment, served on loopback, from
//! Herald's cache), the markdown in the
//! body's subset, and the view button, which opens its link through the
//! portal; an http button is never on the notification (it is confirmed
//! in the window), and Android's broadcast is not offered; the timeline
//! keeps all of it. An http action to a host the feed allows
//! (`allow_actions_to`) is on the notification, and sent from it, once.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_core::attention::{PrioritySounds, SoundName, Sounds};
use herald_core::ipc::SetSounds;
use herald_e2e::alerts::{herald_following_with, shown_after, timeline};
use herald_e2e::eventually;
use herald_e2e::notifications::NotificationServer;
use herald_e2e::portal::Portal;
use herald_test_support::pictures::{Pictures, PNG};
use herald_test_support::real::ntfy::{Message, Ntfy, Options};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn ntfys_buttons_icon_attachment_and_markdown_reach_the_desktop() -> anyhow::Result<()> {
    let Some(ntfy) = Ntfy::start(Options::default()).await else { return Ok(()) };
    let notifications = NotificationServer::start().await?;
    let portal = Portal::start().await?;
    let dir = tempfile::tempdir()?;
    // The feed lets its http actions go to this machine without asking.
    let (_herald, client) = herald_following_with(dir.path(), &ntfy.url, "allow_actions_to = [\"127.0.0.1\"]").await?;
    let pictures = Pictures::start().await;
    let picture = format!("{}/door.png", pictures.url);
    let mut sounds = Sounds::default();
    let own =
        PrioritySounds { normal: SoundName::try_from("message-new-instant".to_owned()).ok(), ..Default::default() };
    sounds.feeds.insert("alerts".into(), own);
    client.ask(SetSounds { sounds }).await?;

    let actions = json!([
        {"action": "view", "label": "Open portal", "url": "https://home.example/door"},
        {"action": "http", "label": "Close door", "url": "https://api.example/door", "method": "PUT",
         "headers": {"Authorization": "Bearer door-token"}, "body": "{\"open\":false}"},
    ]);
    let message = Message {
        title: Some("Front door"),
        message: "The door is **open** since _10:02_, see [the camera](https://cams.example/door).",
        markdown: true,
        icon: Some(&picture),
        attach: Some(&picture),
        actions: Some(actions),
        ..Message::default()
    };
    ntfy.publish("alerts", &message).await;
    let door = shown_after(&notifications, 0, "Front door").await?;
    assert_eq!(door.hint("desktop-entry"), Some("Herald"), "{door:?}");
    assert_eq!(door.hint("category"), Some("x-herald.message"));
    assert_eq!(door.hint("suppress-sound"), None, "nothing is quiet");
    assert_eq!(door.hint("sound-name"), Some("message-new-instant"), "the feed's own sound");
    let image = door.hint("image-path").and_then(|uri| uri.strip_prefix("file://")).expect("the picture as image-path");
    assert_eq!(std::fs::read(image)?, PNG, "the picture, from Herald's cache");
    assert_eq!(door.app_icon.strip_prefix("file://"), Some(image), "the icon too");
    assert_eq!(pictures.door_fetches(), 1, "fetched once, for the image and the icon");
    assert!(
        door.body.starts_with(
            "The door is <b>open</b> since <i>10:02</i>, see <a href=\"https://cams.example/door\">the camera</a>."
        ),
        "markdown in the body's subset: {}",
        door.body
    );
    assert_eq!(door.action("act-0"), Some("Open portal"));
    assert!(!door.actions.iter().any(|a| a == "Close door"), "an http action is confirmed in the window: {door:?}");
    assert_eq!(door.action("read"), Some("Mark read"), "room for one of Herald's own");

    notifications.action(door.id, "act-0").await?;
    eventually("the portal to open the view link", || async {
        Ok((portal.opened() == ["https://home.example/door"]).then_some(()))
    })
    .await?;

    // The header form, as curl users publish.
    let headers = [
        ("Title", "Backup"),
        ("X-Actions", "view, Open log, https://ci.example/log/7, clear=true; broadcast, Take photo"),
        ("Markdown", "yes"),
    ];
    ntfy.publish_with_headers("alerts", &headers, "Backup **done**").await;
    let backup = shown_after(&notifications, 0, "Backup").await?;
    assert_eq!(backup.action("act-0"), Some("Open log"));
    assert!(!backup.actions.iter().any(|a| a == "Take photo"), "broadcast is Android's: {backup:?}");

    let entries = timeline(&client).await?;
    let kept = entries.iter().find(|e| e.change.title == "Front door").expect("the door in the timeline");
    let extras = &kept.change.extras;
    assert!(extras.markdown);
    assert_eq!(extras.icon.as_deref(), Some(picture.as_str()));
    let attachment = extras.attachment.as_ref().expect("its attachment");
    assert_eq!((attachment.name.as_str(), attachment.url.as_str()), ("door.png", picture.as_str()));
    assert_eq!(extras.actions.len(), 2, "both buttons, the http one for the window: {extras:?}");

    // An http action to a host the feed allows is on the notification, and
    // sent from it: once.
    let bell =
        json!([{"action": "http", "label": "Ring bell", "url": format!("{}/act", pictures.url), "body": "ring"}]);
    let ring = Message { title: Some("Visitor"), message: "at the gate", actions: Some(bell), ..Message::default() };
    ntfy.publish("alerts", &ring).await;
    let visitor = shown_after(&notifications, 0, "Visitor").await?;
    assert_eq!(visitor.action("act-0"), Some("Ring bell"), "{visitor:?}");
    assert!(pictures.acted().is_empty(), "nothing sent before the button");
    notifications.action(visitor.id, "act-0").await?;
    let acted = eventually("the bell to ring", || async {
        let acted = pictures.acted();
        Ok((!acted.is_empty()).then_some(acted))
    })
    .await?;
    assert_eq!(acted, [("POST".to_owned(), None, "ring".to_owned())]);
    let kept = eventually("the outcome beside the message", || async {
        let entries = timeline(&client).await?;
        Ok(entries.into_iter().find(|e| e.change.title == "Visitor").filter(|e| !e.results.is_empty()))
    })
    .await?;
    assert!(kept.results[0].ok && kept.results[0].outcome.ends_with("answered 200 OK"), "{:?}", kept.results);
    Ok(())
}
