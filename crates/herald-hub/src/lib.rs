//! The Herald hub: a reference shared-data server.
//!
//! It serves a shared task list over REST and pushes every change over
//! Server-Sent Events, in the shape Herald is built around:
//!
//! | route | what |
//! |---|---|
//! | `GET /tasks` | all tasks; the `Herald-Sequence` header is the last change they include |
//! | `GET /tasks/{id}` | one task |
//! | `POST /tasks` `{name}` | create |
//! | `PUT /tasks/{id}` `{name?, done?}` | update |
//! | `DELETE /tasks/{id}` | delete |
//! | `GET /tasks/subscribe` | the change stream, resumable with `Last-Event-ID` |
//! | `GET /me` | the actor the caller's token stands for |
//! | `PUT /presence` `{viewing}` | the record the caller has open, for a minute |
//! | `GET /healthz` | whether the store answers; no token needed |
//! | `GET /metrics` | open streams, events out, replay reads, refusals (Prometheus); no token needed |
//!
//! Every task has a version, also its `ETag`; `PUT` and `DELETE` with
//! `If-Match` are refused with `412` and the task as it is now when it has
//! moved on. The stream also says who is here (`event: presence`, no id).
//!
//! The tasks and the log live in SQLite (one process) or in Redis Streams
//! (several hub processes sharing one Redis), behind [`Storage`].
//!
//! Why it exists: Herald needs a server that behaves exactly as a well-made
//! shared-data API should (ids on every event, replay, auth by bearer token),
//! to test against over real sockets and to embed as a first-run demo.
//!
//! Tests start it on `127.0.0.1:0` with [`run`], in the style of mini-redis.

mod auth;
mod config;
pub mod demo;
mod error;
mod http;
mod hub;
mod limits;
mod local;
#[cfg_attr(not(feature = "metrics"), path = "metrics_off.rs")]
mod metrics;
mod model;
mod presence;
pub mod storage;
mod stream;

use std::future::Future;
use std::sync::Arc;

use axum::serve::ListenerExt;
pub use config::{ConfigError, HubConfig};
pub use http::{router, SEQUENCE_HEADER};
pub use hub::Hub;
pub use ipnet::IpNet;
pub use local::LocalHub;
pub use model::{
    clean_name, Change, ChangeKind, CreateKey, Created, IfMatch, NewTask, Stale, Task, TaskPatch, Written,
};
#[cfg(feature = "redis")]
pub use storage::redis::RedisLocation;
pub use storage::{Storage, StoreError, StoreLocation};
use tokio::net::{TcpListener, TcpStream};

/// Serves `hub` on `listener` until `shutdown` completes; open event streams
/// are then ended so that the shutdown does not wait on them.
pub async fn run(
    listener: TcpListener,
    hub: Arc<Hub>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = hub.closing().clone();
    tokio::spawn(hub.room().clone().tell(hub.config().presence_debounce, closing.clone()));
    #[cfg(feature = "redis")]
    let sharing = hub
        .shared()
        .map(|redis| tokio::spawn(presence::exchange::run(redis.clone(), hub.room().clone(), closing.clone())));
    #[cfg(not(feature = "redis"))]
    let sharing: Option<tokio::task::JoinHandle<()>> = None;
    let ended = closing.clone();
    let keepalive = hub.config().keepalive;
    let app = router(hub);
    let listener = listener.tap_io(move |tcp| gone_after(tcp, keepalive));
    // Each request knows its client's address, for the per-client stream limit.
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.cancel();
        })
        .await;
    // The other hubs are told that those here through this one have left.
    if let Some(sharing) = sharing {
        ended.cancel();
        let _ = sharing.await;
    }
    served
}

/// A client that stops acknowledging what the hub sends (its network went
/// away without a word, or it stopped reading) is cut off once a keepalive
/// has gone unacknowledged for a keepalive interval, instead of TCP's
/// fifteen minutes of retries: its streams end, and its actor leaves.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn gone_after(tcp: &mut TcpStream, keepalive: std::time::Duration) {
    if let Err(e) = socket2::SockRef::from(&*tcp).set_tcp_user_timeout(Some(keepalive)) {
        tracing::debug!(error = %e, "TCP_USER_TIMEOUT could not be set");
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn gone_after(_: &mut TcpStream, _: std::time::Duration) {}
