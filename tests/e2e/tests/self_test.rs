//! The notification self-test on a desktop with no notification service:
//! Settings' "Send a test notification" explains the problem and the fix,
//! the window says so, and so does the tray, as a panel reads it over D-Bus.
//!
//! On this test's private bus nothing owns `org.freedesktop.Notifications`,
//! and nothing can be activated for it.

use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::eventually;
use herald_e2e::page::{click, until};
use herald_e2e::tray::TrayHost;

#[tokio::test(flavor = "multi_thread")]
async fn without_a_notification_service_the_self_test_the_window_and_the_tray_say_so() -> anyhow::Result<()> {
    let panel = TrayHost::start().await?;
    let data = tempfile::tempdir()?;
    let store = data.path().join("herald.db");
    let driver = Driver::start(&[
        ("HERALD_STORE", store.to_str().expect("UTF-8")),
        ("XDG_DATA_HOME", data.path().join("webview").to_str().expect("UTF-8")),
    ])
    .await?;
    let app = driver.session(&app_binary()?).await?;
    let item = panel.item().await?;

    click(&app, "button.entry.settings").await?;
    click(&app, "button.test-notification").await?;
    let explained = until(
        &app,
        "the self-test's explanation",
        "return document.querySelector('p.tested')?.textContent ?? ''",
        |t| t.as_str().is_some_and(|t| !t.is_empty()),
    )
    .await?;
    let explained = explained.as_str().unwrap_or_default().to_owned();
    assert!(explained.contains("No notification service is running"), "{explained}");
    assert!(explained.contains("install one such as dunst or mako"), "it says what to do: {explained}");
    until(
        &app,
        "the window's notice",
        "return document.querySelector('p.notice[role=alert]')?.textContent ?? ''",
        |t| t.as_str().is_some_and(|t| t.contains("No notification service")),
    )
    .await?;

    let seen = eventually("the tray to say notifications are unavailable", || async {
        let seen = panel.read(&item).await?;
        Ok(seen
            .menu
            .first()
            .is_some_and(|l| l.starts_with("Notifications unavailable: No notification service"))
            .then_some(seen))
    })
    .await?;
    assert!(seen.menu.iter().any(|l| l == "Quit Herald"), "{:?}", seen.menu);
    app.close().await?;
    Ok(())
}
