//! Single sign-on in the app, against a real OpenID provider
//! (`oidc-provider` from npm, on loopback) whose resource server streams to
//! holders of its 5-second access tokens, with a real keyring
//! (gnome-keyring) and a notification server on the test's private bus.
//!
//! A feed that signs in, never signed in, says so at once in a
//! notification with a "Sign in" button. Pressing it opens the provider's
//! page in `$BROWSER`, here `tests/oidc/browser.py`, which fills in the
//! login and consent forms as a person would; the provider redirects to the
//! tray process's loopback port, and the feed goes live, and stays live
//! across its tokens' expiry. Signing out makes it need a sign-in again;
//! and no token the provider issued is in any file under the test's folder.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use std::path::PathBuf;
use std::time::Duration;

use herald_core::engine::{Condition, FeedState, GetFeeds};
use herald_core::ipc::{Client, SignOut};
use herald_e2e::alerts::shown_after;
use herald_e2e::eventually;
use herald_e2e::herald::Herald;
use herald_e2e::notifications::NotificationServer;
use herald_test_support::leaks::files_holding;
use herald_test_support::oidc::{browser, Provider};

async fn tasks(client: &Client) -> anyhow::Result<FeedState> {
    let feeds = client.ask(GetFeeds).await?;
    feeds.into_iter().find(|f| f.name == "tasks").ok_or_else(|| anyhow::anyhow!("no feed tasks"))
}

async fn tasks_when(client: &Client, what: &str, done: impl Fn(&FeedState) -> bool) -> anyhow::Result<FeedState> {
    eventually(what, || async { Ok(Some(tasks(client).await?).filter(&done)) }).await
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_from_a_notification_goes_through_the_browser_and_stays_live() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&dir.path().join("keyring")).await?;
    let notifications = NotificationServer::start().await?;
    let provider = Provider::start(Duration::from_secs(5), Duration::from_millis(100)).await;
    let store = dir.path().join("herald.db");
    let feeds = dir.path().join("feeds.toml");
    let auth = format!(
        "{{ scheme = \"oidc\", issuer = \"{}\", client_id = \"herald\", scopes = [\"tasks\"] }}",
        provider.issuer
    );
    std::fs::write(&feeds, format!("[[feed]]\nname = \"tasks\"\nurl = \"{}\"\nauth = {auth}\n", provider.events))?;
    let imported = herald_e2e::cli::run(&store, &["feeds", "import", feeds.to_str().unwrap()], "")?;
    anyhow::ensure!(imported.status.success(), "{imported:?}");

    let browser = browser();
    let env = [("HERALD_STORE", store.to_str().unwrap()), ("BROWSER", browser.to_str().unwrap()), ("OIDC_USER", "ana")];
    let socket = dir.path().join("herald.sock");
    let _herald = Herald::start(&env, &socket).await?;
    let client = Client::connect(&socket).await?;

    // Never signed in: it needs the user, and says so at once, with a button.
    let needs =
        tasks_when(&client, "the feed to need a sign-in", |f| f.health.condition == Condition::NeedsSignIn).await?;
    assert!(needs.signs_in);
    let asked = shown_after(&notifications, 0, "tasks needs you to sign in").await?;
    assert_eq!(asked.action("sign-in"), Some("Sign in"), "{asked:?}");
    assert_eq!(asked.hint("category"), Some("x-herald.sign-in"));

    // Sign in: the browser does the provider's forms; the feed goes live and
    // stays live as its 5-second tokens expire and are refreshed.
    notifications.action(asked.id, "sign-in").await?;
    tasks_when(&client, "the feed to go live once signed in", |f| f.health.condition == Condition::Live).await?;
    tasks_when(&client, "two tokens to expire, the stream going on", |f| {
        f.connection.opened >= 3 && f.health.condition == Condition::Live
    })
    .await?;

    // Sign out: the tokens are forgotten, and the feed needs a sign-in again.
    client.ask(SignOut { feed: "tasks".into() }).await?;
    tasks_when(&client, "the feed to need a sign-in again", |f| f.health.condition == Condition::NeedsSignIn).await?;

    let issued = provider.issued().await;
    assert!(issued.len() >= 4, "a sign-in and refreshes: {issued:?}");
    for token in &issued {
        assert_eq!(files_holding(dir.path(), token), Vec::<PathBuf>::new(), "a token in a file");
    }
    Ok(())
}
