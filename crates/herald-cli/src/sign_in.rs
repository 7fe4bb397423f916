//! `feeds sign-in` and `feeds sign-out`: a feed's single sign-on from a
//! terminal. Signing in uses the device grant (RFC 8628): the provider gives
//! an address and a code, entered in any browser, on any device, while this
//! waits. The refresh token goes to the OS keyring, and nowhere else.
//!
//! When Herald runs on the same store, it is told to reconnect the feed,
//! so a feed that stopped for its sign-in goes on at once.

use std::sync::Arc;

use herald_core::engine::ReconnectNow;
use herald_core::feed::Feed;
use herald_core::oidc::{sign_in_on_device, sign_out, OidcError, OidcSettings};
use herald_core::proxy::NoDesktop;
use herald_core::secrets::{OsKeyring, Secrets};
use serde_json::json;

use crate::exit;
use crate::output::Output;
use crate::running::Feeds;

/// What a failure to sign in or out exits with.
fn code_of(error: &OidcError) -> u8 {
    match error {
        OidcError::Settings(_) => exit::USAGE,
        _ => exit::FAILED,
    }
}

/// How `feed` signs in, or the exit of a command on a feed that does not.
fn settings(feed: &Feed, out: &Output) -> Result<OidcSettings, u8> {
    feed.sign_in().map_err(|e| {
        out.error(&e);
        exit::USAGE
    })
}

/// Tells the running Herald, if the feeds are its, to set `feed` up again.
async fn reconnect(feeds: &Feeds, feed: &Feed) {
    if let Feeds::Herald(client) = feeds {
        let _ = client.ask(ReconnectNow { name: Some(feed.name.clone()) }).await;
    }
}

pub async fn sign_in(feeds: &Feeds, feed: &Feed, out: &Output) -> u8 {
    let settings = match settings(feed, out) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let secrets: Arc<dyn Secrets> = Arc::new(OsKeyring);
    let http = match feed.http_client(secrets.clone(), &NoDesktop).await {
        Ok(http) => http,
        Err(e) => {
            out.error(&e.to_string());
            return exit::USAGE;
        }
    };
    let show = |code: &herald_core::oidc::DeviceCode| {
        if out.json() {
            out.line(
                &json!({"kind": "signIn", "feed": feed.name, "address": code.address, "code": code.code,
                "complete": code.complete})
                .to_string(),
            );
        } else {
            out.line(&format!("To sign {} in at {}, open {}", feed.name, settings.issuer, code.address));
            out.line(&format!("and enter the code {}", code.code));
            if let Some(complete) = &code.complete {
                out.line(&format!("(or open {complete}, which has the code in it)"));
            }
        }
    };
    match sign_in_on_device(&settings, &http, &secrets, show).await {
        Ok(signed) => {
            if out.json() {
                out.line(&json!({"kind": "signedIn", "feed": feed.name, "who": signed.who}).to_string());
            } else {
                out.line(&format!("Signed in as {}.", signed.who));
            }
            reconnect(feeds, feed).await;
            exit::OK
        }
        Err(e) => {
            out.error(&e.to_string());
            code_of(&e)
        }
    }
}

pub async fn sign_out_of(feeds: &Feeds, feed: &Feed, out: &Output) -> u8 {
    let settings = match settings(feed, out) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let secrets: Arc<dyn Secrets> = Arc::new(OsKeyring);
    let http = feed.http_client(secrets.clone(), &NoDesktop).await.unwrap_or_default();
    match sign_out(&settings, &http, &secrets).await {
        Ok(()) => {
            if !out.json() {
                out.line(&format!("Signed out: the feed {:?} needs a sign-in to go on.", feed.name));
            }
            reconnect(feeds, feed).await;
            exit::OK
        }
        Err(e) => {
            out.error(&e.to_string());
            code_of(&e)
        }
    }
}
