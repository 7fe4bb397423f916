//! Dante (`danted`, from apt's `dante-server`), started by a test as a
//! SOCKS 5 proxy on 127.0.0.1 with a config of its own, in the foreground,
//! never as a service. It can be restarted on the same port, as a proxy is
//! in the middle of a long stream, and it logs each connection it passes.
//!
//! Dante forks helpers (negotiate, request and io children), and an io
//! child carrying a stream outlives its parent's SIGTERM. So it runs in a
//! process group of its own, stopped as a whole: a stop breaks every
//! stream through it, as a restart of the service does.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{free_port, OnPort, ServerProcess, PORT_TRIES};

const BINARY: &str = "/usr/sbin/danted";
const LISTENING_WITHIN: Duration = Duration::from_secs(30);

pub struct Dante {
    server: OnPort,
    /// `127.0.0.1:{port}`: give it a scheme (`socks5h://`).
    pub address: String,
    config: PathBuf,
    dir: tempfile::TempDir,
}

impl Dante {
    /// Dante on a free port, passing connections from loopback to
    /// loopback without authentication.
    pub async fn start() -> Dante {
        assert!(std::path::Path::new(BINARY).exists(), "danted is not installed: apt-get install dante-server");
        let mut dir = tempfile::tempdir().expect("a directory for dante");
        let root = dir.path().display().to_string();
        for _ in 0..PORT_TRIES {
            let port = free_port();
            let config = dir.path().join("danted.conf");
            let text = format!(
                "logoutput: {root}/danted.log\ninternal: 127.0.0.1 port = {port}\nexternal: 127.0.0.1\n\
                 socksmethod: none\nclientmethod: none\nuser.privileged: root\nuser.unprivileged: nobody\n\
                 client pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  log: error\n}}\n\
                 socks pass {{\n  from: 127.0.0.0/8 to: 127.0.0.0/8\n  command: connect\n  log: connect disconnect error\n}}\n"
            );
            std::fs::write(&config, text).unwrap();
            let mut dante = Dante { server: OnPort::new(port), address: format!("127.0.0.1:{port}"), config, dir };
            if dante.run().await {
                return dante;
            }
            dir = dante.dir;
        }
        panic!("dante found no free port in {PORT_TRIES} tries")
    }

    /// Starts it on its port; `false` if it exited first (the port was taken).
    async fn run(&mut self) -> bool {
        let mut command = Command::new(BINARY);
        let pid = self.dir.path().join("danted.pid");
        command.arg("-f").arg(&self.config).arg("-p").arg(pid).stdout(Stdio::null()).stderr(Stdio::null());
        let process = ServerProcess::spawn_group(command, "danted");
        let log = self.dir.path().join("danted.log");
        self.server.run(process, LISTENING_WITHIN, || std::fs::read_to_string(&log).unwrap_or_default()).await
    }

    /// Stops it: every connection through it breaks.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Stops it and starts it again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        assert!(self.run().await, "dante could not listen on its port again: {}", self.log());
    }

    /// What it logged: a line per connection it passed, among others.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("danted.log")).unwrap_or_default()
    }
}
