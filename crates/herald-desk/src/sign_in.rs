//! A feed's single sign-on from the desktop: "Sign in" in a notification,
//! the tray's menu or the window opens the provider's page in the user's
//! browser (see [`herald_core::oidc::sign_in_with_browser`]), and once they
//! have signed in the feed is set up afresh with the new sign-in. "Sign out"
//! revokes and forgets it.
//!
//! The browser is `$BROWSER` where it is set (the first of a `:`-separated
//! list, as `xdg-open` and Python's `webbrowser` read it), else the
//! desktop's: the OpenURI portal, or `xdg-open`.

use std::sync::Arc;

use herald_core::engine::{GetDefinitions, ReconnectNow};
use herald_core::error::Error;
use herald_core::feed::Feed;
use herald_core::oidc::{sign_in_with_browser, sign_out, OidcError};

use crate::Desk;

/// Signs `feed` in; who signed in.
pub async fn sign_in(desk: &Desk, feed: &str) -> Result<String, Error> {
    let feed = definition(desk, feed).await?;
    let settings = feed.sign_in().map_err(Error::invalid)?;
    let http = feed
        .http_client(desk.secrets.clone(), &*desk.desktop_proxies)
        .await
        .map_err(|e| Error::invalid(e.to_string()))?;
    let signed = sign_in_with_browser(&settings, &http, &desk.secrets, open_browser).await.map_err(error_of)?;
    tracing::info!(feed = %feed.name, who = %signed.who, "signed in");
    desk.engine.ask(ReconnectNow { name: Some(feed.name) }).await?;
    Ok(signed.who)
}

/// Signs `feed` out, and sets it up again (it then needs a sign-in).
pub async fn sign_out_of(desk: &Desk, feed: &str) -> Result<(), Error> {
    let feed = definition(desk, feed).await?;
    let settings = feed.sign_in().map_err(Error::invalid)?;
    let http = feed.http_client(desk.secrets.clone(), &*desk.desktop_proxies).await.unwrap_or_default();
    sign_out(&settings, &http, &desk.secrets).await.map_err(error_of)?;
    desk.engine.ask(ReconnectNow { name: Some(feed.name) }).await
}

/// Signs `feed` in in the background, for a button or a menu item: what
/// goes wrong is logged, and shows in the feed's state.
pub fn sign_in_later(desk: &Arc<Desk>, feed: String) {
    let desk = desk.clone();
    tokio::spawn(async move {
        if let Err(e) = sign_in(&desk, &feed).await {
            tracing::warn!(%feed, error = %e, "signing in failed");
        }
    });
}

async fn definition(desk: &Desk, name: &str) -> Result<Feed, Error> {
    let feeds = desk.engine.ask(GetDefinitions).await?;
    feeds
        .into_iter()
        .find(|f| f.name == name)
        .ok_or_else(|| Error::not_found(format!("there is no feed named {name:?}")))
}

fn error_of(error: OidcError) -> Error {
    match error {
        OidcError::Settings(message) => Error::invalid(message),
        OidcError::Unreachable(message) => Error::unavailable(message),
        OidcError::NeedsSignIn(message) | OidcError::SignIn(message) | OidcError::Keyring(message) => {
            Error::needs_you(message)
        }
    }
}

/// Opens `url` in the user's browser.
async fn open_browser(url: String) -> Result<(), String> {
    let chosen = std::env::var("BROWSER").ok();
    let Some(browser) = chosen.as_deref().and_then(|list| list.split(':').find(|b| !b.trim().is_empty())) else {
        return crate::open_link::open(&url).await;
    };
    let mut child = tokio::process::Command::new(browser.trim())
        .arg(&url)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run $BROWSER ({browser}): {e}"))?;
    // Reaped when it exits; the sign-in waits for the provider, not for it.
    tokio::spawn(async move { child.wait().await });
    Ok(())
}
