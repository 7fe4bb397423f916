//! Stands in for a desktop panel on the session bus: owns
//! `org.kde.StatusNotifierWatcher`, says `ready` once it does, waits for a
//! tray item to register, and prints what a panel would show of it (its
//! title, then its menu, a line each). For `scripts/install-test`, where
//! the item is the packaged Herald's, running in a clean Debian root.
//!
//! ```sh
//! DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus herald-tray-check
//! ```

use std::io::Write;

use herald_e2e::tray::TrayHost;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let host = TrayHost::start().await?;
    println!("ready");
    std::io::stdout().flush()?;
    let item = host.item().await?;
    let seen = herald_e2e::eventually("the tray item's menu", || async {
        let seen = host.read(&item).await?;
        Ok((!seen.menu.is_empty()).then_some(seen))
    })
    .await?;
    println!("{}", seen.title);
    for line in seen.menu {
        println!("{line}");
    }
    Ok(())
}
