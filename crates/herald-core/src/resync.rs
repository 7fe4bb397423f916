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
use crate::tasks::SEQUENCE_HEADER;

/// A snapshot larger than this is refused rather than held in memory.
pub const MAX_SNAPSHOT_BYTES: usize = 256 << 20;

#[derive(Debug, thiserror::Error)]
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
/// among them), and reads it by `key_field`.
pub async fn fetch_snapshot(
    client: &reqwest::Client,
    url: &str,
    headers: &HeaderMap,
    key_field: &str,
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
    Snapshot::parse(&body, key_field, cursor).map_err(|source| FetchError::Invalid { url: url.to_owned(), source })
}
