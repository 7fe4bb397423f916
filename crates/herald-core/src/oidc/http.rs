//! `openidconnect`'s requests, sent by a feed's own reqwest client.

use std::future::Future;
use std::pin::Pin;

use openidconnect::{HttpRequest, HttpResponse};

/// The most of a provider's answer that is read: discovery documents and
/// key sets are small.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

type Answer = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send>>;

/// An HTTP client for `openidconnect`, over `client`.
pub(super) fn over(client: &reqwest::Client) -> impl Fn(HttpRequest) -> Answer + Send + Sync {
    let client = client.clone();
    move |request: HttpRequest| -> Answer {
        let client = client.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let sent = client.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send();
            let mut response = sent.await.map_err(|e| HttpError(crate::sse::error_chain(&e)))?;
            let mut answer = http::Response::builder().status(response.status());
            if let Some(headers) = answer.headers_mut() {
                *headers = response.headers().clone();
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| HttpError(crate::sse::error_chain(&e)))? {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(HttpError(format!("the provider's answer is over {MAX_ANSWER_BYTES} bytes")));
                }
                body.extend_from_slice(&chunk);
            }
            answer.body(body).map_err(|e| HttpError(e.to_string()))
        })
    }
}
