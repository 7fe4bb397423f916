//! The hub built without the `metrics` feature, as the tray's embedded demo
//! is: nothing is counted, and there is no `GET /metrics`. The hub counts
//! through the same calls either way (see `metrics.rs`).

/// A count that is not kept.
#[derive(Debug, Default)]
pub(crate) struct Counter;

impl Counter {
    pub fn inc(&self) {}
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub events_out: Counter,
    pub replay_reads: Counter,
}

impl Metrics {
    pub fn refused(&self, _reason: &'static str) {}

    /// Nothing counts as refused where nothing is counted.
    pub fn refusal(_status: u16) -> Option<&'static str> {
        None
    }
}
