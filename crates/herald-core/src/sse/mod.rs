//! Server-Sent Events: a conformant decoder and a resilient subscription.

mod backoff;
mod clock;
mod config;
mod connection;
mod credentials;
mod decoder;
mod state;
mod subscription;
mod transport;

pub use backoff::backoff;
pub use clock::{now_ms, Clock, EpochMs, SystemClock};
pub use config::{stall_timeout, InvalidHeader, Resume, SubscriptionConfig};
pub use credentials::{CredentialSource, Credentials, CredentialsError};
pub use decoder::{ByteString, Decoder, Event, Frame, DEFAULT_MAX_EVENT_BYTES};
pub use state::{ConnectionState, Failure, Phase, StopReason};
pub use subscription::Subscription;
pub use transport::{
    error_chain, HttpTransport, StreamRequest, StreamResponse, Transport, TransportError, TransportFailure,
};
