//! The servers the fan-out benchmark compares, each run as real processes
//! on 127.0.0.1 with a directory of its own: Herald's hub on SQLite, two
//! hubs sharing one `redis-server`, and nginx with Nchan on Redis. Every
//! process is stopped when its [`Running`] is dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// Which server to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// One Herald hub, its store in a SQLite file.
    HubSqlite,
    /// Two Herald hubs on one Redis; subscribers are split between them and
    /// the publisher writes through the first.
    HubRedis,
    /// nginx with Nchan, its channel kept in Redis.
    Nchan,
}

impl Server {
    pub const ALL: [Server; 3] = [Server::HubSqlite, Server::HubRedis, Server::Nchan];

    pub fn name(self) -> &'static str {
        match self {
            Server::HubSqlite => "hub (SQLite)",
            Server::HubRedis => "2 hubs (Redis)",
            Server::Nchan => "nginx + Nchan (Redis)",
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Server> {
        match text {
            "hub-sqlite" => Ok(Server::HubSqlite),
            "hub-redis" => Ok(Server::HubRedis),
            "nchan" => Ok(Server::Nchan),
            _ => anyhow::bail!("unknown server {text:?}: expected hub-sqlite, hub-redis or nchan"),
        }
    }
}

/// Where the publisher sends a change.
#[derive(Clone)]
pub enum Publish {
    /// `POST /tasks` with a JSON body and a bearer token.
    Hub { url: String, token: &'static str },
    /// `POST` of the message's text to Nchan's publisher location.
    Nchan { url: String },
}

/// A server up and serving: its stream URLs (a subscriber takes them in
/// turn), where to publish, and its processes.
pub struct Running {
    pub streams: Vec<String>,
    pub publish: Publish,
    /// The server's processes, each the root of a tree (nginx's master and
    /// its workers); Redis is apart, in `redis`.
    pub roots: Vec<u32>,
    pub redis: Option<u32>,
    children: Vec<Stopped>,
    dir: tempfile::TempDir,
}

const PUBLISHER_TOKEN: &str = "fanout-publisher-token";

/// Starts `server`; `hub` is the `herald-hub` binary.
pub fn start(server: Server, hub: &Path) -> anyhow::Result<Running> {
    let dir = tempfile::tempdir()?;
    let mut children = Vec::new();
    let mut redis = None;
    if server != Server::HubSqlite {
        let port = free_port()?;
        let child = spawn(
            Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path()),
            &dir.path().join("redis.log"),
        )?;
        redis = Some((child.id(), port));
        children.push(child);
        wait_for_port(port)?;
    }
    let (streams, publish) = match server {
        Server::HubSqlite => {
            let port = free_port()?;
            let db = dir.path().join("hub.db");
            children.push(start_hub(hub, dir.path(), port, &["--db".as_ref(), db.as_os_str()])?);
            let url = format!("http://127.0.0.1:{port}");
            (vec![format!("{url}/tasks/subscribe")], Publish::Hub { url, token: PUBLISHER_TOKEN })
        }
        Server::HubRedis => {
            let (_, redis_port) = redis.expect("started above");
            let location = format!("redis://127.0.0.1:{redis_port}");
            let mut urls = Vec::new();
            for _ in 0..2 {
                let port = free_port()?;
                children.push(start_hub(hub, dir.path(), port, &["--redis".as_ref(), location.as_ref()])?);
                urls.push(format!("http://127.0.0.1:{port}"));
            }
            let streams = urls.iter().map(|u| format!("{u}/tasks/subscribe")).collect();
            (streams, Publish::Hub { url: urls.swap_remove(0), token: PUBLISHER_TOKEN })
        }
        Server::Nchan => {
            let (_, redis_port) = redis.expect("started above");
            let port = free_port()?;
            children.push(start_nchan(dir.path(), port, redis_port)?);
            let url = format!("http://127.0.0.1:{port}");
            (vec![format!("{url}/sub")], Publish::Nchan { url: format!("{url}/pub") })
        }
    };
    let roots = children.iter().skip(usize::from(redis.is_some())).map(Stopped::id).collect();
    Ok(Running { streams, publish, roots, redis: redis.map(|(pid, _)| pid), children, dir })
}

impl Drop for Running {
    fn drop(&mut self) {
        // HERALD_FANOUT_KEEP=1 keeps the servers' logs and config, to look into a run.
        if std::env::var_os("HERALD_FANOUT_KEEP").is_some() {
            self.dir.disable_cleanup(true);
            eprintln!("kept {}", self.dir.path().display());
        }
        // The servers before Redis, so that none of them logs Redis going.
        while let Some(child) = self.children.pop() {
            drop(child);
        }
    }
}

fn start_hub(hub: &Path, dir: &Path, port: u16, store: &[&std::ffi::OsStr]) -> anyhow::Result<Stopped> {
    let config = dir.join("hub.toml");
    // Every subscriber comes from 127.0.0.1, so the per-address limit is lifted with the total.
    let text = format!(
        "anonymous_reads = true\nmax_streams = 1000000\nmax_streams_per_client = 1000000\n\n[actors]\nPublisher = \"{PUBLISHER_TOKEN}\"\n"
    );
    std::fs::write(&config, text)?;
    let child = spawn(
        Command::new(hub)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(store)
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "warn"),
        &dir.join(format!("hub-{port}.log")),
    )
    .with_context(|| format!("starting {}", hub.display()))?;
    wait_for_port(port)?;
    Ok(child)
}

/// nginx as its packaged module expects, with two workers (one per core, as
/// the hub's runtime has two threads) and no access log.
fn start_nchan(dir: &Path, port: u16, redis_port: u16) -> anyhow::Result<Stopped> {
    let d = dir.display();
    let conf = format!(
        r#"load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
daemon off;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 19000; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream tasks_redis {{ nchan_redis_server redis://127.0.0.1:{redis_port}; }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /pub {{ nchan_publisher; nchan_channel_id tasks; nchan_redis_pass tasks_redis; }}
        location = /sub {{ nchan_subscriber eventsource; nchan_channel_id tasks; nchan_redis_pass tasks_redis; }}
        # Nchan keeps 10 messages by default: a subscriber more than 10 behind
        # loses the rest. The hub keeps its whole log, so Nchan keeps 1,000.
        nchan_message_buffer_length 1000;
        nchan_message_timeout 10m;
    }}
}}
"#
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf)?;
    let child = spawn(Command::new("nginx").arg("-c").arg(&path).arg("-p").arg(dir), &dir.join("nginx-stderr.log"))
        .context("starting nginx (apt install nginx libnginx-mod-nchan)")?;
    wait_for_port(port)?;
    Ok(child)
}

/// A child process that is stopped (SIGTERM, then SIGKILL after 10 s) when dropped.
struct Stopped(std::process::Child);

impl Stopped {
    fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid, which we have not reaped yet.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let give_up = Instant::now() + Duration::from_secs(10);
        while matches!(self.0.try_wait(), Ok(None)) && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(command: &mut Command, log: &PathBuf) -> anyhow::Result<Stopped> {
    let log = std::fs::File::create(log)?;
    Ok(Stopped(command.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log).spawn()?))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls until something accepts on `port`, for at most 30 s.
fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let give_up = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < give_up, "nothing listens on 127.0.0.1:{port} after 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
