//! Measures the memory of every Herald process with the window open (the
//! tray process, the window's process and its WebKit processes), and again
//! once the window is closed: its process gone, and no WebKit process left.
//! Each time it waits for the memory to settle: the total RSS steady within
//! 1% over 3 s, and at least 8 s after the window opened, so that the page
//! has loaded and the demo has made a few changes.
//!
//! ```sh
//! xvfb-run -a dbus-run-session -- cargo run -p herald-e2e --bin herald-memory -- target/release/herald
//! ```
//!
//! `herald` starts `herald-window` from beside itself, as it does for a user.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use herald_e2e::x11::Display;

/// Every process in the tree under `root`, with its name.
fn process_tree(root: u32) -> Vec<(u32, String)> {
    let mut parent = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // "pid (comm) state ppid …": comm may hold spaces, so split after the last ')'.
        let Some(close) = stat.rfind(')') else { continue };
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let name = stat[stat.find('(').unwrap_or(0) + 1..close].to_owned();
        if let Some(ppid) = fields.get(1).and_then(|p| p.parse::<u32>().ok()) {
            parent.insert(pid, (ppid, name));
        }
    }
    let mut tree: Vec<(u32, String)> = Vec::new();
    let mut frontier = vec![root];
    while let Some(pid) = frontier.pop() {
        if let Some((_, name)) = parent.get(&pid) {
            tree.push((pid, name.clone()));
        }
        frontier.extend(parent.iter().filter(|(_, (ppid, _))| *ppid == pid).map(|(child, _)| *child));
    }
    tree
}

/// (RSS, PSS) in KiB from smaps_rollup.
fn rss_pss(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Rss:"), field("Pss:"))
}

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

/// The total RSS of the tree under `root`, in KiB.
fn total_rss(root: u32) -> u64 {
    process_tree(root).into_iter().map(|(pid, _)| rss_pss(pid).0).sum()
}

/// Waits until the total RSS under `root` has stayed within 1% for 3 s.
fn wait_until_settled(root: u32) -> anyhow::Result<()> {
    let mut recent: Vec<u64> = Vec::new();
    wait_until("the memory to settle", || {
        recent.push(total_rss(root));
        let last = &recent[recent.len().saturating_sub(30)..];
        let (low, high) = (last.iter().min().copied().unwrap_or(0), last.iter().max().copied().unwrap_or(0));
        last.len() == 30 && high - low <= high / 100
    })
}

fn main() -> anyhow::Result<()> {
    let app = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: herald-memory <path to herald>"))?;
    let display = Display::open()?;
    // The demo, with a store of its own: the figures do not depend on your feeds.
    let mut child = Command::new(&app).arg("--demo").stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
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
