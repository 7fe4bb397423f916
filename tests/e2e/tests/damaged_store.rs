//! The real app started on a store that is not SQLite at all (a file
//! overwritten by something else), with a notification server on the test's
//! private bus and a REST task list (HTTP/2 over TLS, no ids) to follow.
//!
//! Herald never starts on it and never deletes it: the file is moved aside,
//! byte for byte, under a dated name; the feed comes back from the backup
//! that `herald-cli feeds import` wrote beside the store; one notification
//! and the window's alert say what happened, in one line; and the feed is
//! followed again from its server's snapshot, a teammate's change arriving
//! as ever.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_e2e::alerts::shown_after;
use herald_e2e::cli::run as cli;
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::eventually;
use herald_e2e::notifications::NotificationServer;
use herald_e2e::page::{script, until};
use herald_test_support::tasklist::TaskList;
use herald_test_support::tls::self_signed_ca_true;

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_is_not_sqlite_is_moved_aside_and_the_feeds_come_back_from_their_backup() -> anyhow::Result<()> {
    let notifications = NotificationServer::start().await?;
    let data = tempfile::tempdir()?;
    let identity = self_signed_ca_true();
    let pem = data.path().join("list.pem");
    std::fs::write(&pem, &identity.trust_pem)?;
    let list = TaskList::start(&identity).await;
    list.create("Water plants");

    let store = data.path().join("herald.db");
    let feeds = data.path().join("feeds.toml");
    std::fs::write(
        &feeds,
        format!(
            "[[feed]]\nname = \"list\"\npreset = \"task-list\"\nurl = \"{}\"\nca_cert = \"{}\"\n",
            list.stream_url(),
            pem.display()
        ),
    )?;
    let imported = cli(&store, &["feeds", "import", feeds.to_str().expect("UTF-8")], "")?;
    anyhow::ensure!(imported.status.success(), "{imported:?}");
    let backup = data.path().join("herald.feeds.toml");
    assert!(std::fs::read_to_string(&backup)?.contains("name = \"list\""), "the import wrote the backup");

    // Something else is written over the store.
    let damaged = "Shopping: milk, eggs, bread.\n".repeat(500);
    std::fs::write(&store, &damaged)?;

    let driver = Driver::start(&[("HERALD_STORE", store.to_str().expect("UTF-8"))]).await?;
    let app = driver.session(&app_binary()?).await?;

    let told = shown_after(&notifications, 0, "Herald's store was damaged, and started afresh").await?;
    assert_eq!(told.hint("category"), Some("x-herald.store"));
    assert!(told.body.contains("keeping its one feed (restored from their backup)"), "{}", told.body);
    assert!(!told.body.contains('\n'), "one line: {}", told.body);

    let notice = until(
        &app,
        "the window's alert that the store was damaged",
        "return document.querySelector('p.notice[role=alert]')?.textContent ?? ''",
        |t| t.as_str().is_some_and(|t| t.contains("store was damaged")),
    )
    .await?;
    let notice = notice.as_str().unwrap_or_default().to_owned();
    assert!(notice.contains("(file is not a database)"), "{notice}");

    // Moved aside as it was, under a dated name, and a new store in its place.
    let moved: Vec<_> = std::fs::read_dir(data.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("herald.damaged-")))
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert!(notice.contains(&*moved[0].to_string_lossy()), "the alert says where: {notice}");
    assert_eq!(std::fs::read(&moved[0])?, damaged.as_bytes(), "kept byte for byte");
    assert!(std::fs::read(&store)?.starts_with(b"SQLite format 3\0"), "a new store");

    // The feed follows its server again: the snapshot, then a live change.
    eventually("the list to be live", || async {
        let tones =
            script(&app, "return [...document.querySelectorAll('button.entry.feed')].map(b => b.dataset.tone)").await?;
        Ok(tones.as_array().is_some_and(|t| t.len() == 1 && t[0] == "good").then_some(()))
    })
    .await?;
    let before = notifications.shown().len();
    list.create("Call the plumber");
    shown_after(&notifications, before, "Someone added 'Call the plumber'").await?;
    let stores_told = notifications.shown().iter().filter(|n| n.hint("category") == Some("x-herald.store")).count();
    assert_eq!(stores_told, 1, "told once");
    app.close().await?;
    Ok(())
}
