//! The REST routes. Who may call each is in its signature (see [`crate::auth`]).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::auth::{Caller, Reader, Writer};
use crate::error::{blocking, ApiError};
use crate::hub::Hub;
use crate::model::{clean_name, Change, NewTask, Task, TaskPatch};

pub use herald_wire::SEQUENCE_HEADER;

pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/tasks", get(list).post(create))
        .route("/tasks/subscribe", get(crate::stream::subscribe))
        .route("/tasks/{id}", get(one).put(update).delete(remove))
        .route("/me", get(me))
        .with_state(hub)
}

async fn list(State(hub): State<Arc<Hub>>, _: Reader) -> Result<Response, ApiError> {
    let (tasks, seq) = blocking(&hub, |h| h.snapshot()).await?;
    let mut response = Json(tasks).into_response();
    response.headers_mut().insert(SEQUENCE_HEADER, HeaderValue::from(seq));
    Ok(response)
}

async fn one(State(hub): State<Arc<Hub>>, _: Reader, Path(id): Path<i64>) -> Result<Json<Task>, ApiError> {
    blocking(&hub, move |h| h.get(id)).await?.map(Json).ok_or(ApiError::NotFound(id))
}

async fn create(
    State(hub): State<Arc<Hub>>,
    Writer(actor): Writer,
    Json(body): Json<NewTask>,
) -> Result<(StatusCode, HeaderMap, Json<Task>), ApiError> {
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
    Writer(actor): Writer,
    Path(id): Path<i64>,
    Json(mut patch): Json<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    if patch.name.is_none() && patch.done.is_none() {
        return Err(ApiError::Invalid("give at least one of name and done"));
    }
    if let Some(name) = &patch.name {
        patch.name = Some(clean_name(name).map_err(ApiError::Invalid)?);
    }
    let change: Option<Change> = blocking(&hub, move |h| h.update(&actor, id, &patch)).await?;
    change.map(|c| Json(c.task)).ok_or(ApiError::NotFound(id))
}

async fn remove(
    State(hub): State<Arc<Hub>>,
    Writer(actor): Writer,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    match blocking(&hub, move |h| h.delete(&actor, id)).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound(id)),
    }
}

/// Tells a client which actor its token stands for, so it can recognise its own changes.
async fn me(Reader(caller): Reader) -> Json<serde_json::Value> {
    let actor = match caller {
        Caller::Actor(name) => Some(name),
        Caller::Anonymous => None,
    };
    Json(json!({ "actor": actor }))
}
