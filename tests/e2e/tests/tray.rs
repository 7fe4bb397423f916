//! The tray process alone, read as a panel reads it over D-Bus: a
//! teammate's changes are counted unread in its tooltip and its feed's
//! line, and the count holds when the feed reconnects after its server
//! restarted (it was lost there on every state change once).
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_e2e::eventually;
use herald_e2e::herald::Herald;
use herald_e2e::notifications::NotificationServer;
use herald_e2e::tray::{Seen, TrayHost};
use std::net::SocketAddr;

use herald_hub::{HubConfig, LocalHub, StoreLocation};

const BOB: &str = "bob-tray-token";

/// The menu's line for the one feed, whose source is the hub's address.
fn line(seen: &Seen, hub: SocketAddr) -> String {
    let prefix = format!("{hub}: ");
    seen.menu.iter().find(|l| l.starts_with(&prefix)).cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_unread_count_holds_across_a_reconnect() -> anyhow::Result<()> {
    let _notifications = NotificationServer::start().await?;
    let panel = TrayHost::start().await?;
    let data = tempfile::tempdir()?;
    let config = || {
        let mut config = HubConfig::default().with_actor("Bob", BOB);
        config.anonymous_reads = true;
        config
    };
    let db = StoreLocation::File(data.path().join("hub.db"));
    let server = LocalHub::start(config(), &db).await?;
    let store = data.path().join("herald.db");
    herald_e2e::cli::store_hub_feed_uncoalesced(&store, &server.url)?;
    let store = store.to_str().expect("a UTF-8 temporary path");
    let _herald = Herald::start(&[("HERALD_STORE", store)], &data.path().join("herald.sock")).await?;
    let item = panel.item().await?;
    eventually("the feed to be connected", || async {
        Ok(line(&panel.read(&item).await?, server.addr).ends_with(": connected").then_some(()))
    })
    .await?;

    for name in ["Water plants", "Call the plumber", "Pay rent"] {
        server.hub.create("Bob", name).await?;
    }
    eventually("three unread in the feed's line", || async {
        Ok(line(&panel.read(&item).await?, server.addr).ends_with(": connected · 3 unread").then_some(()))
    })
    .await?;
    // The tooltip is a property of its own, told apart (NewToolTip).
    let says_three = || async {
        let tip = panel.read(&item).await?.tooltip_text.unwrap_or_default();
        Ok((tip.starts_with("1 feed · ") && tip.ends_with(" · 3 unread")).then_some(()))
    };
    eventually("three unread in the tooltip", says_three).await?;

    // The hub restarts: the feed loses its stream, then connects again.
    let addr = server.addr;
    server.stop().await?;
    eventually("the feed to lose its stream", || async {
        Ok((!line(&panel.read(&item).await?, addr).contains(": connected")).then_some(()))
    })
    .await?;
    let server = LocalHub::start_on(addr, config(), &db).await?;
    let seen = eventually("the feed to be connected again", || async {
        let seen = panel.read(&item).await?;
        Ok(line(&seen, addr).contains(": connected").then_some(seen))
    })
    .await?;
    // Read in the same view as the reconnect: nothing was read meanwhile.
    assert_eq!(line(&seen, addr), format!("{addr}: connected · 3 unread"));
    eventually("the tooltip to count them still", says_three).await?;
    server.stop().await?;
    Ok(())
}
