//! The tray on Linux: a StatusNotifierItem with its DBusMenu, over D-Bus
//! through `ksni`, with no GTK. It shows what
//! [`herald_core::attention::tray`] decides: the state drawn on the icon, an
//! unread badge, a tooltip, and a menu with a line per feed, Pause all and
//! Resume all, do not disturb, Open and Quit. What the user picks comes
//! back as a [`TrayAction`].
//!
//! With no `org.kde.StatusNotifierWatcher` on the bus (stock GNOME without
//! the AppIndicator extension) there is no tray: Herald says so once and
//! runs on, with notifications and the window.

use herald_core::attention::tray::{draw, TrayState, TrayView};
use herald_core::attention::DoNotDisturbFor;
use ksni::menu::{StandardItem, SubMenu};
use ksni::{MenuItem, TrayMethods};
use tokio::sync::mpsc;

/// What the user picked in the tray.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrayAction {
    Open,
    /// Sign this feed in (it needs it).
    SignIn(String),
    PauseAll,
    ResumeAll,
    /// Do not disturb for a span, or off.
    DoNotDisturb(Option<DoNotDisturbFor>),
    Quit,
}

/// The one source image; the state and the badge are drawn on it.
const SOURCE: &[u8] = include_bytes!("../../../icons/64x64.png");

/// The source icon, decoded once: RGBA, and its size.
struct Source {
    rgba: Vec<u8>,
    width: u32,
    height: u32,
}

fn decode() -> Result<Source, String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(SOURCE));
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut rgba = vec![0; reader.output_buffer_size().ok_or("the icon is too large")?];
    let info = reader.next_frame(&mut rgba).map_err(|e| e.to_string())?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(format!("the icon is {:?} {:?}, not 8-bit RGBA", info.color_type, info.bit_depth));
    }
    rgba.truncate(info.buffer_size());
    Ok(Source { rgba, width: info.width, height: info.height })
}

/// The icon for `view`, as StatusNotifierItem wants it: ARGB32, big-endian.
fn icon(source: &Source, view: &TrayView) -> ksni::Icon {
    let mut rgba = source.rgba.clone();
    draw(&mut rgba, source.width, source.height, view.state, view.unread);
    let data = rgba.chunks_exact(4).flat_map(|p| [p[3], p[0], p[1], p[2]]).collect();
    ksni::Icon { width: source.width as i32, height: source.height as i32, data }
}

/// The item as the bus sees it.
struct Item {
    view: TrayView,
    icon: Vec<ksni::Icon>,
    actions: mpsc::UnboundedSender<TrayAction>,
}

fn item(label: &str, enabled: bool, action: Option<TrayAction>) -> MenuItem<Item> {
    StandardItem {
        label: label.replace('_', "__"),
        enabled,
        activate: Box::new(move |item: &mut Item| {
            if let Some(action) = &action {
                let _ = item.actions.send(action.clone());
            }
        }),
        ..Default::default()
    }
    .into()
}

impl ksni::Tray for Item {
    fn id(&self) -> String {
        "herald".into()
    }

    fn title(&self) -> String {
        "Herald".into()
    }

    fn status(&self) -> ksni::Status {
        match self.view.state {
            TrayState::NeedsAttention => ksni::Status::NeedsAttention,
            _ => ksni::Status::Active,
        }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        self.icon.clone()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip { title: "Herald".into(), description: self.view.tooltip.clone(), ..Default::default() }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        let _ = self.actions.send(TrayAction::Open);
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let mut menu: Vec<MenuItem<Self>> = self.view.lines.iter().map(|line| item(line, false, None)).collect();
        if !menu.is_empty() {
            menu.push(MenuItem::Separator);
        }
        for (feed, source) in &self.view.sign_in {
            menu.push(item(&format!("Sign in to {source}…"), true, Some(TrayAction::SignIn(feed.clone()))));
        }
        menu.push(item("Pause all", true, Some(TrayAction::PauseAll)));
        menu.push(item("Resume all", true, Some(TrayAction::ResumeAll)));
        let dnd = |span| Some(TrayAction::DoNotDisturb(span));
        menu.push(
            SubMenu {
                label: if self.view.do_not_disturb { "Do not disturb (on)" } else { "Do not disturb" }.into(),
                submenu: vec![
                    item("For 1 hour", true, dnd(Some(DoNotDisturbFor::Hour))),
                    item("Until tomorrow", true, dnd(Some(DoNotDisturbFor::Tomorrow))),
                    item("Until I turn it off", true, dnd(Some(DoNotDisturbFor::UntilOff))),
                    item("Turn off", self.view.do_not_disturb, dnd(None)),
                ],
                ..Default::default()
            }
            .into(),
        );
        menu.push(MenuItem::Separator);
        menu.push(item("Open Herald", true, Some(TrayAction::Open)));
        menu.push(item("Quit Herald", true, Some(TrayAction::Quit)));
        menu
    }
}

/// The running tray.
pub struct Tray {
    handle: ksni::Handle<Item>,
    source: Source,
}

impl Tray {
    /// Puts Herald in the tray; `None`, having said why once, where the
    /// desktop has no tray.
    pub async fn start(view: TrayView, actions: mpsc::UnboundedSender<TrayAction>) -> Option<Tray> {
        let source = decode().map_err(|e| tracing::warn!(error = %e, "the tray icon does not load")).ok()?;
        let first = Item { icon: vec![icon(&source, &view)], view, actions };
        match first.spawn().await {
            Ok(handle) => Some(Tray { handle, source }),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "no tray: this desktop has no StatusNotifierWatcher; notifications and the window still work"
                );
                None
            }
        }
    }

    /// Shows `view`; the icon is drawn again only when its state or badge changed.
    pub async fn show(&self, view: TrayView) {
        let looks = (view.state, view.unread > 0);
        let icon = icon(&self.source, &view);
        self.handle
            .update(move |item| {
                if (item.view.state, item.view.unread > 0) != looks {
                    item.icon = vec![icon];
                }
                item.view = view;
            })
            .await;
    }
}
