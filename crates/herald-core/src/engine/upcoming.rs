//! ntfy's scheduled messages, not yet delivered: what `?poll=1&sched=1`
//! answers with a time still to come. The window asks while it shows the
//! feed; nothing is stored, since they are not news until they come.

use reqwest::header::HeaderMap;

use crate::error::Error;
use crate::feed::meaning::Context;
use crate::feed::{Change, MessageMeaning};
use crate::sse::{now_ms, Event};

/// The most a poll's answer may be.
const MAX_POLL_BYTES: usize = 4 * 1024 * 1024;
const POLL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The poll URL of an ntfy feed's stream: `…/TOPIC/sse` becomes
/// `…/TOPIC/json?poll=1&sched=1`.
pub fn poll_url(stream: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(stream).ok()?;
    let path = url.path().to_owned();
    let (topic, kind) = path.rsplit_once('/')?;
    if !matches!(kind, "sse" | "json" | "raw" | "ws") || topic.is_empty() {
        return None;
    }
    url.set_path(&format!("{topic}/json"));
    url.query_pairs_mut().append_pair("poll", "1").append_pair("sched", "1");
    Some(url.to_string())
}

/// The scheduled messages of the topic `stream` follows, soonest first.
pub async fn fetch(
    client: &reqwest::Client,
    headers: &HeaderMap,
    stream: &str,
    feed: &str,
    meaning: &MessageMeaning,
) -> Result<Vec<Change>, Error> {
    let url = poll_url(stream).ok_or_else(|| Error::invalid(format!("{stream} is not an ntfy topic's stream")))?;
    let response = client
        .get(&url)
        .headers(headers.clone())
        .timeout(POLL_TIMEOUT)
        .send()
        .await
        .map_err(|e| Error::unavailable(crate::sse::error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(Error::unavailable(format!("{url} answered {}", response.status())));
    }
    let body = response.bytes().await.map_err(|e| Error::unavailable(crate::sse::error_chain(&e)))?;
    if body.len() > MAX_POLL_BYTES {
        return Err(Error::unavailable(format!("{url} answered more than {MAX_POLL_BYTES} bytes")));
    }
    let now = now_ms();
    let ctx = Context { feed, me: None, now };
    let mut upcoming: Vec<Change> = String::from_utf8_lossy(&body)
        .lines()
        .filter_map(|line| {
            let data: serde_json::Value = serde_json::from_str(line).ok()?;
            let at = data.get("time")?.as_i64()?.saturating_mul(1000);
            if data.get("event")?.as_str()? != "message" || at <= now {
                return None;
            }
            let id = data.get("id").and_then(|v| v.as_str()).unwrap_or_default();
            let event = Event { event: "message".into(), data: line.into(), last_event_id: id.into() };
            let mut change = meaning.read(ctx, &event)?;
            change.at = at;
            Some(change)
        })
        .collect();
    upcoming.sort_by_key(|c| c.at);
    Ok(upcoming)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_url_is_the_topics_json_with_scheduled_messages() {
        assert_eq!(
            poll_url("https://ntfy.example/alerts/sse").as_deref(),
            Some("https://ntfy.example/alerts/json?poll=1&sched=1")
        );
        assert_eq!(
            poll_url("http://127.0.0.1:8080/a,b/sse?auth=x").as_deref(),
            Some("http://127.0.0.1:8080/a,b/json?auth=x&poll=1&sched=1")
        );
        assert_eq!(poll_url("https://ntfy.example/"), None);
        assert_eq!(poll_url("https://ntfy.example/alerts/stream"), None);
    }
}
