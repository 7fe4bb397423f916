//! How the desk answers each request of the socket, each with its own
//! answer type ([`Serve`]). The engine's calls go to its engine as they are
//! ([`Handler::engine`]); the rest are the tray process's own: feeds'
//! forms, keeping quiet, starting at login, the window.

use herald_core::attention::driver::Input;
use herald_core::call::{Answer, Serve};
use herald_core::engine::Engine;
use herald_core::ipc::*;
use herald_core::Error;
use tokio::sync::broadcast;

use crate::desk::lock;
use crate::feed_setup;
use crate::Desk;

impl Serve<GetFeedForm> for Desk {
    async fn answer(&self, GetFeedForm { name }: GetFeedForm) -> Answer<GetFeedForm> {
        feed_setup::form(self, &name).await
    }
}

impl Serve<ValidateFeed> for Desk {
    async fn answer(&self, ValidateFeed { form }: ValidateFeed) -> Answer<ValidateFeed> {
        feed_setup::feed_of(form, None).await.map(drop)
    }
}

impl Serve<ProbeFeed> for Desk {
    async fn answer(&self, ProbeFeed { form, secret, client_key }: ProbeFeed) -> Answer<ProbeFeed> {
        feed_setup::probe(self, form, secret, client_key).await
    }
}

impl Serve<TrustCertificate> for Desk {
    async fn answer(&self, TrustCertificate { fingerprint }: TrustCertificate) -> Answer<TrustCertificate> {
        feed_setup::trust(self, &fingerprint).await
    }
}

impl Serve<SaveFeed> for Desk {
    async fn answer(&self, SaveFeed { feed, secret, client_key }: SaveFeed) -> Answer<SaveFeed> {
        feed_setup::save(self, feed, secret, client_key).await
    }
}

impl Serve<ImportFeeds> for Desk {
    async fn answer(&self, ImportFeeds { path }: ImportFeeds) -> Answer<ImportFeeds> {
        feed_setup::import(self, &path).await
    }
}

impl Serve<ExportFeeds> for Desk {
    async fn answer(&self, ExportFeeds { path }: ExportFeeds) -> Answer<ExportFeeds> {
        feed_setup::export(self, &path).await
    }
}

impl Serve<GetQuiet> for Desk {
    async fn answer(&self, _: GetQuiet) -> Answer<GetQuiet> {
        Ok(self.attention.quiet())
    }
}

impl Serve<SetQuiet> for Desk {
    async fn answer(&self, SetQuiet { quiet }: SetQuiet) -> Answer<SetQuiet> {
        self.attention.send(Input::SetQuiet(quiet));
        Ok(())
    }
}

impl Serve<SetDoNotDisturb> for Desk {
    async fn answer(&self, SetDoNotDisturb { span }: SetDoNotDisturb) -> Answer<SetDoNotDisturb> {
        Ok(self.attention.do_not_disturb(span))
    }
}

impl Serve<GetSounds> for Desk {
    async fn answer(&self, _: GetSounds) -> Answer<GetSounds> {
        Ok(self.attention.sounds())
    }
}

impl Serve<SetSounds> for Desk {
    async fn answer(&self, SetSounds { sounds }: SetSounds) -> Answer<SetSounds> {
        self.attention.send(Input::SetSounds(sounds));
        Ok(())
    }
}

impl Serve<ShowTestNotification> for Desk {
    async fn answer(&self, ShowTestNotification { sound }: ShowTestNotification) -> Answer<ShowTestNotification> {
        let tested = self.ports.test_notification(sound).await;
        self.set_notifications_error(tested.as_ref().err().cloned());
        // No notification service: only the user can put that right.
        tested.map_err(Error::needs_you)
    }
}

impl Serve<SignIn> for Desk {
    async fn answer(&self, SignIn { feed }: SignIn) -> Answer<SignIn> {
        crate::sign_in::sign_in(self, &feed).await
    }
}

impl Serve<SignOut> for Desk {
    async fn answer(&self, SignOut { feed }: SignOut) -> Answer<SignOut> {
        crate::sign_in::sign_out_of(self, &feed).await
    }
}

impl Serve<PressButton> for Desk {
    async fn answer(&self, PressButton { entry, at, confirmed }: PressButton) -> Answer<PressButton> {
        crate::buttons::press(self, entry, at, confirmed).await
    }
}

impl Serve<GetPicture> for Desk {
    async fn answer(&self, GetPicture { url, size }: GetPicture) -> Answer<GetPicture> {
        use base64::Engine as _;
        let cached = match self.media.get(&url, size).await {
            Ok(cached) => cached,
            Err(refusal) => return Ok(Picture::Refused { refusal }),
        };
        let path = cached.path.clone();
        let bytes = herald_core::blocking::run(move || std::fs::read(path)).await;
        let bytes = bytes.map_err(|e| Error::unavailable(format!("the cached picture cannot be read: {e}")))?;
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        Ok(Picture::Shown { data_url: format!("data:{};base64,{data}", cached.mime) })
    }
}

impl Serve<GetStatus> for Desk {
    async fn answer(&self, _: GetStatus) -> Answer<GetStatus> {
        Ok(self.status())
    }
}

impl Serve<GetStorePath> for Desk {
    async fn answer(&self, _: GetStorePath) -> Answer<GetStorePath> {
        Ok(self.store.clone())
    }
}

impl Serve<GetAutostart> for Desk {
    async fn answer(&self, _: GetAutostart) -> Answer<GetAutostart> {
        let autostart = self.autostart.clone();
        Ok(herald_core::blocking::run(move || autostart.enabled()).await)
    }
}

impl Serve<SetAutostart> for Desk {
    async fn answer(&self, SetAutostart { on }: SetAutostart) -> Answer<SetAutostart> {
        let autostart = self.autostart.clone();
        let set = herald_core::blocking::run(move || autostart.set(on).map(|()| autostart.enabled())).await;
        set.map_err(|e| Error::unavailable(format!("Could not change starting at login: {e}")))
    }
}

impl Serve<TakeFocus> for Desk {
    async fn answer(&self, _: TakeFocus) -> Answer<TakeFocus> {
        Ok(lock(&self.focus).take())
    }
}

impl Serve<OpenWindow> for Desk {
    async fn answer(&self, OpenWindow { target }: OpenWindow) -> Answer<OpenWindow> {
        match target {
            Some(target) => self.show(target),
            None => self.open_window(),
        }
        Ok(())
    }
}

impl Handler for Desk {
    fn engine(&self) -> &Engine {
        &self.engine
    }

    fn subscribe(&self, window: bool) -> (broadcast::Receiver<Push>, Option<Box<dyn Send>>) {
        let presence: Option<Box<dyn Send>> = if window { Some(Box::new(self.windows.clone())) } else { None };
        (self.pushes.subscribe(), presence)
    }
}
