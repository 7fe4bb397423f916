//! A server process started by a test: stopped as its own service manager
//! would stop it (SIGTERM, then a wait for it to exit), so that it takes
//! its children with it. SIGKILL to nginx's master, say, orphans its
//! workers, and they outlive the test.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// How long a server has to exit on SIGTERM before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(10);

pub struct ServerProcess {
    child: Child,
    name: String,
    /// Signals go to its whole process group: a server whose children
    /// outlive their parent's SIGTERM (Dante's) is stopped with them.
    group: bool,
}

impl ServerProcess {
    /// Starts `command`; `name` is what a failure calls it.
    pub fn spawn(mut command: Command, name: &str) -> ServerProcess {
        let child = command.spawn().unwrap_or_else(|e| panic!("{name} did not start: {e}"));
        ServerProcess { child, name: name.to_owned(), group: false }
    }

    /// Starts `command` in a process group of its own, stopped as a
    /// whole.
    pub fn spawn_group(mut command: Command, name: &str) -> ServerProcess {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        let mut process = ServerProcess::spawn(command, name);
        process.group = true;
        process
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited (and so what it logged is all there is).
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (SIGTERM, SIGQUIT, SIGKILL) and waits for the exit;
    /// SIGKILL if SIGTERM was not enough in time.
    pub fn stop_with(&mut self, signal: libc::c_int) {
        if self.exited() {
            return;
        }
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        let target = if self.group { -pid } else { pid };
        // SAFETY: kill(2) takes any pid and signal; this pid is our own
        // child, not yet reaped, so it (and the group it leads) cannot
        // name another process.
        unsafe { libc::kill(target, signal) };
        let deadline = Instant::now() + STOP_WITHIN;
        while Instant::now() < deadline {
            if self.exited() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("{} did not exit within {STOP_WITHIN:?} of signal {signal}: killing it", self.name);
        if self.group {
            // SAFETY: as above.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it as a service manager would: SIGTERM, and a wait.
    pub fn stop(&mut self) {
        self.stop_with(libc::SIGTERM);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until `process` itself listens on `127.0.0.1:port` (see
/// [`listens`]) and says `true`; `false` if it exited first, as a server
/// does when another took its port. Panics after `within` with what `log`
/// says.
pub async fn listening(process: &mut ServerProcess, port: u16, within: Duration, log: impl Fn() -> String) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while !listens(process.id(), port) {
        if process.exited() {
            return false;
        }
        assert!(tokio::time::Instant::now() < deadline, "{} did not listen on port {port}: {}", process.name, log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// A server on a port of its own, stopped and started again there as a
/// service is restarted under a long stream (squid's, Dante's).
pub struct OnPort {
    pub port: u16,
    process: Option<ServerProcess>,
}

impl OnPort {
    pub fn new(port: u16) -> OnPort {
        OnPort { port, process: None }
    }

    /// Runs `process` as the server on the port, once it listens there;
    /// `false` if it exited first (the port was taken). Panics after
    /// `within` with what `log` says.
    pub async fn run(&mut self, mut process: ServerProcess, within: Duration, log: impl Fn() -> String) -> bool {
        let up = listening(&mut process, self.port, within, log).await;
        self.process = Some(process);
        up
    }

    /// Stops it: every connection to it breaks.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }
}

/// How many free ports a server is tried on before a test gives up.
pub const PORT_TRIES: usize = 5;

/// A port of 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Whether process `pid` itself listens on `127.0.0.1:port`: the inode of
/// the listening socket (`/proc/net/tcp`) is among its open files. A port
/// picked by [`free_port`] may be taken by another test's server before
/// this one binds it; then something listens there, but not this server.
pub fn listens(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else { return false };
    let local = format!("0100007F:{port:04X}");
    let mut sockets = Vec::new();
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // The local address, the state (0A: listening), and the inode.
        if let (Some(&address), Some(&"0A"), Some(inode)) = (fields.get(1), fields.get(3), fields.get(9)) {
            if address == local {
                sockets.push(format!("socket:[{inode}]"));
            }
        }
    }
    let Ok(files) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    files
        .flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|to| sockets.iter().any(|s| to.as_os_str() == s.as_str())))
}
