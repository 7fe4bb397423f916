//! At home on the desktop: one Herald per user, where a second launch, or
//! a `herald://` link the desktop hands to `herald`, opens the window of
//! the running one on its target; and the window's size and position,
//! kept between openings although each opening is a new process.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use std::path::Path;
use std::process::{Command, Output};

use fantoccini::{Client, Locator};
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::eventually;
use herald_e2e::page::until;
use herald_e2e::x11::Display;
use herald_hub::{HubConfig, LocalHub, StoreLocation};

const YOU: &str = "you-e2e-token";

/// `herald` launched again, as the desktop launches it, on Herald's socket.
fn launch(socket: &Path, args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(herald_e2e::herald::binary()?)
        .args(args)
        .env("HERALD_SOCKET", socket)
        // Were it to start a second Herald, that one would try a window of its own.
        .env("HERALD_WINDOW", "none")
        .output()?)
}

/// A link's part, percent-encoded.
fn encode(part: &str) -> String {
    part.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn focused_key(app: &Client) -> anyhow::Result<String> {
    let key = until(app, "a focused record", "return document.querySelector('li.focused')?.dataset.key ?? ''", |k| {
        k.as_str().is_some_and(|k| !k.is_empty())
    })
    .await?;
    Ok(key.as_str().unwrap_or_default().to_owned())
}

/// The one window on screen, once it is there.
async fn shown(display: &Display) -> anyhow::Result<u32> {
    eventually("the window on screen", || async { Ok(display.shown_windows("Herald")?.first().copied()) }).await
}

#[tokio::test(flavor = "multi_thread")]
async fn one_herald_deep_links_and_the_window_where_it_was_left() -> anyhow::Result<()> {
    let config = HubConfig::default().with_actor("You", YOU);
    let server = LocalHub::start(config, &StoreLocation::Memory).await?;
    let (hub, url) = (&server.hub, server.url.clone());
    let first = hub.create("You", "Water plants").await?.task.id;
    let second = hub.create("You", "Buy milk").await?.task.id;

    let data = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&data.path().join("keyring")).await?;
    let store = data.path().join("herald.db");
    let config_home = data.path().join("config");
    let env = [
        ("HERALD_SERVER", url.as_str()),
        ("HERALD_TOKEN", YOU),
        ("HERALD_STORE", store.to_str().expect("UTF-8")),
        // Where the window keeps its size and position.
        ("XDG_CONFIG_HOME", config_home.to_str().expect("UTF-8")),
    ];
    let driver = Driver::start(&env).await?;
    let socket = driver.herald.socket().to_owned();
    let app = driver.session(&app_binary()?).await?;
    let feed = format!("{url}/tasks/subscribe");
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(&format!("li[data-key='{first}']"))).await?;

    // A second launch on a record's link: it hands the link to the running
    // Herald and exits, and the window shows that record.
    let link = format!("herald://record/{}/{second}", encode(&feed));
    let second_launch = launch(&socket, &[&link])?;
    assert!(second_launch.status.success(), "{}", String::from_utf8_lossy(&second_launch.stderr));
    assert_eq!(focused_key(&app).await?, second.to_string(), "the window went to the linked task");
    let herald = driver.herald.pid().expect("Herald runs");
    assert!(Path::new(&format!("/proc/{herald}")).exists(), "the first Herald still runs");

    // A link that does not read is refused with what would, before anything runs.
    let bad = launch(&socket, &["herald://task/7"])?;
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("herald://record/FEED/KEY"), "{said}");

    // The user moves and resizes the window, and closes it.
    let display = Display::open()?;
    let window = shown(&display).await?;
    let pid = display.pid(window)?.expect("the window names its process");
    let placed = (48, 36, 1000, 620);
    display.place(window, placed)?;
    eventually("the window to be placed", || async { Ok((display.geometry(window)? == placed).then_some(())) }).await?;
    display.close(window)?;
    eventually("the window's process to exit", || async {
        Ok((!Path::new(&format!("/proc/{pid}")).exists()).then_some(()))
    })
    .await?;
    // WebKitWebDriver holds one session: the closed window's is ended first.
    let _ = app.close().await;

    // Opened again, a new process, it is where the user left it.
    let app = driver.session(&app_binary()?).await?;
    let window = shown(&display).await?;
    assert_ne!(display.pid(window)?, Some(pid), "a new window process");
    // Size and position kept between openings; were they not, this would
    // wait for ever for a geometry nothing sets.
    eventually("the window to be where it was left", || async {
        Ok((display.geometry(window)? == placed).then_some(()))
    })
    .await?;
    app.close().await?;
    Ok(())
}
