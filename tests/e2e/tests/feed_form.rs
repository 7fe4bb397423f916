//! Setting feeds up in the real window, as a new user would: a REST task
//! list that speaks only HTTP/2 over TLS with a self-signed certificate is
//! added through the form and trusted with "Trust this certificate" after
//! the fingerprint is compared; Herald's hub is added with a bearer token,
//! which goes to gnome-keyring and into no file.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use std::path::Path;

use fantoccini::{Client, Locator};
use herald_core::secrets::{OsKeyring, Secrets};
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::notifications::NotificationServer;
use herald_e2e::page::{script, until};
use herald_e2e::{eventually, DEADLINE};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::tasklist::TaskList;
use herald_test_support::tls::self_signed_ca_true;
use serde_json::{json, Value};

const TOKEN: &str = "form-secret-token-4711";

async fn find(app: &Client, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    Ok(app.wait().at_most(DEADLINE).for_element(Locator::Css(css)).await?)
}

async fn type_into(app: &Client, css: &str, text: &str) -> anyhow::Result<()> {
    find(app, css).await?.send_keys(text).await?;
    Ok(())
}

async fn feed_tone(app: &Client, feed: &str) -> anyhow::Result<Value> {
    script(app, &format!("return document.querySelector(\"button[data-feed='{feed}']\")?.dataset.tone ?? null")).await
}

/// Every file under `dir` that holds `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle)?);
        } else if std::fs::read(&path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle)) {
            found.push(path.display().to_string());
        }
    }
    Ok(found)
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_are_added_through_the_form_with_a_trusted_certificate_and_a_kept_secret() -> anyhow::Result<()> {
    let _notifications = NotificationServer::start().await?;
    let data = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&data.path().join("keyring")).await?;
    let identity = self_signed_ca_true();
    let list = TaskList::start(&identity).await;
    list.create("Water plants");
    let hub = LocalHub::start(HubConfig::default().with_actor("You", TOKEN), &StoreLocation::Memory).await?;

    let store = data.path().join("store/herald.db");
    // The webview's own storage (the theme) is the test's, not left by another.
    let webview = data.path().join("webview");
    let driver = Driver::start(&[
        ("HERALD_STORE", store.to_str().expect("UTF-8")),
        ("XDG_DATA_HOME", webview.to_str().expect("UTF-8")),
    ])
    .await?;
    let app = driver.session(&app_binary()?).await?;

    // With no feeds of its own, Herald follows its demo: wait for the
    // sidebar to list it, so that nothing moves under the next click.
    find(&app, "button[data-feed='Demo']").await?;

    // The task list: refused at first, with the certificate's fingerprint.
    find(&app, "button.entry.add").await?.click().await?;
    type_into(&app, "#feed-name", "list").await?;
    type_into(&app, "#feed-url", &list.stream_url()).await?;
    find(&app, "button.test").await?.click().await?;
    let shown = find(&app, "code.fingerprint").await?;
    let expected = herald_core::tls::fingerprint(identity.chain[0].as_ref());
    assert_eq!(script(&app, "return document.querySelector('code.fingerprint').textContent").await?, json!(expected));
    assert!(shown.is_displayed().await?);
    find(&app, "button.trust-button").await?.click().await?;
    until(&app, "the connection to pass", "return document.querySelector('.probe-status')?.textContent ?? null", |s| {
        s == "200"
    })
    .await?;
    assert_eq!(script(&app, "return document.querySelector('.probe-problem')").await?, Value::Null);
    find(&app, "#feed-preset").await?.select_by_value("task-list").await?;
    script(&app, "document.querySelector('.feed-editor').scrollTop = 0").await?;
    herald_e2e::screenshot(&app, "feed-form-light").await?;
    find(&app, "button.save").await?.click().await?;
    until(
        &app,
        "the task list to be live",
        "return document.querySelector(\"button[data-feed='list']\")?.dataset.tone ?? null",
        |t| t == "good",
    )
    .await?;
    find(&app, "button[data-feed='list']").await?.click().await?;
    until(
        &app,
        "its records",
        "return [...document.querySelectorAll('.records li .name')].map(n => n.textContent)",
        |n| n == &json!(["Water plants"]),
    )
    .await?;

    // Herald's hub, with a bearer token typed into the form.
    find(&app, "button.entry.add").await?.click().await?;
    type_into(&app, "#feed-name", "hub").await?;
    type_into(&app, "#feed-url", &format!("{}/tasks/subscribe", hub.url)).await?;
    find(&app, "#feed-preset").await?.select_by_value("herald-hub").await?;
    find(&app, "#feed-auth").await?.select_by_value("bearer").await?;
    type_into(&app, "#feed-secret", TOKEN).await?;
    find(&app, "button.save").await?.click().await?;
    eventually("the hub to be live with the token", || async {
        Ok((feed_tone(&app, "hub").await? == "good").then_some(()))
    })
    .await?;
    // The secret is in gnome-keyring, and in no file under the test's folder.
    let kept = tokio::task::spawn_blocking(|| OsKeyring.get("hub")).await??;
    assert_eq!(kept, TOKEN);
    assert_eq!(files_holding(data.path(), TOKEN.as_bytes())?, Vec::<String>::new());
    // Nor is it ever sent back to the window.
    find(&app, "button.edit").await?.click().await?;
    find(&app, "form[aria-label='Edit feed']").await?;
    assert_eq!(script(&app, "return document.querySelector('#feed-secret').value").await?, json!(""));
    let page = script(&app, "return document.documentElement.outerHTML").await?;
    assert!(!page.as_str().unwrap_or_default().contains(TOKEN));
    app.close().await?;
    Ok(())
}
