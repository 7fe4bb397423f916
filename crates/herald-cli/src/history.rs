//! `herald-cli history`: the events kept in the store, oldest first.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use herald_core::store::StoredEvent;
use serde_json::json;

use crate::exit;
use crate::output::Output;

#[derive(Args)]
pub struct HistoryArgs {
    /// Only this feed's events (a feed is named by its URL when `tail --store` added it).
    #[arg(long, value_name = "NAME")]
    feed: Option<String>,
    /// Only events received since TIME: an RFC 3339 time, or a span ago such as "90s", "15m", "2h" or "3days".
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events not read yet (in the window, or by `mark read`).
    #[arg(long)]
    unread: bool,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
    /// The store to read (default: $XDG_DATA_HOME/herald/herald.db).
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
}

/// Milliseconds since the epoch for `--since`, or why it cannot be read.
fn since_ms(text: &str, now: SystemTime) -> Result<i64, String> {
    let when = match humantime::parse_rfc3339_weak(text) {
        Ok(when) => when,
        Err(_) => {
            let ago = humantime::parse_duration(text)
                .map_err(|e| format!("--since {text:?}: not an RFC 3339 time nor a span such as \"15m\" ({e})"))?;
            now.checked_sub(ago).unwrap_or(UNIX_EPOCH)
        }
    };
    let ms = when.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis();
    Ok(i64::try_from(ms).unwrap_or(i64::MAX))
}

pub fn run(args: HistoryArgs) -> u8 {
    let out = Output::new(args.json);
    let since = match args.since.as_deref().map(|s| since_ms(s, SystemTime::now())).transpose() {
        Ok(since) => since,
        Err(reason) => {
            out.error(&reason);
            return exit::USAGE;
        }
    };
    let Some(store) = out.open_store(args.store) else { return exit::USAGE };
    let listed =
        args.feed.as_deref().map(|name| store.feed_id(name)).transpose().and_then(|feed| store.history(feed, since));
    match listed {
        Ok(events) => {
            events.iter().filter(|e| !(args.unread && e.read)).for_each(|event| out.line(&show(event, args.json)));
            exit::OK
        }
        Err(e) => {
            out.error(&e.to_string());
            exit::USAGE
        }
    }
}

fn show(event: &StoredEvent, as_json: bool) -> String {
    if as_json {
        let line = json!({
            "feed": event.feed, "event": event.event_type, "data": event.data,
            "eventId": event.event_id, "receivedAt": event.received_at, "read": event.read,
            "missed": event.missed,
        });
        return line.to_string();
    }
    let at = UNIX_EPOCH + Duration::from_millis(event.received_at.max(0).unsigned_abs());
    let id = event.event_id.as_deref().map(|id| format!(" #{id}")).unwrap_or_default();
    let missed = if event.missed { " (missed)" } else { "" };
    let at = humantime::format_rfc3339_seconds(at);
    format!("{at} {} {}{id}{missed}: {}", event.feed, event.event_type, event.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_times_and_spans_and_refuses_the_rest() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        assert_eq!(since_ms("15m", now), Ok((10_000 - 900) * 1000));
        assert_eq!(since_ms("1970-01-01T00:00:05Z", now), Ok(5000));
        let refused = since_ms("yesterday-ish", now).unwrap_err();
        assert!(refused.starts_with("--since \"yesterday-ish\""), "{refused}");
    }
}
