//! The REST side of a task-list server: `GET/POST/PUT/DELETE /tasks[/:id]` and `GET /me`.

use reqwest::header::AUTHORIZATION;
use reqwest::{RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::model::Task;

/// Response header of `GET /tasks` with the last event id the snapshot includes.
pub const SEQUENCE_HEADER: &str = "herald-sequence";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("could not reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered {status}: {message}")]
    Status { url: String, status: u16, message: String },
    #[error("{url} sent a response Herald cannot read: {reason}")]
    Unreadable { url: String, reason: String },
}

/// A task-list server's REST API, as one user (bearer token).
#[derive(Clone)]
pub struct TasksApi {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl std::fmt::Debug for TasksApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("TasksApi").field("base", &self.base).field("token", &self.token.as_ref().map(|_| "…")).finish()
    }
}

impl TasksApi {
    /// `base` is the server's root, e.g. `http://127.0.0.1:7878`.
    pub fn new(client: reqwest::Client, base: &str, token: Option<String>) -> Self {
        TasksApi { client, base: base.trim_end_matches('/').to_owned(), token }
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The SSE stream of changes.
    pub fn subscribe_url(&self) -> String {
        format!("{}/tasks/subscribe", self.base)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            None => request,
        }
    }

    async fn send(&self, url: &str, request: RequestBuilder) -> Result<Response, ApiError> {
        let response = self
            .authorized(request)
            .send()
            .await
            .map_err(|e| ApiError::Unreachable { url: url.to_owned(), reason: e.to_string() })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| body.chars().take(200).collect());
        Err(ApiError::Status { url: url.to_owned(), status: status.as_u16(), message })
    }

    async fn json<T: DeserializeOwned>(url: &str, response: Response) -> Result<T, ApiError> {
        response.json().await.map_err(|e| ApiError::Unreadable { url: url.to_owned(), reason: e.to_string() })
    }

    /// The actor name this user's changes carry, if the server says. A
    /// server without `GET /me` is fine: own changes are then not recognised.
    pub async fn me(&self) -> Result<Option<String>, ApiError> {
        let url = self.url("/me");
        let response = match self.send(&url, self.client.get(&url)).await {
            Err(ApiError::Status { status: 404 | 405, .. }) => return Ok(None),
            other => other?,
        };
        let body: serde_json::Value = Self::json(&url, response).await?;
        Ok(body.get("actor").and_then(|a| a.as_str()).map(str::to_owned))
    }

    /// All tasks, and the event id the snapshot is current to (when the server says).
    pub async fn snapshot(&self) -> Result<(Vec<Task>, Option<String>), ApiError> {
        let url = self.url("/tasks");
        let response = self.send(&url, self.client.get(&url)).await?;
        let seq = response.headers().get(SEQUENCE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok((Self::json(&url, response).await?, seq))
    }

    pub async fn create(&self, name: &str) -> Result<Task, ApiError> {
        let url = self.url("/tasks");
        let response = self.send(&url, self.client.post(&url).json(&json!({ "name": name }))).await?;
        Self::json(&url, response).await
    }

    pub async fn set_done(&self, id: i64, done: bool) -> Result<Task, ApiError> {
        let url = self.url(&format!("/tasks/{id}"));
        let response = self.send(&url, self.client.put(&url).json(&json!({ "done": done }))).await?;
        Self::json(&url, response).await
    }

    pub async fn rename(&self, id: i64, name: &str) -> Result<Task, ApiError> {
        let url = self.url(&format!("/tasks/{id}"));
        let response = self.send(&url, self.client.put(&url).json(&json!({ "name": name }))).await?;
        Self::json(&url, response).await
    }

    pub async fn delete(&self, id: i64) -> Result<(), ApiError> {
        let url = self.url(&format!("/tasks/{id}"));
        self.send(&url, self.client.delete(&url)).await.map(drop)
    }
}
