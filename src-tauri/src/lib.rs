//! Herald's desktop shell: the tray, the window, the commands the window
//! calls, and native notifications. It stays thin: everything that can run
//! without a window lives in `herald-core` and `herald-hub`.

mod commands;
mod notify;
mod options;
mod relay;
mod state;
mod tray;
mod window;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_core::attention::Notifier;
use herald_core::store::Store;
use herald_core::tasks::{Board, BoardConfig, BoardMemory};
use herald_hub::demo::DemoHub;
use tauri::{Builder, Manager, RunEvent, Runtime};

pub use options::Options;
pub use relay::{CHANGE_EVENT, STATUS_EVENT};
pub use state::AppState;

/// The server Herald follows.
#[derive(Clone)]
pub struct Feed {
    pub base_url: String,
    pub token: Option<String>,
    /// Shown to the user as where changes come from.
    pub source: String,
    /// The store that remembers the list between runs, if any.
    pub store: Option<PathBuf>,
}

impl Feed {
    /// Starts following the feed; must be called inside the tokio runtime.
    pub fn start(self) -> anyhow::Result<AppState> {
        let client = herald_core::http_client().context("setting up HTTP")?;
        // Without its store Herald still follows the server; it only cannot
        // say on start what changed while it was closed.
        let memory = self.store.as_deref().and_then(|path| {
            Store::open(path)
                .and_then(|store| BoardMemory::open(store, &self.base_url))
                .map_err(|e| tracing::warn!(error = %e, "running without remembering the list between runs"))
                .ok()
        });
        let board = Board::start(client, BoardConfig { base_url: self.base_url, token: self.token, memory });
        Ok(AppState::new(board, self.source))
    }
}

/// What of the desktop to use: tests with the mock runtime have no tray or
/// notification service, and show alerts through their own [`Notifier`].
pub struct Desktop {
    pub tray: bool,
    pub open_window: bool,
    /// `None` for native notifications.
    pub notifier: Option<Arc<dyn Notifier>>,
}

/// Builds the app on any runtime, so the shell can be smoke-tested with
/// `tauri::test::mock_builder()`.
/// Nothing in it can fail: a missing tray or window is logged, and Herald
/// keeps running with what the desktop offers.
pub fn run_app<R: Runtime>(builder: Builder<R>, state: AppState, desktop: Desktop) -> Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![
            commands::list_tasks,
            commands::add_task,
            commands::set_task_done,
            commands::delete_task,
            commands::take_focus,
            commands::feed_status,
        ])
        .setup(move |app| {
            let (notices, missed, connection) = (state.board.notices(), state.board.missed(), state.board.state());
            app.manage(state);
            let handle = app.handle().clone();
            let notifier = desktop.notifier.unwrap_or_else(|| Arc::new(notify::DesktopNotifier::start(handle.clone())));
            relay::spawn(handle.clone(), notices, missed, connection, notifier);
            if desktop.tray {
                if let Err(e) = tray::create(&handle) {
                    tracing::warn!(error = %e, "no tray icon; Herald runs on with its window");
                }
            }
            if desktop.open_window {
                if let Err(e) = window::open(&handle) {
                    tracing::warn!(error = %e, "could not open the window");
                }
            }
            Ok(())
        })
}

/// Runs Herald: the demo hub when no server is given, the tray, and the window.
pub fn main(options: Options) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    tauri::async_runtime::set(runtime.handle().clone());
    let _inside = runtime.enter();

    let (feed, _demo) = match &options.server {
        Some(url) => {
            let source = host_of(url).with_context(|| format!("--server {url} is not an http(s) URL"))?;
            let store = options.store.clone().or_else(Store::default_path);
            (Feed { base_url: url.clone(), token: options::server_token(), source, store }, None)
        }
        None => {
            let demo = runtime.block_on(DemoHub::start(Duration::from_secs(options.demo_every)))?;
            tracing::info!(url = %demo.server.url, "started the demo hub");
            let feed = Feed {
                base_url: demo.server.url.clone(),
                token: Some(demo.token.clone()),
                source: "Demo: the team's shared list".into(),
                store: None,
            };
            (feed, Some(demo))
        }
    };
    let desktop = Desktop { tray: true, open_window: !options.hidden, notifier: None };
    let app = run_app(tauri::Builder::default(), feed.start()?, desktop).build(tauri::generate_context!())?;
    app.run(|_, event| {
        // Closing the last window leaves Herald in the tray; only Quit exits.
        if let RunEvent::ExitRequested { code: None, api, .. } = event {
            api.prevent_exit();
        }
    });
    Ok(())
}

/// "host:port" of an http(s) URL, for showing where changes come from.
fn host_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn the_source_is_the_servers_host() {
        assert_eq!(host_of("https://tasks.example.com/api").as_deref(), Some("tasks.example.com"));
        assert_eq!(host_of("http://user:pw@127.0.0.1:8080").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(host_of("ftp://x"), None);
        assert_eq!(host_of("tasks.example.com"), None);
    }
}
