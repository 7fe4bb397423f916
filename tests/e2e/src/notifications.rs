//! A notification server for tests: it owns `org.freedesktop.Notifications`
//! on the session bus, records every `Notify` call with its hints and every
//! `CloseNotification`, can click one by emitting `ActionInvoked`, and has
//! KDE Plasma's `Inhibited` property (its do not disturb), as a desktop would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use zbus::object_server::SignalEmitter;
use zbus::OwnedVariant;

const PATH: &str = "/org/freedesktop/Notifications";

/// One `Notify` call as the app made it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub app_name: String,
    /// An icon name, or a `file://` URI.
    pub app_icon: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    /// The `urgency` hint: 0 low, 1 normal, 2 critical.
    pub urgency: Option<u8>,
    /// The id it replaced in place, or 0.
    pub replaces_id: u32,
    /// Every other hint whose value is text or a bool, as text
    /// (`desktop-entry`, `category`, `sound-name`, `image-path`, `suppress-sound`).
    pub hints: HashMap<String, String>,
}

impl Shown {
    pub fn hint(&self, name: &str) -> Option<&str> {
        self.hints.get(name).map(String::as_str)
    }

    /// The label of action `key`, when it offers it.
    pub fn action(&self, key: &str) -> Option<&str> {
        self.actions.chunks(2).find(|pair| pair[0] == key).map(|pair| pair[1].as_str())
    }
}

struct Server {
    capabilities: Vec<String>,
    shown: Arc<Mutex<Vec<Shown>>>,
    count: watch::Sender<usize>,
    closed: Arc<Mutex<Vec<u32>>>,
    inhibited: bool,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    fn get_capabilities(&self) -> Vec<String> {
        self.capabilities.clone()
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        app_name: String,
        replaces_id: u32,
        app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(&**v).ok());
        let hints = hints
            .iter()
            .filter_map(|(name, value)| {
                let text = match &**value {
                    zbus::Variant::Str(s) => s.to_string(),
                    zbus::Variant::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((name.clone(), text))
            })
            .collect();
        let mut shown = self.shown.lock().unwrap();
        let id = if replaces_id != 0 { replaces_id } else { shown.len() as u32 + 1 };
        shown.push(Shown { id, app_name, app_icon, summary, body, actions, urgency, replaces_id, hints });
        self.count.send_replace(shown.len());
        id
    }

    fn close_notification(&self, id: u32) {
        self.closed.lock().unwrap().push(id);
    }

    /// KDE Plasma's do not disturb.
    #[zbus(property)]
    fn inhibited(&self) -> bool {
        self.inhibited
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("herald-e2e".into(), "herald".into(), "1".into(), "1.2".into())
    }

    #[zbus(signal)]
    async fn action_invoked(emitter: &SignalEmitter<'_>, id: u32, action_key: &str) -> zbus::Result<()>;
}

/// The running server; it stays on the bus while this lives.
pub struct NotificationServer {
    connection: zbus::Connection,
    shown: Arc<Mutex<Vec<Shown>>>,
    count: watch::Receiver<usize>,
    closed: Arc<Mutex<Vec<u32>>>,
}

impl NotificationServer {
    /// A server that reads the body's markup, as most do.
    pub async fn start() -> anyhow::Result<Self> {
        Self::with_capabilities(&["actions", "body", "body-markup"]).await
    }

    /// A server that announces only `capabilities` (without `body-markup`,
    /// it shows a body's text as it is).
    pub async fn with_capabilities(capabilities: &[&str]) -> anyhow::Result<Self> {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let (count_tx, count) = watch::channel(0);
        let closed = Arc::new(Mutex::new(Vec::new()));
        let capabilities = capabilities.iter().map(|c| c.to_string()).collect();
        let server =
            Server { capabilities, shown: shown.clone(), count: count_tx, closed: closed.clone(), inhibited: false };
        let connection = zbus::connection::Builder::session()
            .name("org.freedesktop.Notifications")
            .serve_at(PATH, server)
            .build()
            .await?;
        Ok(NotificationServer { connection, shown, count, closed })
    }

    /// The ids the app closed (`CloseNotification`).
    pub fn closed(&self) -> Vec<u32> {
        self.closed.lock().unwrap().clone()
    }

    /// Turns KDE's do not disturb on or off: `Inhibited`, with its
    /// `PropertiesChanged`, as Plasma's server does.
    pub async fn inhibit(&self, on: bool) -> anyhow::Result<()> {
        let iface = self.connection.object_server().interface::<_, Server>(PATH).await?;
        iface.get_mut().await.inhibited = on;
        iface.get().await.inhibited_changed(iface.signal_emitter()).await?;
        Ok(())
    }

    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }

    /// Waits until at least `n` notifications have been shown.
    pub async fn wait_for(&self, n: usize) -> anyhow::Result<Vec<Shown>> {
        let mut count = self.count.clone();
        tokio::time::timeout(crate::DEADLINE, count.wait_for(|c| *c >= n))
            .await
            .map_err(|_| anyhow::anyhow!("expected {n} notifications, got {:?}", self.shown()))??;
        Ok(self.shown())
    }

    /// Clicks notification `id`, as the user would.
    pub async fn click(&self, id: u32) -> anyhow::Result<()> {
        self.action(id, "default").await
    }

    /// Invokes the action `key` of notification `id` ("mute", "read").
    pub async fn action(&self, id: u32, key: &str) -> anyhow::Result<()> {
        let iface = self.connection.object_server().interface::<_, Server>(PATH).await?;
        Server::action_invoked(iface.signal_emitter(), id, key).await?;
        Ok(())
    }
}
