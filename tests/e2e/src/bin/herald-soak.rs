//! The soak (see `herald_e2e::soak`): the tray process with 20 feeds across
//! the hub, the task list, ntfy, Mercure and Nchan, under restarts, sleeps
//! (with the wall clock jumping), CLI queries and marks read, for
//! `--minutes` (default 60).
//!
//! It prints each feed's account and the tray process's figures, writes
//! `samples.csv` and `summary.txt` to `--out` if given, and fails on a
//! change lost, stored twice or out of order, or with `--check`, on a leak:
//! PSS growing faster than `--max-pss-mib-per-hour` (default 1) after the
//! warm-up, or open files or threads whose floor rises.
//!
//! ```sh
//! HERALD_BIN=target/tray/herald HERALD_CLI=target/debug/herald-cli \
//!   dbus-run-session --config-file=tests/dbus/session.conf -- \
//!   cargo run -p herald-e2e --bin herald-soak -- --minutes 60 --out soak --check
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use herald_e2e::soak::samples::{slope_per_hour, Sample};
use herald_e2e::soak::{run, Plan, Report};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut minutes, mut out, mut check, mut max_pss) = (60.0, None, false, 1.0);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--minutes" => minutes = args.next().context("--minutes N")?.parse()?,
            "--out" => out = Some(PathBuf::from(args.next().context("--out DIR")?)),
            "--check" => check = true,
            "--max-pss-mib-per-hour" => max_pss = args.next().context("--max-pss-mib-per-hour N")?.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let plan = Plan {
        duration,
        rate: 6.0,
        // A run of ten minutes still restarts each kind of server.
        restart_every: Duration::from_secs(if minutes <= 15.0 { 45 } else { 150 }),
        wake_every: Duration::from_secs(if minutes <= 15.0 { 150 } else { 300 }),
        sample_every: Duration::from_secs(60),
        warm_up: Duration::from_secs_f64((minutes * 60.0 * 0.2).clamp(60.0, 600.0)),
        cli: herald_e2e::cli::binary()?,
    };
    let dir = tempfile::tempdir()?;
    let report = run(&plan, dir.path()).await?;
    let (summary, failures) = summarise(&plan, &report, max_pss);
    print!("{summary}");
    if let Some(out) = out {
        std::fs::create_dir_all(&out)?;
        let mut csv = format!("{}\n", Sample::CSV_HEADER);
        for sample in &report.samples {
            writeln!(csv, "{}", sample.csv())?;
        }
        std::fs::write(out.join("samples.csv"), csv)?;
        std::fs::write(out.join("summary.txt"), &summary)?;
    }
    let failures: Vec<&String> = failures.iter().filter(|f| check || !f.starts_with("leak")).collect();
    anyhow::ensure!(
        failures.is_empty(),
        "the soak failed:\n{}",
        failures.iter().map(|f| format!("- {f}\n")).collect::<String>()
    );
    Ok(())
}

/// The report in words, and what failed.
fn summarise(plan: &Plan, report: &Report, max_pss_mib_per_hour: f64) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut failures = Vec::new();
    let _ =
        writeln!(text, "Soak of {:.1} min: 20 feeds, {} changes a second", report.ran.as_secs_f64() / 60.0, plan.rate);
    let _ = writeln!(text, "\n| feed | published | live | missed | lost | twice | out of order | unexpected |");
    let _ = writeln!(text, "|---|---|---|---|---|---|---|---|");
    for (feed, a) in &report.accounts {
        let _ = writeln!(
            text,
            "| {feed} | {} | {} | {} | {} | {} | {} | {} |",
            a.published,
            a.live,
            a.missed,
            a.lost.len(),
            a.twice.len(),
            a.out_of_order.len(),
            a.unexpected.len()
        );
        if !a.passes() {
            failures.push(format!(
                "{feed}: lost {:?}, twice {:?}, out of order {:?}, unexpected {:?}",
                a.lost, a.twice, a.out_of_order, a.unexpected
            ));
        }
    }
    let restarts: Vec<String> = report.restarts.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    let _ = writeln!(
        text,
        "\nRestarts: {}; sleeps and wakes: {}, the wall clock {:.1} h ahead in the end",
        restarts.join(", "),
        report.wakes,
        report.clock_ahead.as_secs_f64() / 3600.0
    );
    let _ = writeln!(
        text,
        "herald-cli runs: {} ({} failed); marks read: {}; notifications shown: {}",
        report.cli_runs,
        report.cli_failures.len(),
        report.marks_read,
        report.notifications
    );
    let _ = writeln!(text, "Caught up after the faults stopped in {:.1} s", report.caught_up_in.as_secs_f64());
    failures.extend(report.cli_failures.iter().map(|f| format!("herald-cli: {f}")));

    let from = plan.warm_up.as_secs_f64();
    let slope = |value: &dyn Fn(&Sample) -> f64| slope_per_hour(&report.samples, from, value);
    let pss = slope(&|s| s.pss_kib as f64 / 1024.0);
    let store = slope(&|s| s.store_bytes as f64 / 1024.0 / 1024.0);
    let after: Vec<&Sample> = report.samples.iter().filter(|s| s.at >= from).collect();
    // The floor of the first third after the warm-up, and of the last: a
    // leak raises the floor, where files and threads that come and go
    // (a connection, tokio's blocking pool) only make peaks.
    let floors = |value: fn(&Sample) -> u64| {
        let third = (after.len() / 3).max(1);
        let floor = |part: &[&Sample]| part.iter().map(|s| value(s)).min().unwrap_or(0);
        (floor(&after[..third.min(after.len())]), floor(&after[after.len().saturating_sub(third)..]))
    };
    let (fds, threads) = (floors(|s| s.fds), floors(|s| s.threads));
    let (first, last) = (report.samples.first(), report.samples.last());
    let cpu_per_hour = match (first, last) {
        (Some(a), Some(b)) if b.at > a.at => (b.cpu_seconds - a.cpu_seconds) / (b.at - a.at) * 3600.0,
        _ => 0.0,
    };
    let _ = writeln!(text, "\nAfter the warm-up ({from:.0} s):");
    let _ = writeln!(text, "- PSS: {} MiB an hour", pss.map_or("-".into(), |p| format!("{p:+.2}")));
    let _ = writeln!(
        text,
        "- open files, at their lowest: {} in the first third, {} in the last; threads: {} and {}",
        fds.0, fds.1, threads.0, threads.1
    );
    let _ = writeln!(text, "- store: {} MiB an hour", store.map_or("-".into(), |p| format!("{p:+.2}")));
    let _ = writeln!(text, "- CPU: {cpu_per_hour:.0} s an hour");
    if let Some(pss) = pss.filter(|p| *p > max_pss_mib_per_hour) {
        failures.push(format!("leak: PSS grows {pss:.2} MiB an hour, over {max_pss_mib_per_hour}"));
    }
    if fds.1 > fds.0 + 4 {
        failures.push(format!("leak: open files, at their lowest, went from {} to {}", fds.0, fds.1));
    }
    if threads.1 > threads.0 + 1 {
        failures.push(format!("leak: threads, at their lowest, went from {} to {}", threads.0, threads.1));
    }
    (text, failures)
}
