//! A real `redis-server` (from apt) for one test, on 127.0.0.1 with a
//! directory of its own, killed when the test ends.
//!
//! It writes every acknowledged write to its append-only file before
//! answering (`appendfsync always`), so that a test can kill it and start it
//! again on the same port and directory, as an operator's restart would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use herald_hub::RedisLocation;

const READY_WITHIN: Duration = Duration::from_secs(10);

pub struct RedisServer {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        // The port is free now; another process could take it before the
        // server binds, so a server that does not come up is tried again.
        for _ in 0..5 {
            let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            if let Some(child) = run(addr, dir.path()) {
                return RedisServer { addr, dir, child: Some(child) };
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    /// Where a hub finds it.
    pub fn location(&self) -> RedisLocation {
        RedisLocation::new(format!("redis://{}", self.addr))
    }

    /// Kills it at once (SIGKILL): nothing is saved on the way out.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory, where it reloads its
    /// append-only file; panics if it does not come up.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + READY_WITHIN;
        // The port may take a moment to be free again.
        loop {
            if let Some(child) = run(self.addr, self.dir.path()) {
                self.child = Some(child);
                return;
            }
            assert!(Instant::now() < deadline, "redis-server did not restart on {}", self.addr);
        }
    }
}

impl RedisServer {
    /// Starts it again on the same port with nothing on disk, as a Redis
    /// without persistence comes back: every key gone.
    pub fn restart_empty(&mut self) {
        self.kill();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                std::fs::remove_dir_all(path).unwrap();
            } else {
                std::fs::remove_file(path).unwrap();
            }
        }
        self.restart();
    }
}

/// Starts a server and waits until it answers PING; `None` if it exits first.
#[allow(clippy::zombie_processes)] // a server that exited was reaped by `try_wait`
fn run(addr: SocketAddr, dir: &Path) -> Option<Child> {
    let mut child = Command::new("redis-server")
        .args(arguments(addr, dir))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting redis-server (apt install redis-server): {e}"));
    let deadline = Instant::now() + READY_WITHIN;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return None;
        }
        if answers_ping(addr) {
            return Some(child);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server on {addr} did not answer within {READY_WITHIN:?}");
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn arguments(addr: SocketAddr, dir: &Path) -> Vec<String> {
    [
        "--bind",
        "127.0.0.1",
        "--port",
        &addr.port().to_string(),
        "--dir",
        &dir.display().to_string(),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Whether a server on `addr` answers `PING` with `PONG` (not `-LOADING`).
fn answers_ping(addr: SocketAddr) -> bool {
    let Ok(mut tcp) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else { return false };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(1)));
    if tcp.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    tcp.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}
