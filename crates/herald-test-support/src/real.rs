//! The real servers that Herald's presets name, built from upstream and
//! kept in `../shared/tools/real-servers/` beside the project (see its
//! README): ntfy and the Mercure hub. Each is started by a test on
//! 127.0.0.1 with a directory of its own, and stopped when dropped.
//!
//! A test that needs one asks [`binary`] for it. On a machine without them
//! the test says so and is skipped; under `CI=true` it fails instead,
//! because CI always has them, and a skip there would hide a regression.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::process::{free_port, listening, ServerProcess};

pub mod mercure;
pub mod ntfy;

const LISTENING_WITHIN: Duration = Duration::from_secs(20);

/// Where the real servers are: `$HERALD_REAL_SERVERS`, or
/// `../shared/tools/real-servers/` from the project's root.
pub fn directory() -> PathBuf {
    match std::env::var_os("HERALD_REAL_SERVERS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/real-servers"),
    }
}

/// The real server `name`, or `None` (and a line saying the test is
/// skipped) where this machine has none. Under `CI=true` a missing server
/// fails the test.
pub fn binary(name: &str) -> Option<PathBuf> {
    let path = directory().join(name);
    if path.is_file() {
        return Some(path);
    }
    let missing = format!("the real {name} is not at {}", path.display());
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{missing}, and CI always has it: refusing to skip");
    }
    eprintln!("skipped: {missing} (see ../shared/tools/real-servers/README.md)");
    None
}

/// A running server: its process, its port, and the file it logs to.
struct Running {
    process: ServerProcess,
    port: u16,
    log: PathBuf,
}

impl Running {
    /// Starts `command`, which is to listen on `port`, appending what it
    /// says to `dir`'s `server.log`, and waits until it listens.
    async fn start(mut command: Command, port: u16, dir: &Path, name: &'static str) -> Running {
        let log = dir.join("server.log");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("a log file");
        command.stdin(Stdio::null()).stdout(file.try_clone().expect("a log file")).stderr(file);
        let running = Running { process: ServerProcess::spawn(command, name), port, log };
        listening(port, LISTENING_WITHIN, name, || running.log()).await;
        running
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A JSON answer from a real server, or a panic that shows it.
async fn answer(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{what}: {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| json!(text))
}
