//! Herald's core: everything that runs without a window.
//!
//! - [`sse`]: a WHATWG-conformant Server-Sent Events decoder and a
//!   subscription task that keeps a feed connected, resumes it with
//!   `Last-Event-ID`, and learns how long its server may stay silent.
//! - [`feed`]: what a feed is (its URL, preset, auth, rules) and what its
//!   events mean: records, messages, or raw events.
//! - [`engine`]: one task per feed, feeding many sinks (the tray process,
//!   `herald-cli`): it stores each event, resyncs from the snapshot when
//!   continuity breaks, and writes to the server without overwriting a
//!   teammate's change.
//! - [`store`]: the local history of every event, each feed's cursor, its
//!   records and its timeline (SQLite, with FTS5).
//! - [`attention`]: what deserves a notification, when, and how it reads;
//!   what the tray shows.
//! - [`markup`]: text for a notification body, escaped, and markdown in
//!   the small subset notification servers read.
//! - [`media`]: pictures a message points at, fetched within bounds and
//!   kept in a bounded cache.
//! - [`ipc`]: the owner-only local socket through which the window and
//!   `herald-cli` talk to the one process that runs the engine.
//! - [`probe`]: trying a feed before following it.
//! - [`tls`]: trusting a feed's self-signed certificate.
//! - [`secrets`]: feeds' tokens, kept in the OS keyring and nowhere else.
//! - [`blocking`]: the one way blocking work leaves the async runtime.
//! - [`call`]: a request that names its answer, and [`error`]: the one
//!   error a request ends in, by kind, from the store to the screen.
//!
//! Why it is separate from the processes: all of this is logic that must be
//! right, so it is tested here against real servers on loopback, with no
//! window, no tauri and no display. The tray process (`herald-desk`), the
//! window (`src-tauri`) and `herald-cli` are thin around it.

pub mod attention;
pub mod blocking;
pub mod call;
pub mod engine;
pub mod error;
pub mod feed;
pub mod ipc;
pub mod markup;
pub mod media;
pub mod oidc;
pub mod probe;
pub mod proxy;
pub mod secrets;
pub mod sse;
pub mod store;
pub mod tls;

pub use error::Error;

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
///
/// Every feed that trusts only the system's roots shares one client: its
/// verifier (the system's roots, read and parsed) and its connection pool
/// are had once for the process, not once a feed. That is about a third of
/// a MiB a feed, in a tray process that follows feeds all day.
pub fn http_client_trusting(extra: &tls::ExtraTrust) -> Result<reqwest::Client, tls::TlsError> {
    http_client_for(extra, None, &proxy::Route::Environment)
}

/// [`http_client_trusting`], presenting `identity` to a server that asks
/// for a client certificate (see [`tls::ClientIdentity`]), and going the
/// `route` the feed chose (see [`proxy`]).
pub fn http_client_for(
    extra: &tls::ExtraTrust,
    identity: Option<&tls::Presented>,
    route: &proxy::Route,
) -> Result<reqwest::Client, tls::TlsError> {
    static SYSTEM_ROOTS: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if !extra.is_empty() || identity.is_some() || *route != proxy::Route::Environment {
        return build_client(extra, identity, route);
    }
    if let Some(client) = SYSTEM_ROOTS.get() {
        return Ok(client.clone());
    }
    let client = build_client(extra, None, route)?;
    Ok(SYSTEM_ROOTS.get_or_init(|| client).clone())
}

/// A client for one-off requests to a host that is not a feed's (a
/// message's picture, an action to another server): the system's roots
/// only, and `redirect` as the caller's rules say. Made once, in `cache`.
pub(crate) fn foreign_client(
    cache: &'static std::sync::OnceLock<reqwest::Client>,
    redirect: impl FnOnce() -> reqwest::redirect::Policy,
) -> Result<reqwest::Client, String> {
    if let Some(client) = cache.get() {
        return Ok(client.clone());
    }
    let tls = tls::client_config(&tls::ExtraTrust::default(), None).map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .redirect(redirect())
        .user_agent(concat!("Herald/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|e| sse::error_chain(&e))?;
    Ok(cache.get_or_init(|| client).clone())
}

fn build_client(
    extra: &tls::ExtraTrust,
    identity: Option<&tls::Presented>,
    route: &proxy::Route,
) -> Result<reqwest::Client, tls::TlsError> {
    let builder = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        // HTTP/2 pings find a dead connection on a stream that is quiet by
        // nature (a task list with no keepalives) without recycling it.
        .http2_keep_alive_interval(std::time::Duration::from_secs(30))
        .http2_keep_alive_timeout(std::time::Duration::from_secs(20))
        .http2_keep_alive_while_idle(true)
        .tcp_keepalive(std::time::Duration::from_secs(60))
        .user_agent(concat!("Herald/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls::client_config(extra, identity)?);
    route.apply(builder).map_err(tls::TlsError::Setup)?.build().map_err(|e| tls::TlsError::Setup(sse::error_chain(&e)))
}
