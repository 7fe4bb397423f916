//! Measures the memory of every Herald process with the window open (the
//! tray process, the window's process and its WebKit processes), and again
//! once the window is closed: its process gone, and no WebKit process left.
//! Each time it waits for the memory to settle: the total RSS steady within
//! 1% over 3 s, and at least 8 s after the window opened, so that the page
//! has loaded and the demo has made a few changes.
//!
//! ```sh
//! xvfb-run -a dbus-run-session -- cargo run -p herald-e2e --bin herald-memory -- target/tray/herald
//! ```
//!
//! `herald` starts `herald-window` from beside itself, as it does for a user
//! (installed, the two are); in a build tree, where `herald` is in
//! `target/tray` and the window in `target/release`, it is told where the
//! window is (`HERALD_WINDOW`, as `scripts/run` does).

use std::process::{Command, Stdio};
use std::time::Duration;

use herald_e2e::procs::{process_tree, rss_pss, tree_rss, Settling};
use herald_e2e::x11::Display;

fn report(label: &str, root: u32) {
    println!("\n{label}");
    println!("| process | RSS (MiB) | PSS (MiB) |\n|---|---|---|");
    let (mut rss, mut pss) = (0, 0);
    for (pid, name) in process_tree(root) {
        let (r, p) = rss_pss(pid);
        rss += r;
        pss += p;
        println!("| {name} ({pid}) | {:.1} | {:.1} |", r as f64 / 1024.0, p as f64 / 1024.0);
    }
    println!("| **total** | **{:.1}** | **{:.1}** |", rss as f64 / 1024.0, pss as f64 / 1024.0);
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let give_up = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        anyhow::ensure!(std::time::Instant::now() < give_up, "timed out waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(100));
    }
    Ok(())
}

/// Waits until the total RSS under `root` has stayed within 1% for 3 s.
fn wait_until_settled(root: u32) -> anyhow::Result<()> {
    let mut settling = Settling::default();
    wait_until("the memory to settle", || settling.settled(tree_rss(root)))
}

fn main() -> anyhow::Result<()> {
    let app = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: herald-memory <path to herald>"))?;
    let display = Display::open()?;
    // The demo, with a store of its own: the figures do not depend on your feeds.
    let mut command = Command::new(&app);
    let beside = std::path::Path::new(&app).with_file_name("herald-window");
    if !beside.is_file() {
        let target = std::path::Path::new(&app).parent().and_then(std::path::Path::parent);
        if let Some(target) = target {
            command.env("HERALD_WINDOW", target.join("release/herald-window"));
        }
    }
    let mut child = command.arg("--demo").stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let pid = child.id();
    let mut window = None;
    wait_until("the window", || {
        window = display.shown_windows("Herald").ok().and_then(|w| w.first().copied());
        window.is_some()
    })?;
    // The page loads and the demo makes a few changes before measuring.
    let opened = std::time::Instant::now();
    wait_until("8 s with the window open", || opened.elapsed() >= Duration::from_secs(8))?;
    wait_until_settled(pid)?;
    report("Window open", pid);

    display.close(window.expect("found above"))?;
    wait_until("the window to close", || display.shown_windows("Herald").map(|w| w.is_empty()).unwrap_or(false))?;
    // A process that has exited but is not yet reaped holds no memory.
    let alive = |name: &str| process_tree(pid).iter().any(|(p, n)| n.starts_with(name) && rss_pss(*p).0 > 0);
    wait_until("the window's process and every WebKit process to exit", || {
        !alive("herald-window") && !alive("WebKit")
    })?;
    wait_until_settled(pid)?;
    anyhow::ensure!(child.try_wait()?.is_none(), "Herald exited when its window closed");
    report("Window closed: the tray process alone", pid);

    child.kill()?;
    child.wait()?;
    Ok(())
}
