//! A feed's REST side, besides the snapshot: who the user is (`me`), and
//! writes to its records. Both go with the feed's own headers and secret,
//! and through its own client, so they trust exactly what the stream trusts.

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::api::Write;
use crate::feed::Me;
use crate::sse::error_chain;

/// The user's actor name on the feed, or why it cannot be had.
pub async fn me(client: &reqwest::Client, headers: &HeaderMap, me: &Me) -> Result<Option<String>, String> {
    let (url, pointer) = match me {
        Me::Actor { actor } => return Ok(Some(actor.clone())),
        Me::Endpoint { url, pointer } => (url, pointer),
    };
    let response = client.get(url).headers(headers.clone()).send().await.map_err(|e| error_chain(&e))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status().as_u16()));
    }
    let body: Value = response.json().await.map_err(|e| format!("{url}: {}", error_chain(&e)))?;
    Ok(body.pointer(pointer).and_then(Value::as_str).map(str::to_owned))
}

/// Sends `write` to the collection at `collection`: `POST` to create,
/// `PUT` and `DELETE` of `{collection}/{key}`.
pub async fn write(
    client: &reqwest::Client,
    headers: &HeaderMap,
    collection: &str,
    write: &Write,
) -> Result<(), String> {
    let item = |key: &str| format!("{}/{}", collection.trim_end_matches('/'), urlencoded(key));
    let request = match write {
        Write::Create { fields } => client.post(collection).json(fields),
        Write::Update { key, fields } => client.put(item(key)).json(fields),
        Write::Delete { key } => client.delete(item(key)),
    };
    let response = request.headers(headers.clone()).send().await.map_err(|e| error_chain(&e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    // The server's own words, when it gives them as {"error": "..."}.
    let body = response.text().await.unwrap_or_default();
    let said = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect());
    Err(format!("the server answered {}: {said}", status.as_u16()))
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
    #[test]
    fn keys_are_one_path_segment() {
        assert_eq!(super::urlencoded("26"), "26");
        assert_eq!(super::urlencoded("a/b c"), "a%2Fb%20c");
    }
}
