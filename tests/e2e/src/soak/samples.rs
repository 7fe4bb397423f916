//! What the tray process costs, sampled while the soak runs: its PSS, open
//! files, threads, CPU time, and the size of its store (with its log), and
//! the slope of each after the warm-up, by least squares.

use std::path::Path;

use crate::procs::{cpu_seconds, rss_pss};

/// One sample, `at` seconds into the soak.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: f64,
    pub pss_kib: u64,
    pub fds: u64,
    pub threads: u64,
    pub cpu_seconds: f64,
    pub store_bytes: u64,
}

impl Sample {
    /// The tray process `pid`, on the store at `store`.
    pub fn take(at: f64, pid: u32, store: &Path) -> Sample {
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count() as u64).unwrap_or(0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let threads =
            status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
        let size = |suffix: &str| {
            let mut name = store.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(name).map(|m| m.len()).unwrap_or(0)
        };
        Sample {
            at,
            pss_kib: rss_pss(pid).1,
            fds,
            threads,
            cpu_seconds: cpu_seconds(pid).unwrap_or(0.0),
            store_bytes: size("") + size("-wal"),
        }
    }

    pub const CSV_HEADER: &'static str = "seconds,pss_kib,fds,threads,cpu_seconds,store_bytes";

    pub fn csv(&self) -> String {
        format!(
            "{:.0},{},{},{},{:.2},{}",
            self.at, self.pss_kib, self.fds, self.threads, self.cpu_seconds, self.store_bytes
        )
    }
}

/// The least-squares slope of `value` against time, per hour, over the
/// samples at or after `from` seconds; `None` with fewer than three.
pub fn slope_per_hour(samples: &[Sample], from: f64, value: impl Fn(&Sample) -> f64) -> Option<f64> {
    let points: Vec<(f64, f64)> = samples.iter().filter(|s| s.at >= from).map(|s| (s.at, value(s))).collect();
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let (mean_t, mean_v) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let covariance: f64 = points.iter().map(|(t, v)| (t - mean_t) * (v - mean_v)).sum();
    let variance: f64 = points.iter().map(|(t, _)| (t - mean_t).powi(2)).sum();
    (variance > 0.0).then(|| covariance / variance * 3600.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at: f64, pss_kib: u64) -> Sample {
        Sample { at, pss_kib, fds: 20, threads: 8, cpu_seconds: 0.0, store_bytes: 0 }
    }

    #[test]
    fn the_slope_is_per_hour_and_ignores_the_warm_up() {
        let samples = [at(0.0, 9_000), at(60.0, 10_000), at(120.0, 10_010), at(180.0, 10_020), at(240.0, 10_030)];
        let slope = slope_per_hour(&samples, 60.0, |s| s.pss_kib as f64).unwrap();
        assert!((slope - 600.0).abs() < 1e-6, "{slope}");
        assert_eq!(slope_per_hour(&samples, 60.0, |s| s.fds as f64), Some(0.0));
        assert_eq!(slope_per_hour(&samples[..2], 0.0, |s| s.fds as f64), None);
    }
}
