//! Opening a link in the user's browser, from a notification's button.
//!
//! Through the desktop's OpenURI portal when one answers, as a sandboxed
//! app must and as every desktop that has portals prefers; otherwise with
//! `xdg-open`. Only http(s) links are ever opened: the link comes from an
//! untrusted payload.

use std::collections::HashMap;

use zbus::zvariant::Value;

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PATH: &str = "/org/freedesktop/portal/desktop";
const OPEN_URI: &str = "org.freedesktop.portal.OpenURI";

/// Opens `url` in the browser; the error says why it could not be.
pub async fn open(url: &str) -> Result<(), String> {
    if !herald_core::is_http_url(url) {
        return Err(format!("only http(s) links are opened, not {url:?}"));
    }
    match through_portal(url).await {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::debug!(error = %e, "no OpenURI portal; opening the link with xdg-open");
            let status = tokio::process::Command::new("xdg-open")
                .arg(url)
                .status()
                .await
                .map_err(|e| format!("cannot run xdg-open: {e}"))?;
            status.success().then_some(()).ok_or_else(|| format!("xdg-open failed ({status})"))
        }
    }
}

async fn through_portal(url: &str) -> zbus::Result<()> {
    let connection = zbus::Connection::session().await?;
    let options: HashMap<&str, Value<'_>> = HashMap::new();
    connection.call_method(Some(PORTAL), PATH, Some(OPEN_URI), "OpenURI", &("", url, options)).await.map(drop)
}
