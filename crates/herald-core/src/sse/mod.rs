//! Server-Sent Events: a conformant decoder and a resilient subscription.

mod backoff;
mod decoder;
mod state;
mod subscription;

pub use backoff::backoff;
pub use decoder::{Decoder, Event, Frame, DEFAULT_MAX_EVENT_BYTES};
pub use state::{now_ms, ConnectionState, EpochMs, Phase, StopReason};
pub use subscription::{InvalidHeader, Subscription, SubscriptionConfig};
