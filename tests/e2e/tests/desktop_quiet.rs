//! The desktop's own do not disturb is Herald's quiet: with stand-ins on
//! the private bus for GNOME's (`show-banners`, through the Settings
//! portal) and then KDE's (the notification server's `Inhibited`), a burst
//! is held for one digest, and an urgent message breaks through, silently
//! though a sound is chosen for it; the digest makes the sound chosen.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use herald_core::attention::{DesktopQuiet, PrioritySounds, SoundName, Sounds};
use herald_core::ipc::{GetSounds, GetStatus, SetSounds};
use herald_e2e::alerts::{herald_following, shown_after};
use herald_e2e::eventually;
use herald_e2e::notifications::NotificationServer;
use herald_e2e::portal::Portal;
use herald_test_support::ntfy::{Message, Ntfy};

#[tokio::test(flavor = "multi_thread")]
async fn the_desktops_do_not_disturb_holds_a_burst_and_urgent_breaks_through() -> anyhow::Result<()> {
    let notifications = NotificationServer::start().await?;
    let portal = Portal::start().await?;
    let ntfy = Ntfy::start().await;
    let dir = tempfile::tempdir()?;
    let (_herald, client) = herald_following(dir.path(), &ntfy.url).await?;
    let sound = |name: &str| SoundName::try_from(name.to_owned()).ok();
    let every = PrioritySounds { low: None, normal: sound("bell"), urgent: sound("alarm-clock-elapsed") };
    let sounds = Sounds { every, feeds: Default::default() };
    client.ask(SetSounds { sounds: sounds.clone() }).await?;
    assert_eq!(client.ask(GetSounds).await?, sounds);
    let quiet_is = |want: Option<DesktopQuiet>| {
        let client = &client;
        async move {
            eventually(&format!("Herald to see the desktop's quiet as {want:?}"), || async {
                Ok((client.ask(GetStatus).await?.desktop_quiet == want).then_some(()))
            })
            .await
        }
    };

    type Turn<'a> = Box<dyn Fn(bool) -> futures_util::future::BoxFuture<'a, anyhow::Result<()>> + 'a>;
    let gnome: Turn = Box::new(|on| Box::pin(portal.do_not_disturb(on)));
    let kde: Turn = Box::new(|on| Box::pin(notifications.inhibit(on)));
    for (round, (desktop, turn)) in
        [(DesktopQuiet::Gnome, gnome), (DesktopQuiet::Inhibited, kde)].into_iter().enumerate()
    {
        turn(true).await?;
        quiet_is(Some(desktop)).await?;
        let before = notifications.shown().len();
        for i in 0..10 {
            let text = format!("Build {round}.{i} passed");
            ntfy.publish("alerts", &Message { message: &text, ..Message::default() });
        }
        let urgent = format!("Build {round} broke production");
        ntfy.publish("alerts", &Message { message: &urgent, priority: Some(5), ..Message::default() });
        let broke = shown_after(&notifications, before, &urgent).await?;
        assert_eq!(broke.urgency, Some(2));
        assert_eq!(broke.hint("suppress-sound"), Some("true"), "it breaks through silently");
        assert_eq!(broke.hint("sound-name"), None, "{broke:?}");
        turn(false).await?;
        let digest = shown_after(&notifications, before, "While you were away: 10 changes to alerts").await?;
        let since: Vec<String> = notifications.shown()[before..].iter().map(|n| n.summary.clone()).collect();
        assert_eq!(since, [urgent.clone(), digest.summary.clone()], "the burst was held for the digest alone");
        assert_eq!(digest.hint("category"), Some("x-herald.digest"));
        assert_eq!(digest.hint("sound-name"), Some("bell"), "the sound chosen for normal priority");
        assert_eq!(digest.hint("suppress-sound"), None);
        quiet_is(None).await?;
    }
    Ok(())
}
