//! Single sign-on against a real OpenID provider (`oidc-provider` from npm,
//! on loopback; see `herald_test_support::oidc`), whose small resource
//! server streams an event every 100 ms to holders of a live access token,
//! ends each stream when its token expires, and refuses an expired or
//! revoked one with a 401.
//!
//! - signing in with the device grant (the test plays the user in
//!   `browser.py`), and through the browser with a loopback redirect;
//! - access tokens that live 5 s: a stream goes through 20 refreshes with
//!   every event exactly once, in order;
//! - a revoked access token is a 401 in the middle of the stream: refreshed
//!   at once, and the stream resumes with nothing lost;
//! - a revoked refresh token stops the feed as needing the user to sign in;
//! - signing out forgets the token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_core::feed::{Auth, Feed};
use herald_core::oidc::{sign_in_on_device, sign_in_with_browser, sign_out};
use herald_core::proxy::NoDesktop;
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::sse::{Phase, StopReason, Subscription};
use herald_test_support::oidc::Provider;
use reqwest::header::HeaderMap;

const WITHIN: Duration = Duration::from_secs(30);
const EVERY: Duration = Duration::from_millis(100);

fn feed(provider: &Provider) -> Feed {
    let mut feed = Feed::new("tasks", provider.events.clone());
    feed.settings.auth = Some(Auth::oidc(&provider.issuer, "herald", &["tasks"]));
    feed
}

/// `feed` signed in as `user` with the device grant; its keyring.
async fn signed_in(provider: &Provider, feed: &Feed, user: &str) -> Arc<dyn Secrets> {
    let secrets: Arc<dyn Secrets> = Arc::new(MemorySecrets::default());
    let (shown_tx, shown_rx) = tokio::sync::oneshot::channel();
    let http = reqwest::Client::new();
    let settings = feed.sign_in().unwrap();
    let signing_in = sign_in_on_device(&settings, &http, &secrets, |code| {
        let _ = shown_tx.send(code.clone());
    });
    let playing = async {
        // The user's part, once the code is shown.
        let code = shown_rx.await.unwrap();
        let address = code.complete.clone().expect("oidc-provider gives the address with the code");
        assert!(address.contains(&code.code), "{address}");
        provider.complete(&address, user).await;
    };
    let (signed, ()) = tokio::join!(signing_in, playing);
    assert_eq!(signed.unwrap().who, user);
    secrets
}

async fn follow(feed: &Feed, secrets: Arc<dyn Secrets>, cursor: Option<String>) -> Subscription {
    let setup = feed.setup(cursor, None, secrets, &NoDesktop, HeaderMap::new()).await.unwrap();
    Subscription::start(setup.client, setup.config)
}

