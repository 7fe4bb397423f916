//! The one error a request can end in, from the store to the screen.
//!
//! Every answer Herald gives (the engine's, the tray process's over its
//! socket, the window's commands) fails with an [`Error`], and it keeps its
//! kind all the way: the window shows a field's error beside its input, a
//! conflict as the two versions side by side, and "needs you" as something
//! to do, by the kind and never by matching the text. The text is for
//! people; the kind is for code.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::feed::{Conflict, FieldError};
use crate::store::StoreError;

/// See the module's documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, rename = "HeraldError")]
pub enum Error {
    /// What the request names is not there: a feed, a certificate, a file.
    #[error("{message}")]
    NotFound { message: String },
    /// The request is wrong: in `field` of a form when it names one.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    /// A write refused because the record moved on from what the user
    /// saw. Nothing was written.
    #[error("{} changed it first: nothing was written", conflict.actor.as_deref().unwrap_or("someone"))]
    Conflict { conflict: Box<Conflict> },
    /// Herald, its engine or the keyring cannot answer now: try again.
    #[error("{message}")]
    Unavailable { message: String },
    /// Only the user can put it right: a secret to give, a sign-in.
    #[error("{message}")]
    NeedsYou { message: String },
    /// Herald's own fault: a store that fails, an answer that does not read.
    #[error("{message}")]
    Internal { message: String },
}

impl Error {
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::NotFound { message: message.into() }
    }

    /// The request as a whole is wrong.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid { field: None, message: message.into() }
    }

    /// `field` of a form is wrong.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid { field: Some(field.into()), message: message.into() }
    }

    pub fn unavailable(message: impl Into<String>) -> Error {
        Error::Unavailable { message: message.into() }
    }

    pub fn needs_you(message: impl Into<String>) -> Error {
        Error::NeedsYou { message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::Internal { message: message.into() }
    }

    /// The engine, or the Herald at the other end of the socket, is gone.
    pub fn stopped() -> Error {
        Error::unavailable("Herald has stopped")
    }

    /// The field of a form it is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

impl From<FieldError> for Error {
    /// A form's refusal: of its input, or (with no field) of the form as a whole.
    fn from(error: FieldError) -> Error {
        let field = Some(error.field).filter(|field| !field.is_empty());
        Error::Invalid { field, message: error.message }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Error {
        let message = error.to_string();
        match error {
            StoreError::NoSuchFeed(_) => Error::NotFound { message },
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::DiskFull
                        | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                Error::Unavailable { message }
            }
            _ => Error::Internal { message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_error_keeps_its_kind() {
        assert!(matches!(Error::from(StoreError::NoSuchFeed("x".into())), Error::NotFound { .. }));
        let busy = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None);
        assert!(matches!(Error::from(StoreError::Sqlite(busy)), Error::Unavailable { .. }));
        let bad = StoreError::BadSettings { feed: "x".into(), reason: "no".into() };
        assert!(matches!(Error::from(bad), Error::Internal { .. }));
    }

    #[test]
    fn it_crosses_the_wire_by_kind() {
        let error = Error::invalid_field("url", "not an http(s) URL");
        let json = serde_json::to_value(&error).expect("serialised");
        assert_eq!(json, serde_json::json!({"kind": "invalid", "field": "url", "message": "not an http(s) URL"}));
        assert_eq!(serde_json::from_value::<Error>(json).expect("read back"), error);
    }
}
