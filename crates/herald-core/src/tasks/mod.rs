//! The shared task list: its REST API, a live replica, and the board that
//! keeps the replica current and says what changed.

mod api;
mod board;
mod memory;
mod model;
mod replica;

pub use api::{ApiError, TasksApi, SEQUENCE_HEADER};
pub use board::{Board, BoardConfig};
pub use memory::BoardMemory;
pub use model::{summarize, Action, ChangeNotice, Task, TaskView};
pub use replica::{ApplyError, Replica};
