//! A feed's REST side, besides the snapshot and writes: who the user is
//! (`me`), and which record the user has open (presence). Both go with the
//! feed's own headers and secret, and through its own client, so they trust
//! exactly what the stream trusts.

use reqwest::header::HeaderMap;
use serde_json::Value;

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

/// Says which record the user has open (`None`: none) at `url`.
pub async fn view(client: &reqwest::Client, headers: &HeaderMap, url: &str, key: Option<&str>) -> Result<(), String> {
    let body = crate::feed::presence::viewing_body(key);
    let response = client.put(url).headers(headers.clone()).json(&body).send().await.map_err(|e| error_chain(&e))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(format!("{url} answered {}", status.as_u16())),
    }
}
