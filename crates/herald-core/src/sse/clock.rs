//! Wall-clock time for what a subscription publishes (when it opened, when
//! it last heard from the server, when it will retry).
//!
//! Waiting uses `tokio::time`, which tests pause and advance; the wall clock
//! is injected separately so published times follow the same virtual time.

/// Milliseconds since the Unix epoch: how times travel to the UI.
pub type EpochMs = i64;

pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> EpochMs;
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> EpochMs {
        now_ms()
    }
}

/// The system's wall clock, for code that is not timing-sensitive.
pub fn now_ms() -> EpochMs {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
