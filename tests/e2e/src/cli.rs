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
