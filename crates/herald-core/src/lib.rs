//! Herald's core: everything that runs without a window.
//!
//! - [`sse`]: a WHATWG-conformant Server-Sent Events decoder and a
//!   subscription task that keeps a feed connected and resumes it with
//!   `Last-Event-ID`.
//! - [`tasks`]: the shared task list: its REST API, a replica kept current by
//!   the stream, and the board that turns events into attributed notices.
//! - [`attention`]: what deserves a notification and how it reads.
//! - [`tls`]: trusting a feed's self-signed certificate.
//! - [`store`]: the local history of every event, with each feed's cursor.
//! - [`secrets`]: feeds' tokens, kept in the OS keyring and nowhere else.
//! - [`resync`]: fetching a feed's snapshot when continuity is broken.
//!
//! Why it is separate from the desktop shell: all of this is logic that must
//! be right, so it is tested here against real servers on loopback, with no
//! window, no tauri and no display.

pub mod attention;
pub mod engine;
pub mod feed;
pub mod ipc;
pub mod probe;
pub mod secrets;
pub mod sse;
pub mod store;
pub mod tls;

/// Whether `text` is an absolute http(s) URL with a host: the only kind
/// Herald fetches, or opens when a notification is clicked.
pub fn is_http_url(text: &str) -> bool {
    reqwest::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// An HTTP client set up for long-lived event streams: a connect timeout but
/// no overall timeout, HTTP/2 by ALPN, proxies from the environment, and the
/// system's trusted roots (a refused certificate says how to trust it).
pub fn http_client() -> Result<reqwest::Client, tls::TlsError> {
    http_client_trusting(&tls::ExtraTrust::default())
}

/// [`http_client`], also trusting a feed's own certificates (see [`tls`]).
pub fn http_client_trusting(extra: &tls::ExtraTrust) -> Result<reqwest::Client, tls::TlsError> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        // HTTP/2 pings find a dead connection on a stream that is quiet by
        // nature (a task list with no keepalives) without recycling it.
        .http2_keep_alive_interval(std::time::Duration::from_secs(30))
        .http2_keep_alive_timeout(std::time::Duration::from_secs(20))
        .http2_keep_alive_while_idle(true)
        .tcp_keepalive(std::time::Duration::from_secs(60))
        .user_agent(concat!("Herald/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls::client_config(extra)?)
        .build()
        .map_err(|e| tls::TlsError::Setup(sse::error_chain(&e)))
}
