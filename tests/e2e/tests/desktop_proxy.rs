//! The desktop's proxy setting, followed: GNOME's `org.gnome.system.proxy`
//! set to real squid, read by the real desktop portal (its ProxyResolver)
//! on the test's private bus. The tray process's feed of a real ntfy goes
//! through squid and says so in its state; with squid stopped, its trouble
//! is named as the proxy's; and once GNOME's proxy is turned off, "Reconnect
//! now" asks the desktop again and the feed goes straight to ntfy, missing
//! nothing.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_core::engine::{Condition, FeedState, GetFeeds, ReconnectNow};
use herald_core::ipc::Client;
use herald_core::proxy::{RouteSource, RouteUsed};
use herald_e2e::alerts::{herald_following, timeline};
use herald_e2e::eventually;
use herald_e2e::notifications::NotificationServer;
use herald_e2e::real_portal::{GnomeSettings, RealPortal};
use herald_test_support::real::ntfy::{Message, Ntfy, Options};
use herald_test_support::squid::Squid;

async fn alerts_feed(client: &Client) -> anyhow::Result<FeedState> {
    let feeds = client.ask(GetFeeds).await?;
    feeds.into_iter().find(|f| f.name == "alerts").ok_or_else(|| anyhow::anyhow!("no feed alerts"))
}

/// The feed's state once `done` says it is the one waited for.
async fn feed_when(client: &Client, what: &str, done: impl Fn(&FeedState) -> bool) -> anyhow::Result<FeedState> {
    eventually(what, || async { Ok(Some(alerts_feed(client).await?).filter(&done)) }).await
}

/// Whether the timeline holds a message saying `text`.
async fn arrived(client: &Client, text: &str) -> anyhow::Result<()> {
    eventually(&format!("{text:?} in the timeline"), || async {
        Ok(timeline(client)
            .await?
            .iter()
            .any(|e| e.change.title == text || e.change.body.as_deref() == Some(text))
            .then_some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desktops_proxy_setting_is_followed_and_said() -> anyhow::Result<()> {
    let Some(ntfy) = Ntfy::start(Options::default()).await else { return Ok(()) };
    let _notifications = NotificationServer::start().await?;
    let mut squid = Squid::start(None).await;
    let dir = tempfile::tempdir()?;
    let gnome = GnomeSettings::under(dir.path());
    let squid_port: u16 = squid.url.rsplit(':').next().unwrap().parse()?;
    gnome.manual_proxy(squid_port)?;
    let _portal = RealPortal::start(&gnome).await?;

    let (_herald, client) = herald_following(dir.path(), &ntfy.url).await?;
    let through_squid = RouteUsed { proxy: Some(squid.url.clone()), source: RouteSource::Desktop };
    assert_eq!(alerts_feed(&client).await?.route, Some(through_squid));
    ntfy.publish("alerts", &Message { message: "Through the office proxy", ..Message::default() }).await;
    arrived(&client, "Through the office proxy").await?;

    // The proxy goes down: the feed's trouble is the proxy's.
    squid.stop();
    let blamed = format!("the proxy {} cannot be reached", squid.url);
    let offline = feed_when(&client, "the feed to blame the proxy", |f| {
        f.health.condition == Condition::Offline && f.health.reason.as_deref().is_some_and(|r| r.contains(&blamed))
    })
    .await?;
    assert!(offline.health.reason.unwrap().starts_with(&blamed));

    // The user turns GNOME's proxy off (at home, say) and reconnects: the
    // desktop is asked again, and what was sent meanwhile arrives.
    ntfy.publish("alerts", &Message { message: "Sent while the proxy was down", ..Message::default() }).await;
    gnome.no_proxy()?;
    client.ask(ReconnectNow { name: Some("alerts".into()) }).await?;
    let straight = RouteUsed { proxy: None, source: RouteSource::Desktop };
    let live = feed_when(&client, "the feed to go straight and be live", |f| {
        f.route.as_ref() == Some(&straight) && f.health.condition == Condition::Live
    })
    .await?;
    assert_eq!(live.route.unwrap().to_string(), "straight to the server (the desktop's proxy setting)");
    arrived(&client, "Sent while the proxy was down").await?;
    Ok(())
}
