//! A real Secret Service for the app under test: gnome-keyring on the
//! test's private session bus, its "login" collection created and
//! unlocked in a fresh folder, as `herald-cli`'s keyring tests do.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// gnome-keyring-daemon, in the foreground: stopped when this is dropped,
/// so that the next test on the same bus starts its own.
pub struct Keyring(Child);

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts gnome-keyring-daemon on the session bus with its data in `dir`,
/// and waits until it owns `org.freedesktop.secrets`.
pub async fn start(dir: &Path) -> anyhow::Result<Keyring> {
    let (data, run) = (dir.join("data"), dir.join("run"));
    std::fs::create_dir_all(&data)?;
    std::fs::create_dir_all(&run)?;
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    let mut daemon = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets", "--foreground"])
        .env("XDG_DATA_HOME", &data)
        .env("XDG_RUNTIME_DIR", &run)
        // With no display, the unlock prompter fails at once instead of waiting for a click.
        .env_remove("DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| anyhow::anyhow!("could not start gnome-keyring-daemon: {e}"))?;
    // The password, then end of input: the daemon unlocks with what it read.
    std::io::Write::write_all(&mut daemon.stdin.take().expect("piped"), b"herald-e2e-keyring")?;
    let keyring = Keyring(daemon);
    crate::name_owned("org.freedesktop.secrets").await?;
    Ok(keyring)
}
