//! An ntfy-style server for tests, following ntfy's documented wire format
//! (ntfy itself needs a newer Go than Debian has): `GET /{topic}/sse`
//! sends `event: open`, then each message as `event: message` with its
//! JSON (`id`, `time`, `topic`, `title`, `message`, `priority`, `click`,
//! `tags`) and no `id:` line; `?since=ID` replays what came after that id.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio_stream::StreamExt;

struct Topic {
    messages: Mutex<Vec<Value>>,
    live: broadcast::Sender<Value>,
}

pub struct Ntfy {
    /// The server's root: `http://127.0.0.1:PORT`.
    pub url: String,
    topic: Arc<Topic>,
}

/// One message to publish.
#[derive(Debug, Clone, Default)]
pub struct Message<'a> {
    pub title: Option<&'a str>,
    pub message: &'a str,
    pub priority: Option<u8>,
    pub click: Option<&'a str>,
    pub tags: &'a [&'a str],
}

#[derive(serde::Deserialize)]
struct Since {
    since: Option<String>,
}

async fn sse(
    State(topic): State<Arc<Topic>>,
    Path(name): Path<String>,
    Query(since): Query<Since>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let live = topic.live.subscribe();
    let backlog: Vec<Value> = {
        let messages = topic.messages.lock().unwrap();
        let after = since.since.as_deref().and_then(|id| messages.iter().position(|m| m["id"] == id));
        messages.iter().skip(after.map_or(0, |at| at + 1)).cloned().collect()
    };
    let open = json!({"id": format!("open-{}", backlog.len()), "event": "open", "topic": name});
    let first = std::iter::once(Event::default().event("open").data(open.to_string()));
    let replay = backlog.into_iter().map(|m| Event::default().event("message").data(m.to_string()));
    let head = tokio_stream::iter(first.chain(replay).map(Ok));
    let tail = tokio_stream::wrappers::BroadcastStream::new(live)
        .filter_map(|m| m.ok())
        .map(|m| Ok(Event::default().event("message").data(m.to_string())));
    Sse::new(head.chain(tail))
}

impl Ntfy {
    pub async fn start() -> Ntfy {
        Ntfy::with_buffer(64).await
    }

    /// A server whose live stream holds up to `buffer` messages for a slow
    /// subscriber before it drops them: a storm needs room.
    pub async fn with_buffer(buffer: usize) -> Ntfy {
        let topic = Arc::new(Topic { messages: Mutex::default(), live: broadcast::channel(buffer).0 });
        let app = Router::new().route("/{topic}/sse", get(sse)).with_state(topic.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ntfy { url, topic }
    }

    /// Publishes a message to the topic; its id, as ntfy would give it.
    pub fn publish(&self, topic: &str, message: &Message<'_>) -> String {
        let mut messages = self.topic.messages.lock().unwrap();
        let id = format!("m{}", messages.len() + 1);
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut json = json!({"id": id, "time": time, "event": "message", "topic": topic, "message": message.message});
        if let Some(title) = message.title {
            json["title"] = json!(title);
        }
        if let Some(priority) = message.priority {
            json["priority"] = json!(priority);
        }
        if let Some(click) = message.click {
            json["click"] = json!(click);
        }
        if !message.tags.is_empty() {
            json["tags"] = json!(message.tags);
        }
        messages.push(json.clone());
        let _ = self.topic.live.send(json);
        id
    }
}
