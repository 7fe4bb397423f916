//! Starts Herald's tray process and tauri-driver (which drives
//! WebKitWebDriver), and opens WebDriver sessions on the real window binary,
//! each a window of that Herald.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::herald::Herald;

/// A running Herald and tauri-driver; both stopped on drop.
pub struct Driver {
    child: Child,
    port: u16,
    /// The tray process the windows belong to.
    pub herald: Herald,
    _run: tempfile::TempDir,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Driver {
    /// Starts Herald's tray process, and tauri-driver, with `env` added to
    /// the environment both inherit; each window finds this Herald by its
    /// socket.
    pub async fn start(env: &[(&str, &str)]) -> anyhow::Result<Driver> {
        let run = tempfile::tempdir()?;
        let socket = run.path().join("herald").join("herald.sock");
        let herald = Herald::start(env, &socket).await?;
        let socket_env = socket.to_str().ok_or_else(|| anyhow::anyhow!("a socket path that is not UTF-8"))?;
        let port = free_port()?;
        let native_port = free_port()?;
        let program = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
        let child = Command::new(&program)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .envs(env.iter().copied())
            .env("HERALD_SOCKET", socket_env)
            .stdout(Stdio::null())
            // Its own process group, so WebKitWebDriver and the app go with it.
            .process_group(0)
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!(
                    "could not start {program}: {e} (install it with `cargo install tauri-driver --locked`)"
                )
            })?;
        let driver = Driver { child, port, herald, _run: run };
        // Ready when both listen: tauri-driver, and the WebKitWebDriver it
        // starts at once and forwards each session to. A session asked for
        // before the second listens fails ("did not respond").
        crate::eventually("tauri-driver and WebKitWebDriver to listen", || async {
            let listens = |port: u16| async move { tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() };
            Ok((listens(port).await && listens(native_port).await).then_some(()))
        })
        .await?;
        Ok(driver)
    }

    /// Opens a session on `app`, which launches it.
    pub async fn session(&self, app: &PathBuf) -> anyhow::Result<Client> {
        // Only tauri:options: adding browserName makes WebKitWebDriver refuse the session.
        let caps = json!({ "tauri:options": { "application": app } });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let mut builder = ClientBuilder::rustls()?;
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{}", self.port);
        let connect = builder.connect(&url);
        let client = tokio::time::timeout(crate::DEADLINE, connect)
            .await
            .map_err(|_| anyhow::anyhow!("no WebDriver session on {} within {:?}", app.display(), crate::DEADLINE))??;
        Ok(client)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Killing tauri-driver alone would orphan WebKitWebDriver and the app.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// The window binary under test: `$HERALD_APP`, else the workspace's release build.
pub fn app_binary() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("HERALD_APP") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/herald-window"),
    };
    anyhow::ensure!(path.is_file(), "no herald-window binary at {} (build it, or set HERALD_APP)", path.display());
    Ok(path.canonicalize()?)
}
