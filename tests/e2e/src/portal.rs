//! A stand-in for the desktop's portal (`org.freedesktop.portal.Desktop`)
//! on the test's private bus: the Settings portal with GNOME's
//! `show-banners` (its do not disturb), which the test turns on and off
//! with `SettingChanged` as GNOME's portal does, and the OpenURI portal,
//! which records the links it is asked to open instead of opening them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zbus::object_server::SignalEmitter;
use zbus::{OwnedObjectPath, OwnedVariant as OwnedValue, Variant as Value};

const PATH: &str = "/org/freedesktop/portal/desktop";
const SCHEMA: &str = "org.gnome.desktop.notifications";
const KEY: &str = "show-banners";

struct Settings {
    banners: bool,
}

#[zbus::interface(name = "org.freedesktop.portal.Settings")]
impl Settings {
    /// Version 2's read: the value itself.
    fn read_one(&self, namespace: &str, key: &str) -> zbus::fdo::Result<OwnedValue> {
        if (namespace, key) != (SCHEMA, KEY) {
            return Err(zbus::fdo::Error::Failed(format!("no {namespace} {key}")));
        }
        Ok(Value::from(self.banners).try_into().expect("a bool is owned"))
    }

    #[zbus(signal)]
    async fn setting_changed(
        emitter: &SignalEmitter<'_>,
        namespace: &str,
        key: &str,
        value: Value<'_>,
    ) -> zbus::Result<()>;

    #[zbus(property, name = "version")]
    fn version(&self) -> u32 {
        2
    }
}

struct OpenUri {
    opened: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.freedesktop.portal.OpenURI")]
impl OpenUri {
    #[zbus(name = "OpenURI")]
    fn open_uri(&self, _parent: &str, uri: &str, _options: HashMap<String, OwnedValue>) -> OwnedObjectPath {
        self.opened.lock().unwrap().push(uri.to_owned());
        OwnedObjectPath::try_from("/org/freedesktop/portal/desktop/request/1/herald").expect("a valid path")
    }
}

/// The running stand-in; it stays on the bus while this lives.
pub struct Portal {
    connection: zbus::Connection,
    opened: Arc<Mutex<Vec<String>>>,
}

impl Portal {
    pub async fn start() -> anyhow::Result<Portal> {
        let opened = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::connection::Builder::session()
            .name("org.freedesktop.portal.Desktop")
            .serve_at(PATH, Settings { banners: true })
            .serve_at(PATH, OpenUri { opened: opened.clone() })
            .build()
            .await?;
        Ok(Portal { connection, opened })
    }

    /// The links the app asked to open.
    pub fn opened(&self) -> Vec<String> {
        self.opened.lock().unwrap().clone()
    }

    /// Turns GNOME's do not disturb on (banners off) or off, as GNOME's
    /// portal tells it.
    pub async fn do_not_disturb(&self, on: bool) -> anyhow::Result<()> {
        let iface = self.connection.object_server().interface::<_, Settings>(PATH).await?;
        iface.get_mut().await.banners = !on;
        Settings::setting_changed(iface.signal_emitter(), SCHEMA, KEY, Value::from(!on)).await?;
        Ok(())
    }
}
