//! Copying a message's value to the clipboard, from a notification's
//! button (ntfy's `copy` action).
//!
//! On X11 (and XWayland) a selection is served by whoever owns it, for as
//! long as it lives: so the one clipboard is kept for the life of the
//! process, and its work runs off the async runtime.

use std::sync::{Mutex, OnceLock};

fn clipboard() -> &'static Mutex<Option<arboard::Clipboard>> {
    static CLIPBOARD: OnceLock<Mutex<Option<arboard::Clipboard>>> = OnceLock::new();
    CLIPBOARD.get_or_init(|| Mutex::new(None))
}

/// Puts `text` on the clipboard; the error says why it could not.
pub async fn copy(text: String) -> Result<(), String> {
    herald_core::blocking::run(move || {
        let mut held = clipboard().lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none() {
            *held = Some(arboard::Clipboard::new().map_err(|e| format!("no clipboard: {e}"))?);
        }
        let clipboard = held.as_mut().ok_or_else(|| "no clipboard".to_owned())?;
        clipboard.set_text(text).map_err(|e| format!("could not copy: {e}"))
    })
    .await
}
