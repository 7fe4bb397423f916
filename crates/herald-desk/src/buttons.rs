//! A message's buttons, pressed: from the window (after the user has seen
//! an http request and confirmed it), or from a notification (links and
//! copies only). The tray process opens the link and fills the clipboard
//! itself; an http request is the engine's to send, with the feed's client.
//! Whatever came of it is kept beside the message.

use herald_core::engine::{GetEntry, KeepActionResult, SendHttpAction};
use herald_core::feed::{ActionResult, MessageAction};
use herald_core::sse::now_ms;
use herald_core::store::EntryRef;
use herald_core::Error;

use crate::Desk;

/// Presses button `at` of the message `entry`; an http one only if the
/// user `confirmed` it, or the feed allows its host.
pub async fn press(desk: &Desk, entry: EntryRef, at: usize, confirmed: bool) -> Result<ActionResult, Error> {
    let found = desk.engine.ask(GetEntry { entry }).await?;
    let found = found.ok_or_else(|| Error::not_found("that message is no longer in the timeline"))?;
    let row = EntryRef::Row(found.id);
    let action = found.change.extras.actions.get(at).cloned();
    let action = action.ok_or_else(|| Error::invalid(format!("the message has no button {at}")))?;
    let (label, done) = match &action {
        MessageAction::View { label, url, .. } => {
            (label, crate::open_link::open(url).await.map(|()| format!("Opened {url}")))
        }
        MessageAction::Copy { label, value, .. } => {
            (label, crate::clipboard::copy(value.clone()).await.map(|()| "Copied to the clipboard".to_owned()))
        }
        MessageAction::Http { .. } => return desk.engine.ask(SendHttpAction { entry: row, at, confirmed }).await,
        MessageAction::Unavailable { kind, .. } => {
            return Err(Error::invalid(format!("a {kind} action is for ntfy's Android app, not a desktop")));
        }
    };
    let result = match done {
        Ok(outcome) => ActionResult { label: label.clone(), ok: true, outcome, at: now_ms() },
        Err(reason) => ActionResult { label: label.clone(), ok: false, outcome: reason, at: now_ms() },
    };
    desk.engine.ask(KeepActionResult { entry: row, result: result.clone() }).await?;
    Ok(result)
}
