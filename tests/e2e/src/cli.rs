//! `herald-cli`, run by the tests on the app's store: to import feeds, put
//! a secret in the keyring, or read the history the app kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `herald-cli`: `$HERALD_CLI`, else the workspace's debug build.
pub fn binary() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("HERALD_CLI") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/herald-cli"),
    };
    anyhow::ensure!(path.is_file(), "no herald-cli at {} (build it, or set HERALD_CLI)", path.display());
    Ok(path)
}

/// Runs `herald-cli ARGS --store STORE` with `stdin` as its input; fails
/// with its error output unless it succeeds.
pub fn run(store: &Path, args: &[&str], stdin: &str) -> anyhow::Result<Output> {
    let mut child = Command::new(binary()?)
        .args(args)
        .arg("--store")
        .arg(store)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    std::io::Write::write_all(&mut child.stdin.take().expect("piped"), stdin.as_bytes())?;
    let output = child.wait_with_output()?;
    anyhow::ensure!(output.status.success(), "herald-cli {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    Ok(output)
}

/// Stores the feed that `--server {url}` stands for, with coalescing off,
/// so that a test can count each change's notification (bursts have a test
/// of their own); `--server` keeps what is stored of its feed.
pub fn store_hub_feed_uncoalesced(store: &Path, url: &str) -> anyhow::Result<()> {
    let stream = format!("{url}/tasks/subscribe");
    let dir = tempfile::tempdir()?;
    let feeds = dir.path().join("feeds.toml");
    std::fs::write(
        &feeds,
        format!(
            "[[feed]]\nname = \"{stream}\"\nurl = \"{stream}\"\npreset = \"herald-hub\"\ncoalesce = {{ enabled = false }}\n"
        ),
    )?;
    let feeds = feeds.to_str().ok_or_else(|| anyhow::anyhow!("a temporary path that is not UTF-8"))?;
    run(store, &["feeds", "import", feeds], "")?;
    Ok(())
}
