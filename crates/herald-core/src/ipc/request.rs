//! Every request the socket carries, as one serde enum, and what serves
//! them: the engine's calls go to the [`Handler`]'s engine as they are, and
//! the handler answers each of the others with its own method ([`Serve`]);
//! [`dispatch`] sends each request where it goes and writes its answer for
//! the wire. Only the wire sees JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use super::calls::*;
use super::{Outcome, Push};
use crate::call::Serve;
use crate::engine::{
    Engine, GetActivity, GetDefinitions, GetFeeds, GetRecent, GetRecords, GetTimeline, GetUpcoming, MarkRead,
    PauseFeed, ReconnectNow, RemoveFeed, ViewRecord, WriteRecord,
};
use crate::error::Error;

macro_rules! requests {
    (engine { $($engine:ident,)* } served { $($call:ident,)* }) => {
        /// What a client asks: [`Subscribe`], or a call a [`Handler`] serves.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "camelCase")]
        pub enum Request {
            Subscribe(Subscribe),
            $($engine($engine),)*
            $($call($call),)*
        }

        impl From<Subscribe> for Request {
            fn from(call: Subscribe) -> Request {
                Request::Subscribe(call)
            }
        }

        $(impl From<$call> for Request {
            fn from(call: $call) -> Request {
                Request::$call(call)
            }
        })*

        $(impl From<$engine> for Request {
            fn from(call: $engine) -> Request {
                Request::$engine(call)
            }
        })*

        /// What serves the socket: the engine its calls go to, an answer
        /// for every other request type, and what to push to a client that
        /// subscribes.
        pub trait Handler: $(Serve<$call> +)* Send + Sync + 'static {
            /// The engine that answers the engine's calls.
            fn engine(&self) -> &Engine;
            /// What happens from now on, for a client that subscribes, and
            /// what to hold while it stays connected (a window's presence).
            fn subscribe(&self, window: bool) -> (broadcast::Receiver<Push>, Option<Box<dyn Send>>);
        }

        /// Answers `request` with `handler`'s method for its type. The
        /// server answers [`Subscribe`] itself.
        pub async fn dispatch<H: Handler>(handler: &H, request: Request) -> Outcome {
            match request {
                Request::Subscribe(_) => Outcome::Ok(Value::Null),
                $(Request::$engine(call) => outcome(handler.engine().ask(call).await),)*
                $(Request::$call(call) => outcome(Serve::<$call>::answer(handler, call).await),)*
            }
        }
    };
}

requests! {
    // The engine's calls, as they are (adding a feed is `SaveFeed`, which
    // takes a form as well as a feed).
    engine {
        RemoveFeed,
        PauseFeed,
        ReconnectNow,
        MarkRead,
        GetTimeline,
        GetActivity,
        GetFeeds,
        GetDefinitions,
        GetRecords,
        GetRecent,
        WriteRecord,
        ViewRecord,
        GetUpcoming,
    }
    // The tray process's own.
    served {
        GetFeedForm,
        ValidateFeed,
        ProbeFeed,
        TrustCertificate,
        SaveFeed,
        ImportFeeds,
        ExportFeeds,
        GetQuiet,
        SetQuiet,
        SetDoNotDisturb,
        GetSounds,
        SetSounds,
        ShowTestNotification,
        GetStatus,
        GetStorePath,
        GetAutostart,
        SetAutostart,
        TakeFocus,
        OpenWindow,
        PressButton,
        GetPicture,
        SignIn,
        SignOut,
    }
}

fn outcome<T: Serialize>(answer: Result<T, Error>) -> Outcome {
    match answer.and_then(|answer| serde_json::to_value(answer).map_err(|e| Error::internal(e.to_string()))) {
        Ok(value) => Outcome::Ok(value),
        Err(error) => Outcome::Error(error),
    }
}
