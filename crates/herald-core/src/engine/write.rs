//! Writes to a feed's records that never silently overwrite someone
//! else's change.
//!
//! A write made against what the user saw (its `base`) goes one of two
//! ways. Where the feed has versions (Herald's hub), it carries `If-Match`
//! with the base's version, and the server refuses it with `412` if the
//! record moved on, saying what is there now and who changed it. A plain
//! task list has no versions: the record is read again just before the
//! write and compared with the base, as a resync compares. What changes
//! between that read and the write is not caught; only versions close that
//! window, which is why the hub has them.
//!
//! A create whose answer is lost (the connection dropped, or the server
//! said it could not take it now, though it may have) would make a second
//! task if simply sent again. Where the server takes an `Idempotency-Key`
//! (Herald's hub), each create carries a key of its own and is sent again
//! with it until answered ([`Resend`]): every copy is the one create.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, IF_MATCH, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use crate::error::Error;
use crate::feed::values::scalar_text;
use crate::feed::{Conflict, RecordMeaning, Write};
use crate::sse::error_chain;

/// How a write makes sure that the record is still what the user saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// Nothing to check: a create, or a write with no base.
    None,
    /// `If-Match` of this entity tag.
    IfMatch(String),
    /// Read the record first, and write only if it still holds the base.
    Reread(Value),
}

impl Guard {
    /// The guard for `write` on a feed whose records mean `records`.
    pub fn of(write: &Write, records: &RecordMeaning) -> Guard {
        let Some(base) = write.base() else { return Guard::None };
        let version = records.version.as_deref().and_then(|pointer| base.pointer(pointer)).and_then(scalar_text);
        match version {
            Some(version) => Guard::IfMatch(herald_wire::etag_of(&version)),
            None => Guard::Reread(base.clone()),
        }
    }
}

/// What a write came to, when the server could be asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Done,
    Refused(Conflict),
}

/// Whether a write whose answer was lost is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Never: the server cannot tell a copy from a new write.
    Never,
    /// A create, with an `Idempotency-Key` of its own, for a server that
    /// takes one.
    CreatesWithKey,
}

/// How many times a create is sent again, at most, and within how long.
const RESENDS: u32 = 4;
const RESEND_WITHIN: Duration = Duration::from_secs(20);
const FIRST_WAIT: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// Sends `write` to the collection at `collection`: `POST` to create,
/// `PUT` and `DELETE` of `{collection}/{key}`, guarded as `records` allows
/// (see [`Guard::of`]); `records` also judges a re-read record against the
/// base. A create is sent again as `resend` allows.
pub async fn write(
    client: &reqwest::Client,
    headers: &HeaderMap,
    collection: &str,
    write: Write,
    records: &RecordMeaning,
    resend: Resend,
) -> Result<Written, Error> {
    // The roles the user set, where this feed's records have them.
    let body = match &write {
        Write::Create { fields } => Some(fields.to_json(records, true)),
        Write::Update { fields, .. } => Some(fields.to_json(records, false)),
        Write::Delete { .. } => None,
    };
    let body = body.transpose().map_err(Error::from)?;
    let guard = Guard::of(&write, records);
    let item = |key: &str| format!("{}/{}", collection.trim_end_matches('/'), urlencoded(key));
    if let (Guard::Reread(base), Write::Update { key, .. } | Write::Delete { key, .. }) = (&guard, &write) {
        let now = reread(client, headers, &item(key)).await?;
        let moved_on = now.as_ref().is_none_or(|now| !records.unchanged(base, now));
        if moved_on {
            return Ok(Written::Refused(Conflict { tried: write, current: now, actor: None, at: None }));
        }
    }
    let request = match &write {
        Write::Create { .. } => client.post(collection),
        Write::Update { key, .. } => client.put(item(key)),
        Write::Delete { key, .. } => client.delete(item(key)),
    };
    let request = match &body {
        Some(body) => request.json(body),
        None => request,
    };
    let mut request = request.headers(headers.clone());
    if let Guard::IfMatch(tag) = &guard {
        let tag =
            HeaderValue::from_str(tag).map_err(|_| Error::invalid(format!("the version {tag} cannot be sent")))?;
        request = request.header(IF_MATCH, tag);
    }
    let response = match (&write, resend) {
        (Write::Create { .. }, Resend::CreatesWithKey) => {
            let key = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
            send_until_answered(request.header(herald_wire::IDEMPOTENCY_KEY_HEADER, key)).await
        }
        _ => request.send().await,
    };
    let response = response.map_err(|e| Error::unavailable(error_chain(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(Written::Done);
    }
    let body = response.text().await.unwrap_or_default();
    if status == StatusCode::PRECONDITION_FAILED {
        return Ok(Written::Refused(refused(write, &body)));
    }
    // The server's own words, when it gives them as {"error": "..."}.
    let said = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect());
    Err(refusal(status, format!("the server answered {}: {said}", status.as_u16())))
}

/// What a server's refusal means to the user, by its status.
fn refusal(status: StatusCode, message: String) -> Error {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::needs_you(message),
        StatusCode::NOT_FOUND | StatusCode::GONE => Error::not_found(message),
        status if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS => Error::invalid(message),
        _ => Error::unavailable(message),
    }
}

