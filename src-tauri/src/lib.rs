//! Herald's window: a process of its own, started when it is wanted and
//! gone when it is closed. It is a client of the tray process (`herald`,
//! in `herald-desk`) over the local socket: its commands are thin
//! asks of typed calls ([`herald_core::call::Call`]), and what the tray process
//! pushes becomes the page's events. It runs no engine, no tray and no
//! notifications of its own.

mod commands;
mod feed_setup;
mod login;
mod quiet;
mod relay;
mod window;

use std::sync::Arc;

use anyhow::Context;
use herald_core::ipc::{self, Client, Push};
use tauri::{Builder, Runtime};
use tauri_plugin_window_state::StateFlags;
use tokio::sync::mpsc;

pub use relay::{CHANGES_EVENT, FEED_EVENT, LAGGED_EVENT, REMOVED_EVENT, STATUS_EVENT};

/// The connection to the tray process, shared by every command.
pub type Link = Arc<Client>;

/// Builds the window app on any runtime around a connection to the tray
/// process and what it pushes, so the shell can be smoke-tested with
/// `tauri::test::mock_builder()`.
pub fn run_app<R: Runtime>(builder: Builder<R>, link: Link, pushes: mpsc::Receiver<Push>, open: bool) -> Builder<R> {
    builder
        // Used from Rust only (`open_link` checks the scheme); no capability
        // grants the webview the plugin's own commands.
        .plugin(tauri_plugin_opener::init())
        // The file dialogs of import and export, opened from Rust.
        .plugin(tauri_plugin_dialog::init())
        // The window's size, position and maximised state, kept between
        // openings (in the config directory), since each opening is a new
        // process. From Rust only: no capability grants its commands.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
                .build(),
        )
        .manage(link)
        .invoke_handler(tauri::generate_handler![
            commands::feeds,
            commands::records,
            commands::write,
            commands::view,
            commands::mark_read,
            commands::timeline,
            commands::activity,
            commands::reconnect_now,
            commands::sign_in,
            commands::sign_out,
            commands::pause_feed,
            commands::open_link,
            commands::press_button,
            commands::picture,
            commands::upcoming,
            feed_setup::feed_form,
            feed_setup::validate_feed,
            feed_setup::probe_feed,
            feed_setup::trust_certificate,
            feed_setup::save_feed,
            feed_setup::remove_feed,
            feed_setup::import_feeds,
            feed_setup::export_feeds,
            feed_setup::choose_certificate_file,
            quiet::quiet,
            quiet::set_quiet,
            quiet::do_not_disturb,
            quiet::sounds,
            quiet::set_sounds,
            quiet::test_notification,
            commands::take_focus,
            commands::app_status,
            login::autostart,
            login::set_autostart,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            relay::spawn(handle.clone(), pushes);
            if open {
                if let Err(e) = window::open(&handle) {
                    tracing::warn!(error = %e, "could not open the window");
                }
            }
            Ok(())
        })
}

/// WebKitGTK's accelerated compositing, off: Herald's page is a list and a
/// few forms, and drawing it without compositing takes the web process
/// from 206 to 114 MiB PSS (`herald-memory`, BENCHMARKS.md). Left alone if
/// the user set `WEBKIT_DISABLE_COMPOSITING_MODE` either way. Call it first
/// thing in `main`, before any thread starts.
pub fn lighter_webview() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // Edition 2021, before any other thread: nothing reads the environment concurrently.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// Opens the window on the running Herald; it exits when the window closes.
pub fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    tauri::async_runtime::set(runtime.handle().clone());
    let _inside = runtime.enter();
    let socket = ipc::socket_path();
    let mut client = runtime.block_on(Client::connect(&socket)).with_context(|| {
        format!("Herald is not running (nothing answers at {}): start it with `herald`", socket.display())
    })?;
    let pushes = runtime.block_on(client.subscribe(true))?;
    let app = run_app(tauri::Builder::default(), Arc::new(client), pushes, true).build(tauri::generate_context!())?;
    // The last window closed is the end of this process: the tray process stays.
    app.run(|_, _| {});
    Ok(())
}
