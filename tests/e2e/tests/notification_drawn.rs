//! A message's notification as a desktop draws it: a real notification
//! daemon (GNOME Flashback's `notification-daemon`) on the private bus,
//! under Xvfb, shows what the tray process sends for an ntfy message with
//! a picture attached and buttons. The picture is drawn in the popup (its
//! blue is on screen, and was not before it came), and the popup is saved
//! for the README as `docs/screenshots/notification.png`.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_e2e::alerts::herald_following;
use herald_e2e::daemon::NotificationDaemon;
use herald_e2e::eventually;
use herald_e2e::x11::{Captured, Display};
use herald_test_support::ntfy::{Message, Ntfy};
use herald_test_support::pictures::Pictures;
use serde_json::json;
use x11rb::protocol::xproto::Window;

/// The blue of Herald's icon, which is the picture attached: no theme
/// draws much of it in a popup of its own.
fn herald_blue(r: u8, g: u8, b: u8) -> bool {
    b > 170 && r < 130 && g < 150 && b > r.saturating_add(60)
}

/// A popup of the daemon's that is not among `before`, once one is on screen.
async fn new_popup(display: &Display, daemon: &NotificationDaemon, before: &[Window]) -> anyhow::Result<Window> {
    eventually("the daemon to draw a popup", || async {
        Ok(display.windows_of(daemon.pid())?.into_iter().find(|w| !before.contains(w)))
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_with_a_picture_and_buttons_is_drawn_as_a_desktop_draws_it() -> anyhow::Result<()> {
    let daemon = NotificationDaemon::start().await?;
    let display = Display::open()?;
    let ntfy = Ntfy::start().await;
    let pictures = Pictures::start().await;
    let dir = tempfile::tempdir()?;
    let (_herald, _client) = herald_following(dir.path(), &ntfy.url).await?;
    let log = json!([{"action": "view", "label": "Open log", "url": "https://ci.example/log/7"}]);

    // First without a picture: what the daemon's own drawing holds of the blue.
    let plain =
        Message { title: Some("Backup done"), message: "42 GB in 6 min", actions: Some(log), ..Message::default() };
    ntfy.publish("alerts", &plain);
    let first = new_popup(&display, &daemon, &[]).await?;
    let drawn_alone = eventually("the first popup drawn", || async {
        let captured = display.capture(first)?;
        Ok((captured.count(|r, g, b| (r, g, b) != (0, 0, 0)) > 0).then_some(captured))
    })
    .await?;
    let blue_alone = drawn_alone.count(herald_blue);

    let picture = format!("{}/herald.png", pictures.url);
    let buttons = json!([
        {"action": "view", "label": "Open camera", "url": "https://cams.example/door"},
        {"action": "http", "label": "Close door", "url": "https://api.example/door", "method": "PUT"},
    ]);
    let door = Message {
        title: Some("Front door"),
        message: "The door is **open** since 10:02",
        markdown: true,
        attach: Some(&picture),
        actions: Some(buttons),
        ..Message::default()
    };
    ntfy.publish("alerts", &door);
    let popup = new_popup(&display, &daemon, &[first]).await?;
    let drawn: Captured = eventually("the picture drawn in the popup", || async {
        let captured = display.capture(popup)?;
        Ok((captured.count(herald_blue) > blue_alone + 400).then_some(captured))
    })
    .await?;
    assert!(drawn.width >= 200 && drawn.height >= 60, "a popup, not a speck: {}x{}", drawn.width, drawn.height);
    drawn.save_png(&herald_e2e::screenshot_path("notification")?)?;
    Ok(())
}
