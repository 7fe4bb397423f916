//! The tray icon: Open and Quit, and an icon that shows the connection.

use herald_core::sse::{ConnectionState, Phase};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};

use crate::window;

const TRAY: &str = "herald";

fn icon(phase: &Phase) -> Image<'static> {
    let bytes: &'static [u8] = match phase {
        Phase::Open { .. } => include_bytes!("../../icons/tray-live.png"),
        Phase::Connecting | Phase::Retrying { .. } => include_bytes!("../../icons/tray-connecting.png"),
        Phase::Stopped { .. } => include_bytes!("../../icons/tray-offline.png"),
    };
    Image::from_bytes(bytes).expect("the tray icons are valid PNGs")
}

fn tooltip(state: &ConnectionState) -> String {
    match &state.phase {
        Phase::Connecting => "Herald: connecting…".into(),
        Phase::Open { .. } => "Herald: live".into(),
        Phase::Retrying { reason, .. } => format!("Herald: reconnecting ({reason})"),
        Phase::Stopped { .. } => "Herald: stopped".into(),
    }
}

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Herald", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Herald", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &PredefinedMenuItem::separator(app)?, &quit])?;
    TrayIconBuilder::with_id(TRAY)
        .icon(icon(&Phase::Connecting))
        .tooltip("Herald")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => {
                if let Err(e) = window::open(app) {
                    tracing::warn!(error = %e, "could not open the window");
                }
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                if let Err(e) = window::open(tray.app_handle()) {
                    tracing::warn!(error = %e, "could not open the window");
                }
            }
        })
        .build(app)?;
    Ok(())
}

/// Shows the connection state on the tray icon, if there is one.
pub fn show_state<R: Runtime>(app: &AppHandle<R>, state: &ConnectionState) {
    let Some(tray) = app.tray_by_id(TRAY) else { return };
    let result = tray.set_icon(Some(icon(&state.phase))).and_then(|_| tray.set_tooltip(Some(tooltip(state))));
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not update the tray icon");
    }
}
