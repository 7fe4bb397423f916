//! One bounded download of a picture.

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::IMAGE_TYPES;

/// The largest picture fetched by default: 5 MB.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// The most redirects followed.
pub const MAX_REDIRECTS: usize = 5;

/// How far a fetch may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: MAX_BYTES, timeout: std::time::Duration::from_secs(20) }
    }
}

/// A picture, fetched and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Its type, sniffed from its bytes.
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// Why a picture is not shown: what happened, for the window to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum Refusal {
    #[error("only http(s) links are fetched, not {url}")]
    NotHttp { url: String },
    #[error("it redirects to {to}, which is not http(s)")]
    RedirectNotHttp { to: String },
    #[error("it redirects more than {max} times")]
    TooManyRedirects { max: usize },
    #[error("it is {size} bytes, over the {max}-byte limit")]
    TooLarge {
        #[ts(type = "number")]
        size: u64,
        #[ts(type = "number")]
        max: u64,
    },
    #[error("it says it is {claimed}, but it is not a picture Herald shows")]
    NotAPicture { claimed: String },
    #[error("the server answered {status}")]
    Status { status: u16 },
    #[error("it could not be fetched: {reason}")]
    Unreachable { reason: String },
}

fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if !matches!(attempt.url().scheme(), "http" | "https") {
            let to = attempt.url().to_string();
            attempt.error(Refusal::RedirectNotHttp { to })
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(Refusal::TooManyRedirects { max: MAX_REDIRECTS })
        } else {
            attempt.follow()
        }
    })
}

/// The client pictures are fetched with: its own redirect policy, and
/// the system's roots (a picture's host is not the feed's, and earns none
/// of the feed's trust).
fn client() -> Result<reqwest::Client, Refusal> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    crate::foreign_client(&CLIENT, redirect_policy).map_err(|reason| Refusal::Unreachable { reason })
}

/// What a reqwest error was, as a refusal: one the redirect policy made
/// is that refusal.
fn refusal_of(error: reqwest::Error) -> Refusal {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(error) = source {
        if let Some(refusal) = error.downcast_ref::<Refusal>() {
            return refusal.clone();
        }
        source = error.source();
    }
    Refusal::Unreachable { reason: crate::sse::error_chain(&error) }
}

/// Fetches the picture at `url`, which the sender says is `claimed`
/// (a type, a size), within `limits`.
pub async fn fetch(url: &str, claimed_size: Option<u64>, limits: Limits) -> Result<Fetched, Refusal> {
    if !crate::is_http_url(url) {
        return Err(Refusal::NotHttp { url: url.to_owned() });
    }
    let max = limits.max_bytes;
    if let Some(size) = claimed_size.filter(|&size| size > max) {
        return Err(Refusal::TooLarge { size, max });
    }
    let fetching = async {
        let response = client()?.get(url).send().await.map_err(refusal_of)?;
        if response.status().is_redirection() {
            // reqwest hands back, unfollowed, a redirect to what it cannot fetch.
            let to = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
            return Err(Refusal::RedirectNotHttp { to: to.unwrap_or("nowhere").to_owned() });
        }
        if !response.status().is_success() {
            return Err(Refusal::Status { status: response.status().as_u16() });
        }
        if let Some(size) = response.content_length().filter(|&size| size > max) {
            return Err(Refusal::TooLarge { size, max });
        }
        let claimed = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("nothing")
            .to_owned();
        let mut bytes = Vec::new();
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(refusal_of)?;
            if (bytes.len() + chunk.len()) as u64 > max {
                return Err(Refusal::TooLarge { size: (bytes.len() + chunk.len()) as u64, max });
            }
            bytes.extend_from_slice(&chunk);
        }
        match sniff(&bytes) {
            Some(mime) => Ok(Fetched { mime, bytes }),
            None => Err(Refusal::NotAPicture { claimed }),
        }
    };
    tokio::time::timeout(limits.timeout, fetching)
        .await
        .unwrap_or_else(|_| Err(Refusal::Unreachable { reason: format!("no answer within {:?}", limits.timeout) }))
}

/// The picture type the bytes are, whatever anyone claimed.
pub(super) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    IMAGE_TYPES.iter().copied().find(|t| *t == kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_test_support::pictures::PNG;

    #[test]
    fn the_type_is_sniffed_not_trusted() {
        assert_eq!(sniff(PNG), Some("image/png"));
        assert_eq!(sniff(b"<html><script>alert(1)</script></html>"), None);
        assert_eq!(sniff(b"%PDF-1.7"), None, "a document is not a picture");
        assert_eq!(sniff(b""), None);
    }

    #[tokio::test]
    async fn what_is_not_http_or_claims_too_much_is_refused_before_any_fetch() {
        let limits = Limits::default();
        let refused = fetch("file:///etc/passwd", None, limits).await;
        assert_eq!(refused, Err(Refusal::NotHttp { url: "file:///etc/passwd".into() }));
        let huge = fetch("https://cams.example/1gb.jpg", Some(1 << 30), limits).await;
        assert_eq!(huge, Err(Refusal::TooLarge { size: 1 << 30, max: MAX_BYTES }));
    }
}
