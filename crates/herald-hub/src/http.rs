//! The REST routes. Who may call each is in its signature (see [`crate::auth`]).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::auth::{Caller, Reader, Writer};
use crate::error::{tag, ApiError};
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::model::{clean_name, CreateKey, Created, IfMatch, NewTask, Task, TaskPatch, Written};

pub use herald_wire::SEQUENCE_HEADER;
use herald_wire::{IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER};

pub fn router(hub: Arc<Hub>) -> Router {
    let router = Router::new()
        .route("/tasks", get(list).post(create))
        .route("/tasks/subscribe", get(crate::stream::subscribe))
        .route("/tasks/{id}", get(one).put(update).delete(remove))
        .route("/me", get(me))
        .route("/healthz", get(healthz))
        .route(herald_wire::PRESENCE_PATH, axum::routing::put(view));
    #[cfg(feature = "metrics")]
    let router = router.route("/metrics", get(metrics));
    router
        .layer(axum::middleware::from_fn_with_state(hub.clone(), count_refusals))
        // A span per request (method, path), and its status and time at debug level.
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(hub)
}

async fn list(State(hub): State<Arc<Hub>>, _: Reader) -> Result<Response, ApiError> {
    let (tasks, seq) = hub.snapshot().await?;
    let mut response = Json(tasks).into_response();
    response.headers_mut().insert(SEQUENCE_HEADER, HeaderValue::from(seq));
    Ok(response)
}

async fn one(State(hub): State<Arc<Hub>>, _: Reader, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let task = hub.get(id).await?.ok_or(ApiError::NotFound(id))?;
    Ok(tagged(task))
}

/// A task as JSON, with its version as the `ETag`.
fn tagged(task: Task) -> Response {
    let version = task.version;
    let mut response = Json(task).into_response();
    tag(&mut response, version);
    response
}

/// The request's `If-Match`, if it has one. Without it a write goes
/// through whatever the version, as it did before versions.
fn if_match(headers: &HeaderMap) -> Result<Option<IfMatch>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let value = value.to_str().map_err(|_| ApiError::Invalid("If-Match must be ASCII entity tags"))?;
    Ok(Some(IfMatch::parse(value)))
}

/// The changed task, or why it was not changed.
fn written(id: i64, written: Written) -> Result<Task, ApiError> {
    match written {
        Written::Changed(change) => Ok(change.task),
        Written::Missing => Err(ApiError::NotFound(id)),
        Written::Refused(stale) => Err(ApiError::Stale(Box::new(stale))),
    }
}

/// `POST /tasks`. With an `Idempotency-Key`, a create sent again (its
/// answer was lost) makes nothing new, and is answered as it was the first
/// time, saying so.
async fn create(
    State(hub): State<Arc<Hub>>,
    Writer(actor): Writer,
    headers: HeaderMap,
    Json(body): Json<NewTask>,
) -> Result<Response, ApiError> {
    let name = clean_name(&body.name).map_err(ApiError::Invalid)?;
    let key = match headers.get(IDEMPOTENCY_KEY_HEADER) {
        None => None,
        Some(value) => Some(CreateKey::parse(value.to_str().unwrap_or("")).map_err(ApiError::Invalid)?),
    };
    let (change, again) = match hub.create_once(&actor, &name, key.as_ref()).await? {
        Created::Made(change) => (change, false),
        Created::Again(change) => (change, true),
        Created::KeyReused => {
            return Err(ApiError::Invalid("this Idempotency-Key was given to a create of another name"))
        }
    };
    let location = HeaderValue::from_str(&format!("/tasks/{}", change.task.id));
    let mut response = tagged(change.task);
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if again {
        response.headers_mut().insert(IDEMPOTENT_REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

async fn update(
    State(hub): State<Arc<Hub>>,
    Writer(actor): Writer,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(mut patch): Json<TaskPatch>,
) -> Result<Response, ApiError> {
    let if_match = if_match(&headers)?;
    if patch.name.is_none() && patch.done.is_none() {
        return Err(ApiError::Invalid("give at least one of name and done"));
    }
    if let Some(name) = &patch.name {
        patch.name = Some(clean_name(name).map_err(ApiError::Invalid)?);
    }
    let done = hub.update(&actor, id, &patch, if_match.as_ref()).await?;
    written(id, done).map(tagged)
}

async fn remove(
    State(hub): State<Arc<Hub>>,
    Writer(actor): Writer,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let if_match = if_match(&headers)?;
    let done = hub.delete(&actor, id, if_match.as_ref()).await?;
    written(id, done).map(|_| StatusCode::NO_CONTENT)
}

/// Tells a client which actor its token stands for, so it can recognise its own changes.
async fn me(Reader(caller): Reader) -> Json<serde_json::Value> {
    let actor = match caller {
        Caller::Actor(name) => Some(name),
        Caller::Anonymous => None,
    };
    Json(json!({ "actor": actor }))
}

/// `PUT /presence {"viewing": id or null}`: the record the caller has open,
/// for `focus_ttl` unless renewed. Only a known actor can be present.
async fn view(
    State(hub): State<Arc<Hub>>,
    Reader(caller): Reader,
    Json(body): Json<herald_wire::Viewing>,
) -> Result<StatusCode, ApiError> {
    let Caller::Actor(actor) = caller else { return Err(ApiError::Unauthorized) };
    hub.room().view(&actor, body.viewing, hub.config().focus_ttl);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /healthz`, for a load balancer or a supervisor: whether the store
/// (SQLite, or Redis) answers. It needs no token and says nothing of the data.
async fn healthz(State(hub): State<Arc<Hub>>) -> (StatusCode, Json<serde_json::Value>) {
    let kind = hub.store_kind();
    match hub.current_seq().await {
        Ok(_) => (StatusCode::OK, Json(json!({ "store": "ok", "backend": kind }))),
        Err(e) => {
            tracing::error!(error = %e, "the health check found the store failing");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "store": "failing", "backend": kind })))
        }
    }
}

/// Counts every refused request by its status, whatever route refused it.
async fn count_refusals(State(hub): State<Arc<Hub>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(reason) = Metrics::refusal(response.status().as_u16()) {
        hub.metrics().refused(reason);
    }
    response
}

/// `GET /metrics`, in the Prometheus text format (see [`crate::metrics`]).
#[cfg(feature = "metrics")]
async fn metrics(State(hub): State<Arc<Hub>>) -> Response {
    let Ok(text) = hub.metrics().scrape(hub.open_streams()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let kind = HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    ([(header::CONTENT_TYPE, kind)], text).into_response()
}
