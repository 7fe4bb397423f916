//! Measures the memory of Herald and its WebKit processes with the window
//! open, and again 10 s after the window is closed.
//!
//! ```sh
//! xvfb-run -a dbus-run-session -- cargo run -p herald-e2e --bin herald-memory -- target/release/herald
//! ```

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

fn main() -> anyhow::Result<()> {
    let app = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: herald-memory <path to herald>"))?;
    let display = Display::open()?;
    let mut child = Command::new(&app).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let pid = child.id();
    let mut window = None;
    wait_until("the window", || {
        window = display.shown_windows("Herald").ok().and_then(|w| w.first().copied());
        window.is_some()
    })?;
    // Let the page load and the demo make a few changes before measuring.
    std::thread::sleep(Duration::from_secs(8));
    report("Window open", pid);

    display.close(window.expect("found above"))?;
    wait_until("the window to close", || display.shown_windows("Herald").map(|w| w.is_empty()).unwrap_or(false))?;
    std::thread::sleep(Duration::from_secs(10));
    anyhow::ensure!(child.try_wait()?.is_none(), "Herald exited when its window closed");
    report("10 s after the window closed", pid);

    child.kill()?;
    child.wait()?;
    Ok(())
}
