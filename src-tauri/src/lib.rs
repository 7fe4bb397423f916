//! Herald's desktop shell: the tray, the window, the commands the window
//! calls, and native notifications. It stays thin: everything that can run
//! without a window lives in `herald-core` and `herald-hub`.

mod commands;
mod feed_setup;
mod options;
mod ports;
mod quiet;
mod relay;
pub mod setup;
mod state;
mod tray;
mod window;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_core::attention::Notifier;
use herald_core::engine::{Engine, EngineConfig, EngineEvent, StoreAt};
use herald_core::secrets::Secrets;
use herald_core::store::Store;
use herald_desk::notify::DesktopNotifier;
use herald_desk::{Desk, DeskParts};
use tauri::{Builder, Manager, RunEvent, Runtime};
use tokio::sync::mpsc;

pub use options::{take_server_token, Options};
pub use relay::{CHANGES_EVENT, FEED_EVENT, REMOVED_EVENT, STATUS_EVENT};
pub use state::AppState;

/// What of the desktop to use: tests with the mock runtime have no tray or
/// notification service, and show alerts through their own [`Notifier`].
pub struct Desktop {
    pub tray: bool,
    pub open_window: bool,
    /// `None` for native notifications.
    pub notifier: Option<Arc<dyn Notifier>>,
}

/// Builds the app on any runtime around a running engine and its events,
/// so the shell can be smoke-tested with `tauri::test::mock_builder()`.
/// Nothing in it can fail: a missing tray or window is logged, and Herald
/// keeps running with what the desktop offers.
pub fn run_app<R: Runtime>(
    builder: Builder<R>,
    state: AppState,
    events: mpsc::Receiver<EngineEvent>,
    desktop: Desktop,
) -> Builder<R> {
    builder
        // Used from Rust only (`open_link` checks the scheme); no capability
        // grants the webview the plugin's own commands.
        .plugin(tauri_plugin_opener::init())
        // The file dialogs of import and export, opened from Rust.
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::feeds,
            commands::records,
            commands::write,
            commands::mark_read,
            commands::timeline,
            commands::activity,
            commands::reconnect_now,
            commands::pause_feed,
            commands::open_link,
            feed_setup::feed_form,
            feed_setup::validate_feed,
            feed_setup::probe_feed,
            feed_setup::trust_certificate,
            feed_setup::save_feed,
            feed_setup::remove_feed,
            feed_setup::import_feeds,
            feed_setup::export_feeds,
            quiet::quiet,
            quiet::set_quiet,
            quiet::do_not_disturb,
            quiet::test_notification,
            commands::take_focus,
            commands::app_status,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let (notifier, heard): (Arc<dyn Notifier>, _) = match desktop.notifier {
                Some(notifier) => (notifier, None),
                None => {
                    let (notifier, heard) = DesktopNotifier::start();
                    (Arc::new(notifier), Some(heard))
                }
            };
            let attention = relay::attention(notifier, state.quiet_file.clone());
            app.manage(attention.clone());
            let desk = Arc::new(Desk::new(DeskParts {
                engine: state.engine,
                secrets: state.secrets,
                attention,
                certs_dir: state.certs_dir,
                ports: Arc::new(ports::TauriPorts(handle.clone())),
            }));
            app.manage(desk.clone());
            if let Some(mut heard) = heard {
                let desk = desk.clone();
                tauri::async_runtime::spawn(async move {
                    while let Some(heard) = heard.recv().await {
                        desk.heard(heard);
                    }
                });
            }
            relay::spawn(handle.clone(), events, desk);
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

/// Runs Herald: every stored feed (the demo when there is none), the tray,
/// and the window. `token` is the `--server` token, taken from the
/// environment before any thread started.
pub fn main(options: Options, token: Option<String>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    tauri::async_runtime::set(runtime.handle().clone());
    let _inside = runtime.enter();

    // `--demo`: a store of its own, in a folder removed when this returns.
    let demo_dir = options.demo.then(DemoDir::new).transpose()?;
    let store = match &demo_dir {
        Some(dir) => dir.0.join("herald.db"),
        None => options
            .store
            .clone()
            .or_else(Store::default_path)
            .context("no --store given, and neither XDG_DATA_HOME nor HOME is set")?,
    };
    let every = Duration::from_secs(options.demo_every);
    let start = runtime.block_on(setup::prepare(&store, options.server.as_deref(), token, every))?;
    let data_dir = start.store.parent().unwrap_or(std::path::Path::new(".")).to_owned();
    let certs_dir = data_dir.join("certs");
    let secrets: Arc<dyn Secrets> = Arc::new(start.secrets);
    let config = EngineConfig::new(StoreAt::Path(start.store), secrets.clone());
    let (engine, events) = runtime.block_on(Engine::start(config)).context("starting the engine")?;
    let state = AppState::new(engine, secrets, certs_dir).with_quiet_file(data_dir.join("quiet.json"));
    let _demo = start.demo;
    let desktop = Desktop { tray: true, open_window: !options.hidden, notifier: None };
    let app = run_app(tauri::Builder::default(), state, events, desktop).build(tauri::generate_context!())?;
    app.run(|_, event| {
        // Closing the last window leaves Herald in the tray; only Quit exits.
        if let RunEvent::ExitRequested { code: None, api, .. } = event {
            api.prevent_exit();
        }
    });
    Ok(())
}

/// The demo's own folder, removed when Herald exits.
struct DemoDir(std::path::PathBuf);

impl DemoDir {
    fn new() -> anyhow::Result<DemoDir> {
        let dir = std::env::temp_dir().join(format!("herald-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(DemoDir(dir))
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
