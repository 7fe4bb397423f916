//! The REST routes and who is calling them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::hub::Hub;
use crate::model::{clean_name, Change, NewTask, Task, TaskPatch};
use crate::store::StoreError;

/// Response header of `GET /tasks`: the sequence number of the last change the
/// snapshot includes, to pass as `Last-Event-ID` so the stream resumes with no gap.
pub const SEQUENCE_HEADER: &str = "herald-sequence";

pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/tasks", get(list).post(create))
        .route("/tasks/subscribe", get(crate::stream::subscribe))
        .route("/tasks/{id}", get(one).put(update).delete(remove))
        .route("/me", get(me))
        .with_state(hub)
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("no task with id {0}")]
    NotFound(i64),
    #[error("{0}")]
    Invalid(&'static str),
    #[error("internal error")]
    Internal(#[from] StoreError),
    /// The worker running the request failed (it panicked or was cancelled).
    #[error("internal error")]
    WorkerFailed,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "store failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::WorkerFailed => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut response = (status, Json(json!({ "error": self.to_string() }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Who is calling: a named actor, or nobody (allowed for reads when configured).
pub(crate) enum Caller {
    Actor(String),
    Anonymous,
}

impl Caller {
    pub(crate) fn identify(hub: &Hub, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(Caller::Anonymous) };
        // The scheme name is case-insensitive (RFC 9110, section 11.1).
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or(ApiError::Unauthorized)?;
        hub.config().actor_for(token.trim()).map(|a| Caller::Actor(a.to_owned())).ok_or(ApiError::Unauthorized)
    }

    /// Readers must be known unless the hub allows anonymous reads.
    pub(crate) fn reader(hub: &Hub, headers: &HeaderMap) -> Result<Caller, ApiError> {
        match Caller::identify(hub, headers)? {
            Caller::Anonymous if !hub.config().anonymous_reads => Err(ApiError::Unauthorized),
            caller => Ok(caller),
        }
    }

    fn writer(hub: &Hub, headers: &HeaderMap) -> Result<String, ApiError> {
        match Caller::identify(hub, headers)? {
            Caller::Actor(name) => Ok(name),
            Caller::Anonymous => Err(ApiError::Unauthorized),
        }
    }
}

/// Runs store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    hub: &Arc<Hub>,
    work: impl FnOnce(&Hub) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let hub = hub.clone();
    match tokio::task::spawn_blocking(move || work(&hub)).await {
        Ok(result) => Ok(result?),
        Err(join) => {
            tracing::error!(error = %join, "store task failed");
            Err(ApiError::WorkerFailed)
        }
    }
}

async fn list(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Result<Response, ApiError> {
    Caller::reader(&hub, &headers)?;
    let (tasks, seq) = blocking(&hub, |h| h.snapshot()).await?;
    let mut response = Json(tasks).into_response();
    response.headers_mut().insert(SEQUENCE_HEADER, HeaderValue::from(seq));
    Ok(response)
}

async fn one(State(hub): State<Arc<Hub>>, headers: HeaderMap, Path(id): Path<i64>) -> Result<Json<Task>, ApiError> {
    Caller::reader(&hub, &headers)?;
    blocking(&hub, move |h| h.get(id)).await?.map(Json).ok_or(ApiError::NotFound(id))
}

async fn create(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Json(body): Json<NewTask>,
) -> Result<(StatusCode, HeaderMap, Json<Task>), ApiError> {
    let actor = Caller::writer(&hub, &headers)?;
    let name = clean_name(&body.name).map_err(ApiError::Invalid)?;
    let change = blocking(&hub, move |h| h.create(&actor, &name)).await?;
    let mut out = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/tasks/{}", change.task.id)) {
        out.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, out, Json(change.task)))
}

async fn update(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(mut patch): Json<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    let actor = Caller::writer(&hub, &headers)?;
    if patch.name.is_none() && patch.done.is_none() {
        return Err(ApiError::Invalid("give at least one of name and done"));
    }
    if let Some(name) = &patch.name {
        patch.name = Some(clean_name(name).map_err(ApiError::Invalid)?);
    }
    let change: Option<Change> = blocking(&hub, move |h| h.update(&actor, id, &patch)).await?;
    change.map(|c| Json(c.task)).ok_or(ApiError::NotFound(id))
}

async fn remove(State(hub): State<Arc<Hub>>, headers: HeaderMap, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    let actor = Caller::writer(&hub, &headers)?;
    match blocking(&hub, move |h| h.delete(&actor, id)).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound(id)),
    }
}

/// Tells a client which actor its token stands for, so it can recognise its own changes.
async fn me(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = match Caller::reader(&hub, &headers)? {
        Caller::Actor(name) => Some(name),
        Caller::Anonymous => None,
    };
    Ok(Json(json!({ "actor": actor })))
}
