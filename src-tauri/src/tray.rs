//! The tray icon: what `herald_core::attention::tray` says of every feed
//! (its state drawn on the icon, an unread badge, a tooltip and a line per
//! feed), Pause all and Resume, do not disturb, Open and Quit.

use std::sync::{Arc, Mutex};

use herald_core::attention::tray::{draw, view, TrayView};
use herald_core::attention::{DoNotDisturb, DoNotDisturbFor, Quiet};
use herald_core::engine::{Command, FeedState, Reply};
use herald_core::sse::now_ms;
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::window;
use herald_desk::Desk;

const TRAY: &str = "herald";

/// The one source image; the state and the badge are drawn on it.
const SOURCE: &[u8] = include_bytes!("../../icons/64x64.png");

/// What the tray shows now, so it is redrawn only when that changes.
#[derive(Default)]
pub struct Shown(Mutex<Option<TrayView>>);

fn icon(view: &TrayView) -> Option<Image<'static>> {
    let source =
        Image::from_bytes(SOURCE).map_err(|e| tracing::warn!(error = %e, "the tray icon does not load")).ok()?;
    let (width, height) = (source.width(), source.height());
    let mut rgba = source.rgba().to_vec();
    draw(&mut rgba, width, height, view.state, view.unread);
    Some(Image::new_owned(rgba, width, height))
}

fn menu<R: Runtime>(app: &AppHandle<R>, view: &TrayView, quiet: &Quiet) -> tauri::Result<Menu<R>> {
    let mut items: Vec<Box<dyn IsMenuItem<R>>> = Vec::new();
    for (i, line) in view.lines.iter().enumerate() {
        items.push(Box::new(MenuItem::with_id(app, format!("feed-{i}"), line, false, None::<&str>)?));
    }
    if !view.lines.is_empty() {
        items.push(Box::new(PredefinedMenuItem::separator(app)?));
    }
    items.push(Box::new(MenuItem::with_id(app, "pause-all", "Pause all", true, None::<&str>)?));
    items.push(Box::new(MenuItem::with_id(app, "resume-all", "Resume all", true, None::<&str>)?));
    let dnd_on = quiet.do_not_disturb != DoNotDisturb::Off;
    let dnd = Submenu::with_items(
        app,
        if dnd_on { "Do not disturb (on)" } else { "Do not disturb" },
        true,
        &[
            &MenuItem::with_id(app, "dnd-hour", "For 1 hour", true, None::<&str>)?,
            &MenuItem::with_id(app, "dnd-tomorrow", "Until tomorrow", true, None::<&str>)?,
            &MenuItem::with_id(app, "dnd-on", "Until I turn it off", true, None::<&str>)?,
            &MenuItem::with_id(app, "dnd-off", "Turn off", dnd_on, None::<&str>)?,
        ],
    )?;
    items.push(Box::new(dnd));
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    items.push(Box::new(MenuItem::with_id(app, "open", "Open Herald", true, None::<&str>)?));
    items.push(Box::new(MenuItem::with_id(app, "quit", "Quit Herald", true, None::<&str>)?));
    let refs: Vec<&dyn IsMenuItem<R>> = items.iter().map(|i| i.as_ref()).collect();
    Menu::with_items(app, &refs)
}

fn do_not_disturb<R: Runtime>(app: &AppHandle<R>, span: Option<DoNotDisturbFor>) {
    if let Some(desk) = app.try_state::<Arc<Desk>>() {
        desk.attention().do_not_disturb(span);
    }
}

fn pause_all<R: Runtime>(app: &AppHandle<R>, paused: bool) {
    let Some(desk) = app.try_state::<Arc<Desk>>().map(|d| d.inner().clone()) else { return };
    tauri::async_runtime::spawn(async move {
        let engine = desk.engine();
        let Reply::Feeds { feeds } = engine.send(Command::Feeds).await else { return };
        for feed in feeds.into_iter().filter(|f| f.paused != paused) {
            engine.send(Command::PauseFeed { name: feed.name, paused }).await;
        }
    });
}

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    app.manage(Shown::default());
    let first = view(std::iter::empty(), &Quiet::default(), now_ms());
    TrayIconBuilder::with_id(TRAY)
        .icon(icon(&first).unwrap_or_else(|| Image::new(&[0, 0, 0, 0], 1, 1)))
        .tooltip("Herald")
        .menu(&menu(app, &first, &Quiet::default())?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => {
                if let Err(e) = window::open(app) {
                    tracing::warn!(error = %e, "could not open the window");
                }
            }
            "pause-all" => pause_all(app, true),
            "resume-all" => pause_all(app, false),
            "dnd-hour" => do_not_disturb(app, Some(DoNotDisturbFor::Hour)),
            "dnd-tomorrow" => do_not_disturb(app, Some(DoNotDisturbFor::Tomorrow)),
            "dnd-on" => do_not_disturb(app, Some(DoNotDisturbFor::UntilOff)),
            "dnd-off" => do_not_disturb(app, None),
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

/// Shows the feeds' state and the quiet on the tray, if there is one; the
/// icon and the menu are made again only when what they show changed.
pub fn show<'a, R: Runtime>(app: &AppHandle<R>, feeds: impl IntoIterator<Item = &'a FeedState>, quiet: &Quiet) {
    let Some(tray) = app.tray_by_id(TRAY) else { return };
    let Some(shown) = app.try_state::<Shown>() else { return };
    let error = app.try_state::<Arc<Desk>>().and_then(|d| d.status().notifications_error);
    let next = view(feeds, quiet, now_ms()).with_notifications_error(error.as_deref());
    let mut last = shown.0.lock().unwrap_or_else(|p| p.into_inner());
    let same_icon = last.as_ref().is_some_and(|l| (l.state, l.unread > 0) == (next.state, next.unread > 0));
    let same_menu = last.as_ref().is_some_and(|l| l.lines == next.lines);
    let mut result = tray.set_tooltip(Some(&next.tooltip));
    if !same_icon {
        result = result.and_then(|_| tray.set_icon(icon(&next)));
    }
    if !same_menu || !same_icon {
        result = result.and_then(|_| menu(app, &next, quiet)).and_then(|m| tray.set_menu(Some(m)));
    }
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not update the tray");
    }
    *last = Some(next);
}
