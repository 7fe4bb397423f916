//! How a subscription reaches its server. The connection task asks a
//! [`Transport`] for a response and reads its body as a stream of chunks;
//! the real one is reqwest, and tests script one, so that every rule of
//! staying connected is checked without a network or real time.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::header::HeaderMap;

/// A GET for an event stream, with every header already set.
#[derive(Debug, Clone)]
pub struct StreamRequest {
    pub url: String,
    pub headers: HeaderMap,
}

/// A failure to connect or to read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    pub message: String,
    pub kind: TransportFailure,
}

/// What kind of failure a [`TransportError`] is: it decides whether a retry
/// can fix it, and what the user is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// The server could not be reached: its name, the connection, a timeout.
    Unreachable,
    /// The connection broke while the stream was read.
    Broken,
    /// The server's certificate was refused: no retry can fix it.
    CertificateRefused,
    /// The server refused the client's certificate in the handshake: no
    /// retry can fix it.
    IdentityRefused,
    /// The server's redirects cannot be followed: no retry can fix it.
    Redirect,
}

impl TransportError {
    /// A failure worth retrying, such as a refused connection.
    pub fn unreachable(message: impl Into<String>) -> Self {
        TransportError { message: message.into(), kind: TransportFailure::Unreachable }
    }

    fn from_reqwest(error: &reqwest::Error) -> Self {
        if let Some(problem) = crate::tls::certificate_problem(error) {
            return TransportError { message: problem, kind: TransportFailure::CertificateRefused };
        }
        if let Some(problem) = crate::tls::refused_in_handshake(error) {
            return TransportError { message: problem, kind: TransportFailure::IdentityRefused };
        }
        // A redirect loop (a 301 or 307 whose Location is empty or points
        // back) fails the same way every time: retrying only repeats it.
        if error.is_redirect() {
            let message = format!("the server's redirects cannot be followed: {}", error_chain(error));
            return TransportError { message, kind: TransportFailure::Redirect };
        }
        let kind =
            if error.is_body() || error.is_decode() { TransportFailure::Broken } else { TransportFailure::Unreachable };
        TransportError { message: error_chain(error), kind }
    }
}

/// A response: status and headers, and the body as it arrives.
pub struct StreamResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: BoxStream<'static, Result<Bytes, TransportError>>,
}

pub trait Transport: Send + Sync + 'static {
    fn open(&self, request: StreamRequest) -> BoxFuture<'static, Result<StreamResponse, TransportError>>;
}

/// The real transport: reqwest, with whatever client it was given.
pub struct HttpTransport(pub reqwest::Client);

impl Transport for HttpTransport {
    fn open(&self, request: StreamRequest) -> BoxFuture<'static, Result<StreamResponse, TransportError>> {
        let sent = self.0.get(&request.url).headers(request.headers).send();
        Box::pin(async move {
            let response = sent.await.map_err(|e| TransportError::from_reqwest(&e))?;
            Ok(StreamResponse {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                body: response.bytes_stream().map_err(|e| TransportError::from_reqwest(&e)).boxed(),
            })
        })
    }
}

/// An error with its causes, which is where reqwest keeps the useful part.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
