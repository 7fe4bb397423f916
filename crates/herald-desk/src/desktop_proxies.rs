//! The desktop's proxy setting, asked of its ProxyResolver portal
//! (`org.freedesktop.portal.ProxyResolver.Lookup`) for each feed's address
//! as the feed is set up.
//!
//! The portal answers by GLib's own resolver in the portal's process:
//! GNOME's `org.gnome.system.proxy` (manual, or automatic with a PAC file),
//! KDE's through libproxy, or the session's environment. So Herald follows
//! what the user set in the desktop's settings without reading any one
//! desktop's keys, and a sandboxed Herald gets the same answer.
//!
//! It is asked again each time a feed is set up: at Herald's start, when a
//! feed is added, changed or resumed, and on "Reconnect now". A desktop
//! without the portal answers nothing, and the feed goes straight to its
//! server.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use herald_core::proxy::DesktopProxies;
use tokio::sync::OnceCell;
use zbus::Connection;

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const RESOLVER: &str = "org.freedesktop.portal.ProxyResolver";
/// A portal that has not answered by then is taken to have no opinion: a
/// feed is not held up for it.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The portal on the session bus, reached on first use.
#[derive(Default)]
pub struct PortalProxies {
    connection: OnceCell<Option<Connection>>,
}

impl PortalProxies {
    async fn lookup_now(&self, url: &str) -> Option<Vec<String>> {
        let connection = self.connection.get_or_init(|| async { Connection::session().await.ok() }).await.as_ref()?;
        let body = (url,);
        let call = connection.call_method(Some(PORTAL), PORTAL_PATH, Some(RESOLVER), "Lookup", &body);
        let answer = match tokio::time::timeout(ANSWER_WITHIN, call).await {
            Ok(Ok(message)) => message.body().deserialize::<Vec<String>>(),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "no proxy setting from the desktop's portal");
                return None;
            }
            Err(_) => {
                tracing::warn!("the desktop's ProxyResolver portal did not answer within {ANSWER_WITHIN:?}");
                return None;
            }
        };
        answer.ok().filter(|proxies| !proxies.is_empty())
    }
}

impl DesktopProxies for PortalProxies {
    fn lookup<'a>(&'a self, url: &'a str) -> Pin<Box<dyn Future<Output = Option<Vec<String>>> + Send + 'a>> {
        Box::pin(self.lookup_now(url))
    }
}
