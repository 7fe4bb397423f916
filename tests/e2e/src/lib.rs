//! Harness for end-to-end tests of the real Herald binary.
//!
//! The tests run inside `xvfb-run … dbus-run-session`, so they have a display
//! and a private session bus. On that bus the test itself is the
//! notification server ([`notifications`]); the app window is driven over
//! WebDriver through tauri-driver and WebKitWebDriver ([`driver`]).

pub mod alerts;
pub mod cli;
pub mod daemon;
pub mod driver;
pub mod fanout;
pub mod herald;
pub mod keyring;
pub mod notifications;
pub mod page;
pub mod portal;
pub mod procs;
pub mod real_portal;
pub mod soak;
pub mod tray;
pub mod x11;

use std::future::Future;
use std::time::Duration;

/// How long any single expectation may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `check` until it returns `Some`, or fails with `what` after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let mut ticks = tokio::time::interval(Duration::from_millis(50));
    let give_up = tokio::time::Instant::now() + DEADLINE;
    let mut last_error = None;
    loop {
        ticks.tick().await;
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if tokio::time::Instant::now() >= give_up {
            let detail = last_error.map(|e| format!(" (last error: {e:#})")).unwrap_or_default();
            anyhow::bail!("timed out after {DEADLINE:?} waiting for {what}{detail}");
        }
    }
}

/// A teammate creates a task on the hub at `url`, through REST; its id.
pub async fn create_task(http: &reqwest::Client, url: &str, token: &str, name: &str) -> anyhow::Result<i64> {
    let task: serde_json::Value = http
        .post(format!("{url}/tasks"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    task["id"].as_i64().ok_or_else(|| anyhow::anyhow!("the hub returned no id: {task}"))
}

/// Waits until `name` is owned on the session bus: a daemon the test
/// started is ready.
pub async fn name_owned(name: &str) -> anyhow::Result<()> {
    let bus = zbus::Connection::session().await?;
    eventually(&format!("{name} to be owned on the session bus"), || async {
        let reply = bus
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "NameHasOwner",
                &(name,),
            )
            .await?;
        Ok(reply.body().deserialize::<bool>()?.then_some(()))
    })
    .await
}

/// Where the README's screenshots are: `docs/screenshots/{name}.png`.
pub fn screenshot_path(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(format!("{name}.png")))
}

/// Saves the window as `docs/screenshots/{name}.png`, for the README.
pub async fn screenshot(app: &fantoccini::Client, name: &str) -> anyhow::Result<()> {
    std::fs::write(screenshot_path(name)?, app.screenshot().await?)?;
    Ok(())
}
