//! What Herald does on the desktop without a window. [`Desk`] answers the
//! requests of the window and of `herald-cli` ([`herald_core::ipc::Request`],
//! each with its own answer type) against the one engine, the keyring and the user's attention settings.
//! It links no GTK and no WebKit: the window (`herald-window`) is a process
//! of its own, one of its clients over the socket, started when it is
//! wanted. What a desktop must do for it (open the window, show a test
//! notification) it asks of its [`Ports`].

mod answers;
pub mod autostart;
mod buttons;
mod clipboard;
pub mod daemon;
mod desk;
pub mod desktop_proxies;
mod desktop_quiet;
mod feed_setup;
pub mod launcher;
pub mod notify;
mod open_link;
pub mod options;
pub mod relay;
pub mod setup;
pub mod sign_in;
pub mod testing;
#[cfg(target_os = "linux")]
pub mod tray;
pub mod wake;

pub use desk::{Desk, DeskParts, Ports};

/// The icon's name in the desktop's icon theme, as the packages install it
/// (the bundler names it after the window's binary).
pub const ICON: &str = "herald-window";

/// The desktop entry the packages install (the bundler names it after the
/// product): the `desktop-entry` hint of every notification, by which the
/// desktop lists Herald in its per-app notification settings.
pub const DESKTOP_ENTRY: &str = "Herald";
