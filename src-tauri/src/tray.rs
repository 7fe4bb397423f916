//! The tray icon: Open and Quit, and an icon that shows the connection.

use herald_core::engine::FeedState;
use herald_core::sse::Phase;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};

use crate::window;

const TRAY: &str = "herald";

/// What the tray says about all feeds together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overall {
    Live,
    Connecting,
    /// A feed is stopped, or cannot be read: it needs the user.
    Trouble,
}

fn icon(overall: Overall) -> Option<Image<'static>> {
    let bytes: &'static [u8] = match overall {
        Overall::Live => include_bytes!("../../icons/tray-live.png"),
        Overall::Connecting => include_bytes!("../../icons/tray-connecting.png"),
        Overall::Trouble => include_bytes!("../../icons/tray-offline.png"),
    };
    Image::from_bytes(bytes).map_err(|e| tracing::warn!(error = %e, "a tray icon does not load")).ok()
}

/// The overall state, and a tooltip that names each feed in trouble with its reason.
fn summarize<'a>(feeds: impl Iterator<Item = &'a FeedState>) -> (Overall, String) {
    let mut overall = Overall::Live;
    let mut lines = Vec::new();
    let mut count = 0;
    for feed in feeds.filter(|f| !f.paused) {
        count += 1;
        let trouble = match (&feed.connection.phase, &feed.problem) {
            (_, Some(problem)) => Some(problem.clone()),
            (Phase::Stopped { reason }, None) => Some(reason.to_string()),
            _ => None,
        };
        if let Some(trouble) = trouble {
            overall = Overall::Trouble;
            lines.push(format!("{}: {trouble}", feed.name));
        } else if !matches!(feed.connection.phase, Phase::Open { .. }) && overall == Overall::Live {
            overall = Overall::Connecting;
        }
    }
    let head = match overall {
        Overall::Live => format!("Herald: {count} feed{} live", if count == 1 { "" } else { "s" }),
        Overall::Connecting => "Herald: connecting…".into(),
        Overall::Trouble => "Herald: a feed needs you".into(),
    };
    (overall, std::iter::once(head).chain(lines).collect::<Vec<_>>().join("\n"))
}

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Herald", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Herald", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &PredefinedMenuItem::separator(app)?, &quit])?;
    TrayIconBuilder::with_id(TRAY)
        .icon(icon(Overall::Connecting).unwrap_or_else(|| Image::new(&[0, 0, 0, 0], 1, 1)))
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

/// Shows the feeds' state on the tray icon, if there is one.
pub fn show_feeds<'a, R: Runtime>(app: &AppHandle<R>, feeds: impl Iterator<Item = &'a FeedState>) {
    let Some(tray) = app.tray_by_id(TRAY) else { return };
    let (overall, tooltip) = summarize(feeds);
    let result = tray.set_icon(icon(overall)).and_then(|_| tray.set_tooltip(Some(tooltip)));
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not update the tray icon");
    }
}

#[cfg(test)]
mod tests {
    use herald_core::engine::{FeedKind, FeedState};
    use herald_core::feed::Preset;
    use herald_core::sse::{ConnectionState, Phase, StopReason};

    use super::*;

    fn feed(name: &str, phase: Phase, problem: Option<&str>) -> FeedState {
        FeedState {
            name: name.into(),
            url: format!("http://127.0.0.1/{name}"),
            preset: Preset::Generic,
            kind: FeedKind::Raw,
            connection: ConnectionState { phase, last_heard: None, opened: 1 },
            paused: false,
            writable: false,
            problem: problem.map(str::to_owned),
            recycled: 0,
            last_error: None,
            unread: 0,
            coalesce: Default::default(),
        }
    }

    #[test]
    fn the_tray_tells_the_truth_about_every_feed() {
        let live = feed("hub", Phase::Open { since: 0 }, None);
        assert_eq!(summarize([&live].into_iter()), (Overall::Live, "Herald: 1 feed live".into()));
        let connecting = feed("list", Phase::Connecting, None);
        assert_eq!(summarize([&live, &connecting].into_iter()).0, Overall::Connecting);
        let gone = feed("room", Phase::Stopped { reason: StopReason::Gone { status: 410 } }, None);
        let unreadable = feed("list", Phase::Open { since: 0 }, Some("the snapshot is not JSON"));
        let (overall, tooltip) = summarize([&live, &gone, &unreadable].into_iter());
        assert_eq!(overall, Overall::Trouble);
        assert_eq!(tooltip, "Herald: a feed needs you\nroom: the feed is gone (410)\nlist: the snapshot is not JSON");
    }
}
