//! The real desktop portal (`xdg-desktop-portal`, from apt) on the test's
//! private bus, reading GNOME's settings from a key file the test writes
//! with `gsettings` (GLib's keyfile backend, in the test's own folder), as
//! a GNOME session's portal reads them from dconf. Its ProxyResolver
//! answers by GLib's GNOME resolver, from `org.gnome.system.proxy`.
//!
//! The portal is started by the test, never activated: the private bus
//! activates nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const BINARY: &str = "/usr/libexec/xdg-desktop-portal";

/// GNOME's settings in a key file under a folder of the test's.
pub struct GnomeSettings {
    config: PathBuf,
}

impl GnomeSettings {
    pub fn under(dir: &Path) -> GnomeSettings {
        GnomeSettings { config: dir.join("config") }
    }

    /// The environment a process reading these settings needs.
    fn env(&self) -> [(&'static str, &Path); 1] {
        [("XDG_CONFIG_HOME", &self.config)]
    }

    /// `gsettings set SCHEMA KEY VALUE`.
    pub fn set(&self, schema: &str, key: &str, value: &str) -> anyhow::Result<()> {
        let status = Command::new("gsettings")
            .args(["set", schema, key, value])
            .envs(self.env())
            .env("GSETTINGS_BACKEND", "keyfile")
            .status()?;
        anyhow::ensure!(status.success(), "gsettings set {schema} {key} {value} failed");
        Ok(())
    }

    /// GNOME's proxy: manual, through `http://127.0.0.1:{port}` for HTTP
    /// and HTTPS, with no hosts exempt (GNOME's default exempts loopback,
    /// where the tests' servers are).
    pub fn manual_proxy(&self, port: u16) -> anyhow::Result<()> {
        for scheme in ["http", "https"] {
            let schema = format!("org.gnome.system.proxy.{scheme}");
            self.set(&schema, "host", "127.0.0.1")?;
            self.set(&schema, "port", &port.to_string())?;
        }
        self.set("org.gnome.system.proxy", "ignore-hosts", "[]")?;
        self.set("org.gnome.system.proxy", "mode", "manual")
    }

    /// GNOME's proxy turned off.
    pub fn no_proxy(&self) -> anyhow::Result<()> {
        self.set("org.gnome.system.proxy", "mode", "none")
    }
}

/// The running portal; stopped on drop.
pub struct RealPortal {
    child: Child,
}

impl RealPortal {
    /// Starts it on the session bus, as a GNOME session's, reading
    /// `settings`, and waits until it owns its name.
    pub async fn start(settings: &GnomeSettings) -> anyhow::Result<RealPortal> {
        anyhow::ensure!(Path::new(BINARY).exists(), "no {BINARY}: apt-get install xdg-desktop-portal");
        let child = Command::new(BINARY)
            .arg("--replace")
            .envs(settings.env())
            .env("GSETTINGS_BACKEND", "keyfile")
            .env("XDG_CURRENT_DESKTOP", "GNOME")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let portal = RealPortal { child };
        crate::name_owned("org.freedesktop.portal.Desktop").await?;
        Ok(portal)
    }
}

impl Drop for RealPortal {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}
