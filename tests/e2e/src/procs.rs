//! What a benchmark reads about processes from `/proc`: the tree under a
//! process, memory and CPU time. The benchmarks measure real processes (the
//! app, its window, a hub, nginx), not the harness that drives them.

use std::collections::HashMap;

/// Every process in the tree under `root` (itself included), with its name.
pub fn process_tree(root: u32) -> Vec<(u32, String)> {
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

/// (RSS, PSS) of one process in KiB, from smaps_rollup; zeros once it is gone.
pub fn rss_pss(pid: u32) -> (u64, u64) {
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

/// The total RSS of the tree under `root`, in KiB.
pub fn tree_rss(root: u32) -> u64 {
    process_tree(root).into_iter().map(|(pid, _)| rss_pss(pid).0).sum()
}

/// The total PSS of the tree under `root`, in KiB: memory shared between
/// its processes (nginx's workers) is counted once.
pub fn tree_pss(root: u32) -> u64 {
    process_tree(root).into_iter().map(|(pid, _)| rss_pss(pid).1).sum()
}

/// CPU seconds `pid` has used (user and system), from /proc/PID/stat.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
    let field = |at: usize| -> anyhow::Result<f64> {
        Ok(fields.get(at).ok_or_else(|| anyhow::anyhow!("/proc/{pid}/stat is short"))?.parse()?)
    };
    Ok((field(11)? + field(12)?) / ticks_per_second())
}

/// CPU seconds used by the tree under `root`, as it stands now.
pub fn tree_cpu_seconds(root: u32) -> f64 {
    process_tree(root).into_iter().filter_map(|(pid, _)| cpu_seconds(pid).ok()).sum()
}

fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Whether memory has settled: the last 30 samples (3 s at 100 ms apart)
/// stay within 1% of each other. The tools that measure memory feed it a
/// sample at a time and stop once it says so.
#[derive(Default)]
pub struct Settling {
    recent: Vec<u64>,
}

impl Settling {
    pub fn settled(&mut self, sample: u64) -> bool {
        self.recent.push(sample);
        let last = &self.recent[self.recent.len().saturating_sub(30)..];
        let (low, high) = (last.iter().min().copied().unwrap_or(0), last.iter().max().copied().unwrap_or(0));
        last.len() == 30 && high - low <= high / 100
    }
}
