//! How the hub's routes fail, as HTTP: one error type for the REST routes
//! and the stream.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::model::Stale;
use crate::storage::StoreError;

/// Seconds a refused client is asked to wait.
const BUSY_RETRY_AFTER: &str = "5";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("no task with id {0}")]
    NotFound(i64),
    #[error("{0}")]
    Invalid(&'static str),
    /// A conditional write made against a version that is no longer current.
    #[error("the task changed since the version this write was made against")]
    Stale(Box<Stale>),
    /// The store failed, or cannot be reached now (`503`, to try again).
    #[error("{}", store_message(.0))]
    Store(#[from] StoreError),
    /// The hub keeps no more open streams for now (see `limits`).
    #[error("{0}; try again shortly")]
    Busy(&'static str),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Stale(stale) = self {
            return stale_response(*stale);
        }
        let status = match &self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Stale(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Store(e @ StoreError::Unavailable(_)) => {
                tracing::warn!(error = %e, "the store is unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "the store failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut response = (status, Json(json!({ "error": self.to_string() }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(BUSY_RETRY_AFTER));
        }
        response
    }
}

/// `412`, with the task as it is now and who changed it last, so that the
/// client can show both sides; the current version is also the `ETag`.
fn stale_response(stale: Stale) -> Response {
    let error = match stale.current {
        Some(_) => "the task changed since the version this write was made against",
        None => "the task was deleted",
    };
    let version = stale.current.as_ref().map(|t| t.version);
    let body = herald_wire::Conflict { error: error.into(), current: stale.current, actor: stale.actor, at: stale.at };
    let mut response = (StatusCode::PRECONDITION_FAILED, Json(body)).into_response();
    if let Some(version) = version {
        tag(&mut response, version);
    }
    response
}

/// Gives `response` the `ETag` of a task at `version`.
pub(crate) fn tag(response: &mut Response, version: u64) {
    if let Ok(etag) = HeaderValue::from_str(&herald_wire::etag(version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
}

/// What a client is told of a store failure: whether to try again, and
/// never the store's own words.
fn store_message(e: &StoreError) -> &'static str {
    match e {
        StoreError::Unavailable(_) => "the store is unavailable; try again shortly",
        _ => "internal error",
    }
}
