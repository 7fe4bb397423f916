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

use crate::process::{free_port, listening, ServerProcess, PORT_TRIES};

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
    /// Starts the server that `command` makes for a port, on a free port,
    /// appending what it says to `dir`'s `server.log`, and waits until it
    /// listens there itself. A port taken meanwhile by another test's
    /// server makes it exit: it is started again on another.
    async fn start(command: impl Fn(u16) -> Command, dir: &Path, name: &'static str) -> Running {
        for _ in 0..PORT_TRIES {
            let port = free_port();
            if let Some(running) = Running::start_on(command(port), port, dir, name).await {
                return running;
            }
        }
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        panic!("{name} found no free port in {PORT_TRIES} tries: {log}")
    }

    /// Starts `command`, which is to listen on `port`; `None` if it exited
    /// first, as when the port was taken.
    async fn start_on(mut command: Command, port: u16, dir: &Path, name: &'static str) -> Option<Running> {
        let log = dir.join("server.log");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("a log file");
        command.stdin(Stdio::null()).stdout(file.try_clone().expect("a log file")).stderr(file);
        let mut process = ServerProcess::spawn(command, name);
        let read = || std::fs::read_to_string(&log).unwrap_or_default();
        listening(&mut process, port, LISTENING_WITHIN, read).await.then(|| Running { process, port, log: log.clone() })
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
