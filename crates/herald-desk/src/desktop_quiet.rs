//! The desktop's own do not disturb, followed, so that Herald keeps it too.
//!
//! - GNOME says it with `org.gnome.desktop.notifications show-banners`:
//!   read through the Settings portal, which exposes GNOME's settings to
//!   every app (and to sandboxed ones only so), and followed by its
//!   `SettingChanged` signal. Where no portal answers for it, `gsettings`
//!   reads it from dconf, and `gsettings monitor` follows it.
//! - KDE Plasma's notification server says it with its `Inhibited`
//!   property, followed by `PropertiesChanged`.
//!
//! The signals are subscribed to before the first read, so a change in
//! between is not missed. Whatever is not there (no portal, no such key, a
//! notification server without the property) simply says nothing.

use std::collections::HashMap;
use std::process::Stdio;

use futures_util::StreamExt;
use herald_core::attention::DesktopQuiet;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use zbus::message::Type as MessageType;
use zbus::zvariant::{OwnedValue, Value};
use zbus::{Connection, MatchRule, MessageStream};

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const SETTINGS: &str = "org.freedesktop.portal.Settings";
const SCHEMA: &str = "org.gnome.desktop.notifications";
const KEY: &str = "show-banners";
const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
const NOTIFICATIONS_PATH: &str = "/org/freedesktop/Notifications";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// What the desktop says, each part as far as it says it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Seen {
    banners: Option<bool>,
    inhibited: Option<bool>,
}

impl Seen {
    fn quiet(self) -> Option<DesktopQuiet> {
        if self.banners == Some(false) {
            Some(DesktopQuiet::Gnome)
        } else if self.inhibited == Some(true) {
            Some(DesktopQuiet::Inhibited)
        } else {
            None
        }
    }
}

/// A bool, through any `v` around it (the portal's older `Read` wraps its answer twice).
fn as_bool(value: &Value<'_>) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Value(inner) => as_bool(inner),
        _ => None,
    }
}

fn signal(interface: &'static str, path: &'static str, member: &'static str) -> zbus::Result<MatchRule<'static>> {
    Ok(MatchRule::builder().msg_type(MessageType::Signal).interface(interface)?.path(path)?.member(member)?.build())
}

async fn read_banners(connection: &Connection) -> Option<bool> {
    for method in ["ReadOne", "Read"] {
        let answer = connection.call_method(Some(PORTAL), PORTAL_PATH, Some(SETTINGS), method, &(SCHEMA, KEY)).await;
        if let Ok(message) = answer {
            return message.body().deserialize::<OwnedValue>().ok().and_then(|v| as_bool(&v));
        }
    }
    None
}

async fn read_inhibited(connection: &Connection) -> Option<bool> {
    let answer = connection
        .call_method(Some(NOTIFICATIONS), NOTIFICATIONS_PATH, Some(PROPERTIES), "Get", &(NOTIFICATIONS, "Inhibited"))
        .await
        .ok()?;
    answer.body().deserialize::<OwnedValue>().ok().and_then(|v| as_bool(&v))
}

/// `true` or `false` as gsettings prints it, alone or after `show-banners: `.
fn gsettings_bool(line: &str) -> Option<bool> {
    match line.rsplit(' ').next()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// GNOME's setting from dconf, and its changes, where gsettings has the schema.
async fn from_gsettings() -> Option<(bool, mpsc::UnboundedReceiver<bool>)> {
    let got = tokio::process::Command::new("gsettings").args(["get", SCHEMA, KEY]).output().await.ok()?;
    let now = gsettings_bool(std::str::from_utf8(&got.stdout).ok()?).filter(|_| got.status.success())?;
    let mut monitor = tokio::process::Command::new("gsettings")
        .args(["monitor", SCHEMA, KEY])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let stdout = monitor.stdout.take()?;
    let (changes, heard) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _monitor = monitor;
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(value) = gsettings_bool(&line) {
                if changes.send(value).is_err() {
                    return;
                }
            }
        }
    });
    Some((now, heard))
}

/// Follows the desktop's do not disturb for as long as the session bus
/// lasts, telling each change (and the state at the start) on `tell`.
pub async fn follow(tell: impl Fn(Option<DesktopQuiet>) + Send + 'static) {
    let connection = match Connection::session().await {
        Ok(connection) => connection,
        Err(e) => {
            tracing::debug!(error = %e, "no session bus: the desktop's do not disturb is not followed");
            return;
        }
    };
    let settings = match signal(SETTINGS, PORTAL_PATH, "SettingChanged") {
        Ok(rule) => MessageStream::for_match_rule(rule, &connection, None).await.ok(),
        Err(_) => None,
    };
    let properties = match signal(PROPERTIES, NOTIFICATIONS_PATH, "PropertiesChanged") {
        Ok(rule) => MessageStream::for_match_rule(rule, &connection, None).await.ok(),
        Err(_) => None,
    };
    let mut seen = Seen { banners: read_banners(&connection).await, inhibited: read_inhibited(&connection).await };
    let mut dconf = None;
    if seen.banners.is_none() {
        if let Some((now, changes)) = from_gsettings().await {
            seen.banners = Some(now);
            dconf = Some(changes);
        }
    }
    tracing::info!(?seen, "following the desktop's do not disturb");
    let mut told = seen.quiet();
    tell(told);
    let (mut settings, mut properties) = (settings, properties);
    loop {
        tokio::select! {
            Some(Ok(message)) = next(&mut settings) => {
                if let Ok((namespace, key, value)) = message.body().deserialize::<(String, String, OwnedValue)>() {
                    if namespace == SCHEMA && key == KEY {
                        seen.banners = as_bool(&value);
                    }
                }
            }
            Some(Ok(message)) = next(&mut properties) => {
                type Changed = (String, HashMap<String, OwnedValue>, Vec<String>);
                if let Ok((interface, changed, _)) = message.body().deserialize::<Changed>() {
                    if let (true, Some(value)) = (interface == NOTIFICATIONS, changed.get("Inhibited")) {
                        seen.inhibited = as_bool(value);
                    }
                }
            }
            Some(banners) = recv(&mut dconf) => seen.banners = Some(banners),
            else => return,
        }
        if seen.quiet() != told {
            told = seen.quiet();
            tracing::info!(quiet = ?told, "the desktop's do not disturb changed");
            tell(told);
        }
    }
}

async fn next(stream: &mut Option<MessageStream>) -> Option<zbus::Result<zbus::Message>> {
    match stream {
        Some(stream) => stream.next().await,
        None => None,
    }
}

async fn recv(changes: &mut Option<mpsc::UnboundedReceiver<bool>>) -> Option<bool> {
    match changes {
        Some(changes) => changes.recv().await,
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnome_says_it_first_then_kde() {
        assert_eq!(Seen::default().quiet(), None);
        assert_eq!(Seen { banners: Some(false), inhibited: Some(true) }.quiet(), Some(DesktopQuiet::Gnome));
        assert_eq!(Seen { banners: Some(true), inhibited: Some(true) }.quiet(), Some(DesktopQuiet::Inhibited));
        assert_eq!(gsettings_bool("show-banners: false\n"), Some(false));
        assert_eq!(gsettings_bool("true\n"), Some(true));
        assert_eq!(gsettings_bool("No such schema"), None);
        assert_eq!(as_bool(&Value::Value(Box::new(Value::Bool(false)))), Some(false));
    }
}
