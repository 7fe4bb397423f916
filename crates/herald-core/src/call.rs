//! A request that names its answer, in the manner of tarpc and jsonrpsee.
//!
//! Each request is a type of its own, and [`Call::Answer`] says what it is
//! answered with, so whoever asks gets that type back (or an [`Error`])
//! and nobody picks a type to read an answer as. The engine's requests
//! (`engine::calls`) and the tray process's (`ipc::calls`) are both
//! `Call`s; the socket carries them with serde, and the window's commands
//! ask with the same types.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;

/// See the module's documentation.
pub trait Call: Serialize + DeserializeOwned + Send + 'static {
    type Answer: Serialize + DeserializeOwned + Send + 'static;
}

/// How a call of type `C` ends.
pub type Answer<C> = Result<<C as Call>::Answer, Error>;

/// What answers calls of type `C`: the engine's supervisor, the tray
/// process's desk, a test's fake.
pub trait Serve<C: Call>: Send + Sync {
    fn answer(&self, call: C) -> impl std::future::Future<Output = Answer<C>> + Send;
}

/// Names the answer of each call type: `answers! { GetFeeds => Vec<FeedState>, }`.
macro_rules! answers {
    ($($call:ty => $answer:ty,)*) => {$(
        impl $crate::call::Call for $call {
            type Answer = $answer;
        }
    )*};
}

pub(crate) use answers;
