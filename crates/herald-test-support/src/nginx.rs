//! nginx from apt, started by a test on 127.0.0.1 with a config and a
//! prefix of its own (`nginx -c FILE -p DIR`), never as a service, and
//! stopped when dropped: SIGTERM to the master, which stops its workers
//! and waits for them before it exits, so none is left running.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{free_port, listening, ServerProcess, PORT_TRIES};

const BINARY: &str = "/usr/sbin/nginx";
const LISTENING_WITHIN: Duration = Duration::from_secs(20);

pub struct Nginx {
    process: ServerProcess,
    port: u16,
    /// `http://127.0.0.1:{port}`, or `https://` for [`Nginx::start_https`].
    pub url: String,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx with one worker on a free port of 127.0.0.1, and waits
    /// until it listens. `main` goes before the `events` block (such as
    /// `load_module …;`), `http` into the `http` block (such as an
    /// `upstream`), and `server` into its one `server` block, after `listen`.
    pub async fn start(main: &str, http: &str, server: &str) -> Nginx {
        Nginx::start_as(false, main, http, server).await
    }

    /// [`Nginx::start`], listening with TLS (`listen … ssl`): `server` names
    /// the certificate and key, and `url` is `https://127.0.0.1:{port}`.
    pub async fn start_https(main: &str, http: &str, server: &str) -> Nginx {
        Nginx::start_as(true, main, http, server).await
    }

    async fn start_as(tls: bool, main: &str, http: &str, server: &str) -> Nginx {
        assert!(Path::new(BINARY).exists(), "nginx is not installed: apt-get install nginx-light");
        for _ in 0..PORT_TRIES {
            if let Some(nginx) = Nginx::start_on(free_port(), tls, main, http, server).await {
                return nginx;
            }
        }
        panic!("nginx found no free port in {PORT_TRIES} tries")
    }

    /// nginx on `port`, or `None` if it exited first (the port was taken).
    async fn start_on(port: u16, tls: bool, main: &str, http: &str, server: &str) -> Option<Nginx> {
        let (ssl, scheme) = if tls { (" ssl", "https") } else { ("", "http") };
        let dir = tempfile::tempdir().expect("a directory for nginx");
        let root = dir.path().display();
        let config = format!(
            r#"{main}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    {http}
    server {{
        listen 127.0.0.1:{port}{ssl};
        {server}
    }}
}}
"#
        );
        std::fs::write(dir.path().join("nginx.conf"), config).expect("nginx.conf written");
        let process = serve(dir.path(), port).await?;
        Some(Nginx { process, port, url: format!("{scheme}://127.0.0.1:{port}"), dir })
    }

    /// Stops nginx (SIGTERM) and starts it again on the same port, with the
    /// same configuration: what it kept in memory (Nchan's messages) is gone.
    pub async fn restart(&mut self) {
        self.stop();
        self.start_again().await;
    }

    /// Stops nginx until [`Nginx::start_again`].
    pub fn stop(&mut self) {
        self.process.stop();
    }

    /// Starts nginx again on its port, with its configuration.
    pub async fn start_again(&mut self) {
        self.process = serve(self.dir.path(), self.port).await.expect("its port is still free");
    }

    /// What nginx logged at `warn` and above.
    pub fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

/// nginx with the configuration in `dir`, once it listens on `port`; `None`
/// if it exited first (the port was taken).
async fn serve(dir: &Path, port: u16) -> Option<ServerProcess> {
    let mut command = Command::new(BINARY);
    command.arg("-c").arg(dir.join("nginx.conf")).arg("-p").arg(dir).stdout(Stdio::null()).stderr(Stdio::null());
    let mut process = ServerProcess::spawn(command, "nginx");
    let errors = || std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    listening(&mut process, port, LISTENING_WITHIN, errors).await.then_some(process)
}

impl Nginx {
    /// The master's pid, whose children are its workers.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }
}
