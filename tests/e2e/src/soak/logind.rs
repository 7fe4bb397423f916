//! A system bus of the soak's own (`dbus-daemon` with the tests' config,
//! which activates nothing), on which the soak is logind as far as Herald
//! listens to it: it says the machine goes to sleep and wakes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::Context;

pub struct Logind {
    daemon: Child,
    /// The bus's address, for `DBUS_SYSTEM_BUS_ADDRESS`.
    pub address: String,
    connection: zbus::Connection,
}

impl Logind {
    pub async fn start() -> anyhow::Result<Logind> {
        let mut daemon = Command::new("dbus-daemon")
            .arg(concat!("--config-file=", env!("CARGO_MANIFEST_DIR"), "/../dbus/session.conf"))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .context("dbus-daemon (apt: dbus)")?;
        // It prints its address once it listens.
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().context("its output")?).read_line(&mut address)?;
        let address = address.trim().to_owned();
        let connection = zbus::connection::Builder::address(address.as_str()).build().await?;
        connection.request_name("org.freedesktop.login1").await?;
        Ok(Logind { daemon, address, connection })
    }

    /// `PrepareForSleep(sleeping)`, as logind says it before a suspend
    /// (true) and after the resume (false).
    pub async fn prepare_for_sleep(&self, sleeping: bool) -> anyhow::Result<()> {
        self.connection
            .emit_signal(
                None::<&str>,
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                &sleeping,
            )
            .await?;
        Ok(())
    }
}

impl Drop for Logind {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
