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
//! Like `/healthz`, it needs no token: it counts, and names no data. The
//! routes that serve and count are in `http.rs`.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

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

    /// The reason a response with `status` counts as refused, if it does.
    pub fn refusal(status: u16) -> Option<&'static str> {
        match status {
            401 => Some("unauthorized"),
            412 => Some("conflict"),
            503 => Some("busy"),
            400..=499 => Some("bad_request"),
            _ => None,
        }
    }

    /// Every metric, in the Prometheus text format, with `open_streams` as now.
    pub fn scrape(&self, open_streams: usize) -> Result<String, std::fmt::Error> {
        self.open_streams.set(i64::try_from(open_streams).unwrap_or(i64::MAX));
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