/// The next event's number, and when it came.
async fn next_number(subscription: &mut Subscription) -> (u64, Instant) {
    let next = tokio::time::timeout(WITHIN, subscription.next_event()).await;
    let event = next.unwrap_or_else(|_| panic!("no event in time: {:?}", subscription.state().borrow())).unwrap();
    (event.last_event_id.parse().unwrap(), Instant::now())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_goes_through_twenty_refreshes_with_every_event_once() {
    let provider = Provider::start(Duration::from_secs(5), EVERY).await;
    let feed = feed(&provider);
    let secrets = signed_in(&provider, &feed, "ana").await;
    let first_refresh_token = secrets.get("tasks sign-in").unwrap();
    let mut subscription = follow(&feed, secrets.clone(), None).await;
    // How long each stream was down: from its end (its token expired) to
    // the next opening, with the next token.
    let mut states = subscription.state();
    let downtimes = tokio::spawn(async move {
        let (mut ended, mut downtimes) = (None, Vec::new());
        while states.changed().await.is_ok() {
            match states.borrow_and_update().phase {
                Phase::Open { .. } => downtimes.extend(ended.take().map(|at: Instant| at.elapsed())),
                _ => ended = ended.or(Some(Instant::now())),
            }
        }
        downtimes
    });

    let (first, mut at) = next_number(&mut subscription).await;
    let mut expected = first + 1;
    let mut gaps = Vec::new();
    while subscription.state().borrow().opened < 21 {
        let (n, when) = next_number(&mut subscription).await;
        assert_eq!(n, expected, "every event once, in order (after {} openings)", subscription.state().borrow().opened);
        gaps.push(when - at);
        (expected, at) = (n + 1, when);
    }
    // The streams ended as their tokens expired; each opened again at once
    // with the next token, resuming with Last-Event-ID.
    subscription.close();
    let mut downtimes = downtimes.await.unwrap();
    downtimes.sort();
    gaps.sort();
    let events = expected - first;
    let longest = gaps.last().copied().unwrap_or_default();
    eprintln!(
        "20 refreshes: {events} events, none lost or repeated; from a token's expiry to the stream open again: \
         median {:?}, longest {:?} ({} reopenings); the longest wait between two events {longest:?} (one comes \
         every {EVERY:?})",
        downtimes.get(downtimes.len() / 2).copied().unwrap_or_default(),
        downtimes.last().copied().unwrap_or_default(),
        downtimes.len(),
    );
    assert!(downtimes.len() >= 20, "20 reopenings seen: {downtimes:?}");
    assert!(longest < Duration::from_secs(5), "no reconnection waited for a backoff: {longest:?}");
    assert_ne!(secrets.get("tasks sign-in").unwrap(), first_refresh_token, "the rotated refresh token is kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_access_token_is_refreshed_at_once_and_a_revoked_sign_in_needs_you() {
    let provider = Provider::start(Duration::from_secs(3600), EVERY).await;
    let feed = feed(&provider);
    let secrets = signed_in(&provider, &feed, "luis").await;
    let mut subscription = follow(&feed, secrets.clone(), None).await;
    let (first, _) = next_number(&mut subscription).await;

    // The server refuses the token in the middle of the stream.
    assert!(provider.revoke_access().await >= 1);
    let mut expected = first + 1;
    while subscription.state().borrow().opened < 2 || expected < first + 20 {
        let (n, _) = next_number(&mut subscription).await;
        assert_eq!(n, expected, "nothing lost across the 401");
        expected = n + 1;
    }

    // An administrator ends the sign-in: the feed needs the user.
    provider.revoke_refresh_token(&secrets.get("tasks sign-in").unwrap()).await;
    provider.revoke_access().await;
    let mut state = subscription.state();
    let stopped = state.wait_for(|s| matches!(s.phase, Phase::Stopped { .. }));
    let stopped = tokio::time::timeout(WITHIN, stopped).await.expect("stopped in time").unwrap().clone();
    match stopped.phase {
        Phase::Stopped { reason: StopReason::NeedsSignIn { message } } => {
            assert!(message.contains("expired or was revoked"), "{message}")
        }
        other => panic!("expected a stop that needs a sign-in, got {other:?}"),
    }

    // Signing out forgets what is left; a feed never signed in needs you too.
    sign_out(&feed.sign_in().unwrap(), &reqwest::Client::new(), &secrets).await.unwrap();
    assert!(secrets.get("tasks sign-in").is_err(), "the token is forgotten");
    let never = follow(&feed, secrets, None).await;
    let mut state = never.state();
    let stopped = state.wait_for(|s| matches!(s.phase, Phase::Stopped { .. }));
    let phase = tokio::time::timeout(WITHIN, stopped).await.unwrap().unwrap().phase.clone();
    assert!(
        matches!(&phase, Phase::Stopped { reason: StopReason::NeedsSignIn { message } } if message.contains("not signed in")),
        "{phase:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_through_the_browser_comes_back_on_loopback() {
    let provider = Provider::start(Duration::from_secs(60), EVERY).await;
    let feed = feed(&provider);
    let secrets: Arc<dyn Secrets> = Arc::new(MemorySecrets::default());
    let (opened_tx, opened_rx) = tokio::sync::oneshot::channel();
    let http = reqwest::Client::new();
    let settings = feed.sign_in().unwrap();
    let signing_in = sign_in_with_browser(&settings, &http, &secrets, |url| async move {
        opened_tx.send(url).map_err(|_| "no browser".to_owned())
    });
    let browsing = async {
        let url = opened_rx.await.unwrap();
        assert!(url.contains("code_challenge_method=S256"), "PKCE: {url}");
        assert!(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"), "a loopback redirect: {url}");
        provider.complete(&url, "marta").await;
    };
    let (signed, ()) = tokio::join!(signing_in, browsing);
    assert_eq!(signed.unwrap().who, "marta");
    let mut subscription = follow(&feed, secrets, None).await;
    next_number(&mut subscription).await;
}
