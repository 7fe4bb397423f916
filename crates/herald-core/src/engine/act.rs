//! Sending a message's `http` action (ntfy's action button), once the user
//! has seen and confirmed it, or its host is one the feed allows.
//!
//! The request is exactly the action's: its method, URL, headers and body.
//! The feed's own credentials go with it only to the feed's own server
//! (the same scheme, host and port): an action that points anywhere else
//! gets none of them, and neither does a redirect away from it. What came
//! of it is told in one line, for the timeline to keep.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;

use crate::feed::{ActionResult, MessageAction};
use crate::sse::now_ms;

/// How long an action may take.
const ACTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Whether `url` is on the same server as `feed_url`.
pub fn same_origin(url: &str, feed_url: &str) -> bool {
    match (reqwest::Url::parse(url), reqwest::Url::parse(feed_url)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// A client for actions to other servers: the system's roots, and no
/// redirects (the answer is what the user sees).
fn foreign_client() -> Result<reqwest::Client, String> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    crate::foreign_client(&CLIENT, reqwest::redirect::Policy::none)
}

/// Sends `action` (an `http` one), with the feed's `client` and
/// `credentials` only where it points at `feed_url`'s server.
pub async fn send(
    action: &MessageAction,
    feed_url: &str,
    client: &reqwest::Client,
    credentials: &HeaderMap,
) -> ActionResult {
    let MessageAction::Http { label, url, method, headers, body, .. } = action else {
        let label = action.label().to_owned();
        return ActionResult { label, ok: false, outcome: "Herald does not send this action".into(), at: now_ms() };
    };
    let said = |ok: bool, outcome: String| ActionResult { label: label.clone(), ok, outcome, at: now_ms() };
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return said(false, format!("{method} is not an HTTP method"));
    };
    let own = same_origin(url, feed_url);
    let client = if own {
        client.clone()
    } else {
        match foreign_client() {
            Ok(client) => client,
            Err(e) => return said(false, format!("{method} {url} could not be sent: {e}")),
        }
    };
    let mut sent = HeaderMap::new();
    if own {
        sent.extend(credentials.iter().map(|(n, v)| (n.clone(), v.clone())));
    }
    for (name, value) in headers {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(name), Ok(value)) => {
                sent.insert(name, value);
            }
            _ => return said(false, format!("the header {name:?} cannot be sent")),
        }
    }
    let mut request = client.request(method.clone(), url.as_str()).headers(sent).timeout(ACTION_TIMEOUT);
    if let Some(body) = body {
        request = request.body(body.clone());
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            said(status.is_success(), format!("{method} {url} answered {status}"))
        }
        Err(e) => said(false, format!("{method} {url} failed: {}", crate::sse::error_chain(&e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feeds_own_server_is_its_scheme_host_and_port() {
        let feed = "https://ntfy.example.com/alerts/sse";
        assert!(same_origin("https://ntfy.example.com/alerts/publish", feed));
        assert!(!same_origin("http://ntfy.example.com/alerts", feed), "another scheme");
        assert!(!same_origin("https://ntfy.example.com:8443/x", feed), "another port");
        assert!(!same_origin("https://ntfy.example.com.evil.example/x", feed));
        assert!(!same_origin("https://evil.example/?https://ntfy.example.com/", feed));
    }
}
