//! Fetching a feed's snapshot: a REST `GET` of its whole collection, taken
//! when continuity is broken and compared with the store's replica (see
//! [`crate::store::Store::resync`]).
//!
//! Why the snapshot's cursor matters: the hub answers `GET /tasks` with the
//! sequence number the snapshot is current to (`herald-sequence`). Resuming
//! the stream from exactly there means every change is either in the
//! snapshot or in the stream, never in both and never in neither.

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, ACCEPT};

use crate::sse::error_chain;
use crate::store::{Snapshot, SnapshotError};

pub use herald_wire::SEQUENCE_HEADER;

/// A snapshot larger than this is refused rather than held in memory.
pub const MAX_SNAPSHOT_BYTES: usize = 256 << 20;

#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("the snapshot {url} could not be fetched: {reason}")]
    Transport { url: String, reason: String },
    #[error("the snapshot {url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("the snapshot {url} is larger than {MAX_SNAPSHOT_BYTES} bytes")]
    TooLarge { url: String },
    #[error("the snapshot {url}: {source}")]
    Invalid { url: String, source: SnapshotError },
}

/// Fetches the collection at `url` with the feed's own headers (its auth
/// among them), and reads it by the key at the JSON pointer `key`.
pub async fn fetch_snapshot(
    client: &reqwest::Client,
    url: &str,
    headers: &HeaderMap,
    key: &str,
) -> Result<Snapshot, FetchError> {
    let transport = |e: reqwest::Error| FetchError::Transport { url: url.to_owned(), reason: error_chain(&e) };
    let response =
        client.get(url).headers(headers.clone()).header(ACCEPT, "application/json").send().await.map_err(transport)?;
    if !response.status().is_success() {
        return Err(FetchError::Status { url: url.to_owned(), status: response.status().as_u16() });
    }
    let cursor = response.headers().get(SEQUENCE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(transport)?;
        if body.len() + chunk.len() > MAX_SNAPSHOT_BYTES {
            return Err(FetchError::TooLarge { url: url.to_owned() });
        }
        body.extend_from_slice(&chunk);
    }
    Snapshot::parse(&body, key, cursor).map_err(|source| FetchError::Invalid { url: url.to_owned(), source })
}

/// The gap rule, for streams whose ids are consecutive integers: an event
/// whose id skips ahead of the one before it means the events between were
/// lost, and the feed must resync.
#[derive(Debug, Clone, Default)]
pub struct GapWatch {
    /// The last event ID seen, as given.
    last: String,
}

impl GapWatch {
    /// Watching from `cursor`, the last event ID in force.
    pub fn new(cursor: &str) -> GapWatch {
        GapWatch { last: cursor.to_owned() }
    }

    /// The position of the first event in `events` that skips ahead, if
    /// one does. Events that repeat the last id (no id of their own), and
    /// ids that are not integers, are never a gap.
    pub fn find(&mut self, events: &[crate::sse::Event]) -> Option<usize> {
        for (at, event) in events.iter().enumerate() {
            let id: &str = &event.last_event_id;
            if id == self.last {
                continue;
            }
            let skipped = match (self.last.parse::<u64>(), id.parse::<u64>()) {
                (Ok(last), Ok(next)) => next > last.saturating_add(1),
                _ => false,
            };
            if skipped {
                return Some(at);
            }
            self.last = id.to_owned();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::Event;

    fn ids(ids: &[&str]) -> Vec<Event> {
        ids.iter().map(|id| Event { event: "m".into(), data: "x".into(), last_event_id: (*id).into() }).collect()
    }

    #[test]
    fn an_id_that_skips_ahead_is_a_gap_and_nothing_else_is() {
        let mut watch = GapWatch::new("2");
        assert_eq!(watch.find(&ids(&["3", "3", "4"])), None, "consecutive, and an event without its own id");
        assert_eq!(watch.find(&ids(&["5", "7", "8"])), Some(1));
        let mut fresh = GapWatch::new("");
        assert_eq!(fresh.find(&ids(&["41", "42"])), None, "no cursor: the first id is where it starts");
        let mut words = GapWatch::new("a");
        assert_eq!(words.find(&ids(&["c", "9", "10"])), None, "ids that are not integers say nothing");
        assert_eq!(GapWatch::new("9").find(&ids(&["3"])), None, "going back is a replay, not a gap");
    }
}
