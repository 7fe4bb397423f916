//! A tray host for tests: it owns `org.kde.StatusNotifierWatcher` on the
//! session bus, as a desktop panel would, so the app's tray item registers
//! with it. The test then reads the item as a panel does: its properties
//! (`org.kde.StatusNotifierItem`) and its menu (`com.canonical.dbusmenu`).
//!
//! Items register either by object path (libappindicator) or by bus name
//! (`ksni`); both are understood.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use zbus::object_server::SignalEmitter;
use zbus::{OwnedObjectPath, OwnedVariant, Variant};

const PATH: &str = "/StatusNotifierWatcher";
const ITEM: &str = "org.kde.StatusNotifierItem";

/// Where a registered item lives on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub service: String,
    pub path: String,
}

struct Watcher {
    items: Arc<Mutex<Vec<Item>>>,
    count: watch::Sender<usize>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let item = if service.starts_with('/') {
            Item { service: sender, path: service }
        } else {
            Item { service, path: "/StatusNotifierItem".into() }
        };
        let name = format!("{}{}", item.service, item.path);
        let count = {
            let mut items = self.items.lock().unwrap();
            items.push(item);
            items.len()
        };
        self.count.send_replace(count);
        let _ = Self::status_notifier_item_registered(&emitter, &name).await;
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().unwrap().iter().map(|i| format!("{}{}", i.service, i.path)).collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(emitter: &SignalEmitter<'_>, service: &str) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// The running watcher; it stays on the bus while this lives.
pub struct TrayHost {
    connection: zbus::Connection,
    items: Arc<Mutex<Vec<Item>>>,
    count: watch::Receiver<usize>,
}

/// What a panel shows of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub status: String,
    pub title: String,
    /// The tooltip's title, where the item has one (libappindicator has none).
    pub tooltip: Option<String>,
    /// The tooltip's text under its title: what Herald's feeds are doing.
    pub tooltip_text: Option<String>,
    /// What identifies the icon shown: its name, or a digest of its pixels.
    pub icon: String,
    /// The menu's labels, depth first.
    pub menu: Vec<String>,
}

impl TrayHost {
    pub async fn start() -> anyhow::Result<Self> {
        let items = Arc::new(Mutex::new(Vec::new()));
        let (count_tx, count) = watch::channel(0);
        let watcher = Watcher { items: items.clone(), count: count_tx };
        let connection = zbus::connection::Builder::session()
            .name("org.kde.StatusNotifierWatcher")
            .serve_at(PATH, watcher)
            .build()
            .await?;
        Ok(TrayHost { connection, items, count })
    }

    /// Waits for the first item to register.
    pub async fn item(&self) -> anyhow::Result<Item> {
        let mut count = self.count.clone();
        tokio::time::timeout(crate::DEADLINE, count.wait_for(|c| *c >= 1))
            .await
            .map_err(|_| anyhow::anyhow!("no tray item registered with the watcher"))??;
        Ok(self.items.lock().unwrap()[0].clone())
    }

    /// Reads `item` as a panel would.
    pub async fn read(&self, item: &Item) -> anyhow::Result<Seen> {
        let reply = self
            .connection
            .call_method(
                Some(item.service.as_str()),
                item.path.as_str(),
                Some("org.freedesktop.DBus.Properties"),
                "GetAll",
                &ITEM,
            )
            .await?;
        let all: HashMap<String, OwnedVariant> = reply.body().deserialize()?;
        let text = |key: &str| all.get(key).and_then(|v| String::try_from(v.clone()).ok()).unwrap_or_default();
        let menu_path = all
            .get("Menu")
            .and_then(|v| OwnedObjectPath::try_from(v.clone()).ok())
            .ok_or_else(|| anyhow::anyhow!("the tray item has no menu: {all:?}"))?;
        Ok(Seen {
            status: text("Status"),
            title: text("Title"),
            tooltip: all.get("ToolTip").and_then(|tip| tooltip_field(tip, 2)),
            tooltip_text: all.get("ToolTip").and_then(|tip| tooltip_field(tip, 3)),
            icon: icon_identity(&all),
            menu: self.menu(&item.service, &menu_path).await?,
        })
    }

    async fn menu(&self, service: &str, path: &OwnedObjectPath) -> anyhow::Result<Vec<String>> {
        let reply = self
            .connection
            .call_method(
                Some(service),
                path.as_str(),
                Some("com.canonical.dbusmenu"),
                "GetLayout",
                &(0i32, -1i32, vec!["label"]),
            )
            .await?;
        type Node = (i32, HashMap<String, OwnedVariant>, Vec<OwnedVariant>);
        let (_revision, (_id, props, children)): (u32, Node) = reply.body().deserialize()?;
        let _ = props; // the root is the menu itself, with no label of its own
        let mut labels = Vec::new();
        for child in &children {
            collect_labels(child, &mut labels);
        }
        Ok(labels)
    }
}

/// The `ToolTip` property is `(icon name, icon pixmaps, title, text)`.
fn tooltip_field(value: &OwnedVariant, at: usize) -> Option<String> {
    let Variant::Structure(tip) = &**value else { return None };
    match tip.fields().get(at) {
        Some(Variant::Str(title)) => Some(title.to_string()),
        _ => None,
    }
}

/// What the icon looks like: a digest of its pixels, whether they come as
/// pixmaps or as a file the item names (as libappindicator does), or else
/// the theme icon's name.
fn icon_identity(all: &HashMap<String, OwnedVariant>) -> String {
    let name = all.get("IconName").and_then(|v| String::try_from(v.clone()).ok()).unwrap_or_default();
    if name.starts_with('/') {
        if let Ok(bytes) = std::fs::read(&name) {
            return format!("file:{:016x}", digest(&bytes));
        }
    }
    if !name.is_empty() {
        return name;
    }
    let pixels = all.get("IconPixmap").map(|v| format!("{:?}", &**v)).unwrap_or_default();
    format!("pixmap:{:016x}", digest(pixels.as_bytes()))
}

/// FNV-1a: enough to tell two icons apart.
fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

/// A dbusmenu layout is `(id, {properties}, [children as variants])`.
fn collect_labels(node: &Variant, labels: &mut Vec<String>) {
    let node = match node {
        Variant::Variant(inner) => inner.as_ref(),
        other => other,
    };
    let Variant::Structure(node) = node else { return };
    let fields = node.fields();
    if let Some(Variant::Dict(props)) = fields.get(1) {
        for (key, value) in props.iter() {
            let value = match value {
                Variant::Variant(inner) => inner.as_ref(),
                other => other,
            };
            if let (Variant::Str(key), Variant::Str(label)) = (key, value) {
                if key.as_str() == "label" {
                    labels.push(label.to_string());
                }
            }
        }
    }
    if let Some(Variant::Array(children)) = fields.get(2) {
        for child in children.inner() {
            collect_labels(child, labels);
        }
    }
}
