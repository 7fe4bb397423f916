//! What the window shows about the feed as a whole.

use serde::Serialize;
use ts_rs::TS;

use crate::sse::ConnectionState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FeedStatus {
    /// Where the changes come from, as shown to the user.
    pub source: String,
    pub connection: ConnectionState,
    /// Why notifications cannot be shown, when they can't.
    pub notifications_error: Option<String>,
}
