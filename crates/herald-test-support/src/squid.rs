//! squid from apt, started by a test as an HTTP proxy on 127.0.0.1 with a
//! config of its own (`squid -N -f FILE`: in the foreground, one process),
//! never as a service; with basic authentication when asked. It can be
//! restarted on the same port, as a proxy is in the middle of a long
//! stream, and it logs every request it passes (`access.log`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{free_port, OnPort, ServerProcess, PORT_TRIES};

const BINARY: &str = "/usr/sbin/squid";
const NCSA: &str = "/usr/lib/squid/basic_ncsa_auth";
const LISTENING_WITHIN: Duration = Duration::from_secs(30);

pub struct Squid {
    server: OnPort,
    /// `http://127.0.0.1:{port}`.
    pub url: String,
    config: PathBuf,
    dir: tempfile::TempDir,
}

impl Squid {
    /// squid on a free port; with `user` and `password` required of every
    /// client when given.
    pub async fn start(login: Option<(&str, &str)>) -> Squid {
        assert!(std::path::Path::new(BINARY).exists(), "squid is not installed: apt-get install squid");
        let mut dir = tempfile::tempdir().expect("a directory for squid");
        // squid started as root runs as the user `proxy`, which writes its logs here.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let root = dir.path().display().to_string();
        let auth = match login {
            Some((user, password)) => {
                let hash = Command::new("openssl").args(["passwd", "-apr1", password]).output().expect("openssl");
                let line = format!("{user}:{}", String::from_utf8_lossy(&hash.stdout).trim());
                std::fs::write(dir.path().join("passwd"), line).unwrap();
                format!(
                    "auth_param basic program {NCSA} {root}/passwd\nauth_param basic realm herald\n\
                     acl users proxy_auth REQUIRED\nhttp_access allow local users\n"
                )
            }
            None => "http_access allow local\n".to_owned(),
        };
        for _ in 0..PORT_TRIES {
            let port = free_port();
            let config = dir.path().join("squid.conf");
            let text = format!(
                "http_port 127.0.0.1:{port}\npid_filename none\ncache_log {root}/cache.log\n\
                 access_log stdio:{root}/access.log\ncache_store_log none\ncache deny all\ncoredump_dir {root}\n\
                 pinger_enable off\nshutdown_lifetime 0 seconds\nacl local src 127.0.0.1\n{auth}http_access deny all\n"
            );
            std::fs::write(&config, text).unwrap();
            let mut squid = Squid { server: OnPort::new(port), url: format!("http://127.0.0.1:{port}"), config, dir };
            if squid.run().await {
                return squid;
            }
            dir = squid.dir;
        }
        panic!("squid found no free port in {PORT_TRIES} tries")
    }

    /// Starts it on its port; `false` if it exited first (the port was taken).
    async fn run(&mut self) -> bool {
        let mut command = Command::new(BINARY);
        command.arg("-N").arg("-f").arg(&self.config).stdout(Stdio::null()).stderr(Stdio::null());
        let log = self.dir.path().join("cache.log");
        let errors = || std::fs::read_to_string(&log).unwrap_or_default();
        self.server.run(ServerProcess::spawn(command, "squid"), LISTENING_WITHIN, errors).await
    }

    /// Stops it: every connection through it breaks.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Stops it and starts it again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        assert!(self.run().await, "squid could not listen on its port again");
    }

    /// What it logged of the requests it passed.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}