/// Sends `request`, which carries its key, and sends it again while no
/// answer comes back or the server answers that it cannot take it now
/// (`502`, `503`, `504`, waiting as its `Retry-After` says, up to
/// [`LONGEST_WAIT`]), up to [`RESENDS`] times within [`RESEND_WITHIN`].
async fn send_until_answered(request: RequestBuilder) -> reqwest::Result<Response> {
    let started = Instant::now();
    let mut wait = FIRST_WAIT;
    let mut resent = 0;
    loop {
        let Some(copy) = request.try_clone() else { return request.send().await };
        let sent = copy.send().await;
        let pause = match &sent {
            Ok(response) if is_not_now(response.status()) => retry_after(response).unwrap_or(wait),
            Ok(_) => return sent,
            Err(e) if e.is_builder() => return sent,
            Err(_) => wait,
        };
        let pause = pause.min(LONGEST_WAIT);
        if resent == RESENDS || started.elapsed() + pause > RESEND_WITHIN {
            return sent;
        }
        match &sent {
            Ok(response) => {
                tracing::info!(status = %response.status(), "a create was not taken; sending it again in {pause:?}")
            }
            Err(e) => tracing::info!(error = %error_chain(e), "a create had no answer; sending it again in {pause:?}"),
        }
        tokio::time::sleep(pause).await;
        resent += 1;
        wait = (wait * 2).min(LONGEST_WAIT);
    }
}

/// The server could not take the request now: it may take it later.
fn is_not_now(status: StatusCode) -> bool {
    matches!(status, StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT)
}

/// `Retry-After` in seconds, as the hub sends it.
fn retry_after(response: &Response) -> Option<Duration> {
    let seconds = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// The record as the server has it now; `None` when it is gone.
async fn reread(client: &reqwest::Client, headers: &HeaderMap, url: &str) -> Result<Option<Value>, Error> {
    let response =
        client.get(url).headers(headers.clone()).send().await.map_err(|e| Error::unavailable(error_chain(&e)))?;
    match response.status() {
        StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
        status if status.is_success() => {
            let read = response.json().await;
            let now = read.map_err(|e| Error::unavailable(format!("re-reading {url}: {}", error_chain(&e))))?;
            Ok(Some(now))
        }
        status => {
            Err(refusal(status, format!("re-reading the record before writing: {url} answered {}", status.as_u16())))
        }
    }
}

/// A `412`'s body read as the hub writes it (`{current, actor, at}`); a
/// server that says less leaves those unknown, and the write is refused
/// all the same.
fn refused(tried: Write, body: &str) -> Conflict {
    let said: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let current = said.get("current").filter(|c| !c.is_null()).cloned();
    let actor = said.get("actor").and_then(Value::as_str).map(str::to_owned);
    let at = said.get("at").and_then(Value::as_i64);
    Conflict { tried, current, actor, at }
}

/// A key as one path segment.
fn urlencoded(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::feed::Fields;

    #[test]
    fn keys_are_one_path_segment() {
        assert_eq!(urlencoded("26"), "26");
        assert_eq!(urlencoded("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn a_base_with_a_version_is_sent_as_if_match_and_one_without_is_reread() {
        let hub = RecordMeaning { version: Some("/version".into()), ..RecordMeaning::default() };
        let plain = RecordMeaning::default();
        let update = |base: Option<Value>| Write::Update {
            key: "1".into(),
            fields: Fields { title: None, flag: Some(true) },
            base,
        };
        let seen = json!({"id": 1, "name": "a", "done": false, "version": 4});
        assert_eq!(Guard::of(&update(Some(seen.clone())), &hub), Guard::IfMatch("\"4\"".into()));
        assert_eq!(Guard::of(&update(Some(seen.clone())), &plain), Guard::Reread(seen.clone()));
        assert_eq!(Guard::of(&update(None), &hub), Guard::None, "no base: the write goes through as before");
        let unversioned = json!({"id": 1, "name": "a"});
        assert_eq!(Guard::of(&update(Some(unversioned.clone())), &hub), Guard::Reread(unversioned));
        assert_eq!(
            Guard::of(&Write::Create { fields: Fields { title: Some("a".into()), flag: None } }, &hub),
            Guard::None
        );
    }

    #[test]
    fn a_412_says_what_is_there_now_as_far_as_the_server_says() {
        let tried = Write::Delete { key: "1".into(), base: None };
        let hub = refused(tried.clone(), r#"{"error":"x","current":{"id":1,"version":3},"actor":"Ana","at":5}"#);
        assert_eq!(
            (hub.current, hub.actor.as_deref(), hub.at),
            (Some(json!({"id": 1, "version": 3})), Some("Ana"), Some(5))
        );
        let terse = refused(tried, "Precondition Failed");
        assert_eq!((terse.current, terse.actor, terse.at), (None, None, None));
    }
}
