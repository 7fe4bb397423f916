//! The tray process under test (`herald`), started with the test's own
//! environment and socket, and stopped, or started again, as a user would.
//!
//! It starts no windows itself (`HERALD_WINDOW=none`): the tests open each
//! window through WebDriver, which launches `herald-window`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use herald_core::ipc::Client;

/// A running tray process; stopped on drop.
pub struct Herald {
    child: Option<Child>,
    env: Vec<(String, String)>,
    socket: PathBuf,
}

/// The tray process's binary: `$HERALD_BIN`, else the workspace's build of
/// it (the `tray` profile).
pub fn binary() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("HERALD_BIN") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tray/herald"),
    };
    anyhow::ensure!(path.is_file(), "no herald binary at {} (build it, or set HERALD_BIN)", path.display());
    Ok(path.canonicalize()?)
}

impl Herald {
    /// Starts it with `env`, listening on `socket`, and waits until it answers there.
    pub async fn start(env: &[(&str, &str)], socket: &Path) -> anyhow::Result<Herald> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut herald = Herald { child: None, env, socket: socket.to_owned() };
        herald.start_again(&[]).await?;
        Ok(herald)
    }

    /// Starts it again after [`stop`](Self::stop), with `args`.
    pub async fn start_again(&mut self, args: &[&str]) -> anyhow::Result<()> {
        anyhow::ensure!(self.child.is_none(), "Herald is running already");
        let child = Command::new(binary()?)
            .args(["--hidden"])
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("HERALD_SOCKET", &self.socket)
            .env("HERALD_WINDOW", "none")
            // The desktop's do not disturb comes from the test's stand-ins
            // alone, never from this machine's own dconf settings.
            .env("GSETTINGS_BACKEND", "memory")
            // Its picture cache, beside its socket rather than in this machine's ~/.cache.
            .env("XDG_CACHE_HOME", self.socket.with_extension("cache"))
            .stdout(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let socket = self.socket.clone();
        crate::eventually("Herald to answer on its socket", || {
            let socket = socket.clone();
            async move { Ok(Client::connect(&socket).await.ok().map(drop)) }
        })
        .await
    }

    /// Its process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Where it listens.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Asks it to stop, as the session does at logout (SIGTERM), and waits.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for Herald {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
