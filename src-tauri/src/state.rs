//! What the shell keeps while it runs.

use std::sync::Mutex;

use herald_core::status::FeedStatus;
use herald_core::tasks::Board;

pub struct AppState {
    pub board: Board,
    /// Where the changes come from, as shown to the user.
    pub source: String,
    /// The task a notification click asked to show, until the window takes it.
    pending_focus: Mutex<Option<i64>>,
    notifications_error: Mutex<Option<String>>,
}

impl AppState {
    pub fn new(board: Board, source: String) -> Self {
        AppState { board, source, pending_focus: Mutex::new(None), notifications_error: Mutex::new(None) }
    }

    pub fn request_focus(&self, task_id: i64) {
        *self.pending_focus.lock().unwrap_or_else(|p| p.into_inner()) = Some(task_id);
    }

    pub fn take_focus(&self) -> Option<i64> {
        self.pending_focus.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Records whether notifications work; true when that changed.
    pub fn set_notifications_error(&self, error: Option<String>) -> bool {
        let mut current = self.notifications_error.lock().unwrap_or_else(|p| p.into_inner());
        let changed = *current != error;
        *current = error;
        changed
    }

    pub fn status(&self) -> FeedStatus {
        FeedStatus {
            source: self.source.clone(),
            connection: self.board.state().borrow().clone(),
            notifications_error: self.notifications_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }
}
