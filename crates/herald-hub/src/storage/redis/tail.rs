//! The one reader of the change stream a hub process has: `XREAD BLOCK`
//! from the last entry it read, each change broadcast to every subscriber
//! of this process. However many subscribers there are, Redis sees one
//! blocked read per hub.
//!
//! When Redis goes away, the reader waits and tries again (up to a second
//! apart) from the same entry, so once Redis is back no change is missed
//! and none is told twice.
//!
//! A Redis that comes back without its data (no persistence) starts the
//! sequence again from 1, below the entry the reader waits after, and it
//! would never read again. So after an error, and after each quiet
//! `BLOCK`, the reader checks the sequence: when it is behind, the reader
//! starts over from the start of the new log. Subscribers hear a number
//! they heard before, and are told `event: reset` (see `crate::stream`).
//! A new log that has already grown past the old one within the second it
//! takes to reconnect cannot be told apart this way.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::model::{Change, ChangeKind, Task};
use crate::storage::StoreError;

/// How long one `XREAD` waits for a change.
pub(super) const BLOCK: Duration = Duration::from_secs(5);
/// Changes read per `XREAD`.
const BATCH: usize = 512;
const FIRST_WAIT: Duration = Duration::from_millis(50);
const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// A stream entry: its id and its fields, name then value.
pub(super) type Entry = (String, Vec<String>);
/// What `XREAD` answers: per stream, its name and entries; nothing on a timeout.
type Read = Option<Vec<(String, Vec<Entry>)>>;

/// The keys the reader reads.
pub(super) struct Log {
    /// The change stream.
    pub changes: String,
    /// The last sequence number handed out.
    pub seq: String,
}

/// Reads the stream of `log` after change `last`, until `stop`.
pub(super) async fn run(
    mut conn: ConnectionManager,
    log: Log,
    mut last: u64,
    live: broadcast::Sender<Arc<Change>>,
    stop: CancellationToken,
) {
    let mut wait = FIRST_WAIT;
    let mut check = false;
    loop {
        let reply = async {
            if std::mem::take(&mut check) {
                let seq: Option<u64> = redis::cmd("GET").arg(&log.seq).query_async(&mut conn).await?;
                let seq = seq.unwrap_or(0);
                if seq < last {
                    tracing::warn!(
                        seq,
                        last,
                        "the change log in Redis started again: it lost its data; reading it from the start"
                    );
                    last = 0;
                }
            }
            let mut read = redis::cmd("XREAD");
            read.arg("COUNT").arg(BATCH).arg("BLOCK").arg(BLOCK.as_millis() as u64);
            read.arg("STREAMS").arg(&log.changes).arg(format!("{last}-0"));
            read.query_async::<Read>(&mut conn).await
        };
        let reply = tokio::select! {
            _ = stop.cancelled() => return,
            reply = reply => reply,
        };
        match reply {
            Ok(None) => check = true,
            Ok(Some(streams)) => {
                wait = FIRST_WAIT;
                for entry in streams.into_iter().flat_map(|(_, entries)| entries) {
                    match change_of(&entry) {
                        Ok(change) => {
                            last = change.seq;
                            // No receivers is fine: nobody is listening right now.
                            let _ = live.send(Arc::new(change));
                        }
                        // Skipped: a subscriber sees the gap and reads the log.
                        Err(e) => {
                            tracing::error!(error = %e, entry = %entry.0, "a change in Redis cannot be read");
                            last = seq_of(&entry.0).unwrap_or(last);
                        }
                    }
                }
            }
            Err(e) => {
                check = true;
                tracing::warn!(error = %e, "reading the change stream failed; trying again in {wait:?}");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(LONGEST_WAIT);
            }
        }
    }
}

/// The sequence number of entry `{seq}-0`.
pub(super) fn seq_of(id: &str) -> Result<u64, StoreError> {
    id.split_once('-')
        .and_then(|(seq, _)| seq.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("a change stream entry with id {id:?}")))
}

/// The change an entry of the stream records.
pub(super) fn change_of((id, fields): &Entry) -> Result<Change, StoreError> {
    let field = |name: &str| {
        fields
            .chunks_exact(2)
            .find(|pair| pair[0] == name)
            .map(|pair| pair[1].as_str())
            .ok_or_else(|| StoreError::Corrupt(format!("change {id} has no {name}")))
    };
    let number = |name: &str| {
        let text = field(name)?;
        text.parse::<i64>().map_err(|_| StoreError::Corrupt(format!("change {id} has {name} {text:?}")))
    };
    let kind = field("kind")?;
    let kind = ChangeKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("a change of kind {kind:?}")))?;
    let task = Task {
        id: number("id")?,
        name: field("name")?.to_owned(),
        done: field("done")? == "1",
        version: number("version")?.unsigned_abs(),
    };
    Ok(Change { seq: seq_of(id)?, kind, task, actor: field("actor")?.to_owned(), at: number("at")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fields: &[&str]) -> Entry {
        ("7-0".into(), fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn an_entry_reads_as_its_change() {
        let e = entry(&[
            "kind", "update", "id", "3", "name", "Buy milk", "done", "1", "version", "2", "actor", "Ana", "at", "1000",
        ]);
        let change = change_of(&e).unwrap();
        assert_eq!(change.seq, 7);
        assert_eq!(change.kind, ChangeKind::Update);
        assert_eq!(change.task, Task { id: 3, name: "Buy milk".into(), done: true, version: 2 });
        assert_eq!((change.actor.as_str(), change.at), ("Ana", 1000));
    }

    #[test]
    fn a_damaged_entry_is_an_error_not_a_panic() {
        assert!(change_of(&entry(&["kind", "update"])).is_err());
        assert!(change_of(&entry(&["kind", "rename", "id", "3"])).is_err());
        assert!(change_of(&entry(&["kind"])).is_err(), "an odd field list");
        assert!(seq_of("x-0").is_err());
        assert!(seq_of("").is_err());
    }
}
