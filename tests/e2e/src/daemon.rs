//! A real notification daemon on the private bus: GNOME Flashback's
//! `notification-daemon`, which draws a notification's image and its
//! buttons, as a desktop does. The test starts it; the bus activates
//! nothing.

use tokio::process::{Child, Command};

/// Where Debian installs it (package `notification-daemon`).
const PROGRAM: &str = "/usr/lib/notification-daemon/notification-daemon";

/// The running daemon, stopped when dropped.
pub struct NotificationDaemon {
    child: Child,
}

impl NotificationDaemon {
    /// Starts it, once it owns `org.freedesktop.Notifications`.
    pub async fn start() -> anyhow::Result<NotificationDaemon> {
        let child = Command::new(PROGRAM)
            // No accessibility bus on the test's: GTK need not look for one.
            .env("NO_AT_BRIDGE", "1")
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {PROGRAM} (apt install notification-daemon): {e}"))?;
        crate::name_owned("org.freedesktop.Notifications").await?;
        Ok(NotificationDaemon { child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }
}
