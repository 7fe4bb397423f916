//! `GET /metrics`: what an operator watches, in the Prometheus text format.
//!
//! - `herald_hub_open_streams`: event streams open now;
//! - `herald_hub_events_out_total`: events queued to subscribers (changes,
//!   presence, resets);
//! - `herald_hub_replay_reads_total`: reads of the change log, to replay
//!   after a `Last-Event-ID` or to fill a gap in the live side;
//! - `herald_hub_refusals_total{reason}`: requests refused, by why:
//!   `unauthorized`, `bad_request`, `conflict` (a stale `If-Match`), `busy`
//!   (a stream limit, or the store unavailable), and `slow_subscriber`
//!   (a stream reset because it took nothing).
//!
//! Like `/healthz`, it needs no token: it counts, and names no data.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::hub::Hub;

type Reason = [(&'static str, &'static str); 1];

pub(crate) struct Metrics {
    registry: Registry,
    open_streams: Gauge,
    pub events_out: Counter,
    pub replay_reads: Counter,
    refusals: Family<Reason, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("herald_hub");
        let open_streams = Gauge::default();
        let events_out = Counter::default();
        let replay_reads = Counter::default();
        let refusals = Family::<Reason, Counter>::default();
        registry.register("open_streams", "Event streams open now", open_streams.clone());
        registry.register("events_out", "Events queued to subscribers", events_out.clone());
        registry.register("replay_reads", "Reads of the change log for replay or to fill a gap", replay_reads.clone());
        registry.register("refusals", "Requests refused, by reason", refusals.clone());
        Metrics { registry, open_streams, events_out, replay_reads, refusals }
    }
}

impl Metrics {
    pub fn refused(&self, reason: &'static str) {
        self.refusals.get_or_create(&[("reason", reason)]).inc();
    }
}

/// Counts every refused request by its status, whatever route refused it.
pub(crate) async fn count_refusals(State(hub): State<Arc<Hub>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let reason = match response.status() {
        StatusCode::UNAUTHORIZED => Some("unauthorized"),
        StatusCode::PRECONDITION_FAILED => Some("conflict"),
        StatusCode::SERVICE_UNAVAILABLE => Some("busy"),
        status if status.is_client_error() => Some("bad_request"),
        _ => None,
    };
    if let Some(reason) = reason {
        hub.metrics().refused(reason);
    }
    response
}

pub(crate) async fn serve(State(hub): State<Arc<Hub>>) -> Response {
    let metrics = hub.metrics();
    metrics.open_streams.set(i64::try_from(hub.open_streams()).unwrap_or(i64::MAX));
    let mut text = String::new();
    if encode(&mut text, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let kind = HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    ([(header::CONTENT_TYPE, kind)], text).into_response()
}
