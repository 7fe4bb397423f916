//! The tray process's sink of the engine: each event goes to the user's
//! attention (which decides on notifications), to the tray, and to every
//! client of the socket. It decides nothing itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use herald_core::attention::driver::Input;
use herald_core::attention::tray::view;
use herald_core::engine::{EngineEvent, FeedState};
use herald_core::ipc::Push;
use herald_core::sse::now_ms;
use tokio::sync::mpsc;

use crate::Desk;

/// How often the tray may be redrawn: in a storm every batch changes an
/// unread count.
const TRAY_PACE: Duration = Duration::from_millis(500);

/// What the relay shows the tray on.
pub trait TraySink: Send + Sync + 'static {
    fn show(&self, view: herald_core::attention::tray::TrayView) -> futures_util::future::BoxFuture<'_, ()>;
}

/// Relays the engine's events until the engine stops.
pub async fn run(desk: Arc<Desk>, mut events: mpsc::Receiver<EngineEvent>, tray: Option<Arc<dyn TraySink>>) {
    let attention = desk.attention().clone();
    let mut quiet = attention.status();
    let mut status = desk.watch_status();
    let mut feeds: BTreeMap<String, FeedState> = BTreeMap::new();
    let mut tray_pace = tokio::time::interval(TRAY_PACE);
    tray_pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tray_stale = true;
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => return,
            },
            // Do not disturb on or off, from the tray, the window or its end.
            changed = quiet.changed() => {
                if changed.is_err() {
                    return;
                }
                quiet.borrow_and_update();
                tray_stale = true;
                continue;
            }
            // Notifications stopped or started working.
            changed = status.changed() => {
                if changed.is_err() {
                    return;
                }
                status.borrow_and_update();
                tray_stale = true;
                continue;
            }
            _ = tray_pace.tick(), if tray_stale => {
                tray_stale = false;
                if let Some(tray) = &tray {
                    let quiet = attention.quiet();
                    let error = desk.status().notifications_error;
                    let view = view(feeds.values(), &quiet, now_ms()).with_notifications_error(error.as_deref());
                    tray.show(view).await;
                }
                continue;
            }
        };
        match &event {
            EngineEvent::State { state } => {
                feeds.insert(state.name.clone(), (**state).clone());
                tray_stale = true;
            }
            EngineEvent::Removed { feed } => {
                feeds.remove(feed);
                tray_stale = true;
            }
            EngineEvent::Problem { feed, message } => {
                tracing::warn!(feed = feed.as_deref().unwrap_or("-"), %message);
            }
            EngineEvent::StoreRecovered { recovery } => desk.set_store_recovery(recovery.clone()),
            EngineEvent::Changes { .. } | EngineEvent::Missed { .. } | EngineEvent::Events { .. } => {}
        }
        desk.push(Push::Engine { event: event.clone() });
        if !matches!(event, EngineEvent::Events { .. }) {
            attention.send(Input::Engine(event));
        }
    }
}
