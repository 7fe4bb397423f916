//! An ntfy emulator, for what the real ntfy (see [`crate::real::ntfy`])
//! cannot be made to do in a test: a storm faster than its rate limits,
//! thousands of topics, a window test that needs no binary from outside.
//!
//! It sends exactly what ntfy 2.13 sends, checked with `curl -sN` against
//! the real one:
//!
//! ```text
//! event: open
//! data: {"id":"l0lWw0X7fOmc","time":1796625170,"event":"open","topic":"alerts"}
//!
//! data: {"id":"NEOdWLLJHPJK","time":1796625171,"expires":1796668371,"event":"message","topic":"alerts","title":"T1","message":"hello","priority":5,"tags":["warning"],"click":"https://example.com"}
//!
//! event: keepalive
//! data: {"id":"viLzgHM9iH1j","time":1796625175,"event":"keepalive","topic":"alerts"}
//! ```
//!
//! A message has no `event:` line and no `id:` line; `open` and `keepalive`
//! carry ids of their own in their data; a keepalive comes every 45 s (or
//! as set). `?since=ID` replays the messages after that message, and an id
//! that is not a message's replays the whole cache, as ntfy does.
//!
//! It also sends what ntfy 2.16 and 2.17 added, which the real binary here
//! (2.13) cannot: a message's `sequence_id` (right after its `id`, and left
//! out when it is the id, as in ntfy's message struct), `message_delete`
//! and `message_clear` events (with an `event:` line, as ntfy writes every
//! event that is not a message, and cached like messages), and the `copy`
//! action. 2.13 refuses `copy` ("parameter 'action' cannot be 'copy'").

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio_stream::StreamExt;

/// ntfy's default keepalive interval.
pub const KEEPALIVE: Duration = Duration::from_secs(45);

/// How long ntfy keeps a message in its cache by default: 12 hours.
const CACHE_SECS: u64 = 12 * 3600;

/// What was sent: its id, its event type when it has an `event:` line,
/// and its JSON text.
type Sent = (String, Option<&'static str>, Arc<str>);

struct Topic {
    messages: Mutex<Vec<Sent>>,
    live: broadcast::Sender<(Option<&'static str>, Arc<str>)>,
    keepalive: Duration,
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
    /// ntfy 2.16's: a message of a sequence updates the one before it.
    pub sequence_id: Option<&'a str>,
    pub icon: Option<&'a str>,
    /// Action buttons, as ntfy's JSON has them.
    pub actions: Option<Value>,
    /// An attachment by URL (ntfy's `attach=`): ntfy names it after the
    /// URL's last part, and fetches nothing.
    pub attach: Option<&'a str>,
    pub markdown: bool,
}

#[derive(serde::Deserialize)]
struct Since {
    since: Option<String>,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A 12-character id of letters and digits, as ntfy makes them.
fn new_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..12).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

/// A JSON object with its fields in this order, as ntfy (Go) writes them.
fn ordered(fields: &[(&str, Value)]) -> String {
    let fields: Vec<String> = fields.iter().map(|(name, value)| format!("{}:{value}", json!(name))).collect();
    format!("{{{}}}", fields.join(","))
}

/// `open` or `keepalive`, as ntfy sends them: an `event:` line, and an id of their own.
fn control(kind: &str, topic: &str) -> Event {
    let data =
        ordered(&[("id", json!(new_id())), ("time", json!(now())), ("event", json!(kind)), ("topic", json!(topic))]);
    Event::default().event(kind).data(data)
}

/// A message: its JSON alone, with no `event:` line; any other cached
/// event with its `event:` line.
fn message(kind: Option<&str>, json: &str) -> Event {
    match kind {
        Some(kind) => Event::default().event(kind).data(json),
        None => Event::default().data(json),
    }
}

async fn sse(
    State(topic): State<Arc<Topic>>,
    Path(name): Path<String>,
    Query(since): Query<Since>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let live = topic.live.subscribe();
    let backlog: Vec<(Option<&str>, Arc<str>)> = match since.since.as_deref() {
        None | Some("") => Vec::new(),
        Some(id) => {
            let messages = topic.messages.lock().unwrap();
            // An id that is not a message's: the whole cache.
            let after = messages.iter().position(|(sent, _, _)| sent == id).map_or(0, |at| at + 1);
            messages[after..].iter().map(|(_, kind, json)| (*kind, json.clone())).collect()
        }
    };
    let head = std::iter::once(control("open", &name)).chain(backlog.iter().map(|(kind, json)| message(*kind, json)));
    let head = tokio_stream::iter(head.map(Ok).collect::<Vec<_>>());
    let messages = tokio_stream::wrappers::BroadcastStream::new(live)
        .filter_map(|m| m.ok())
        .map(|(kind, json)| message(kind, &json));
    let start = tokio::time::Instant::now() + topic.keepalive;
    let keepalives = tokio_stream::wrappers::IntervalStream::new(tokio::time::interval_at(start, topic.keepalive))
        .map(move |_| control("keepalive", &name));
    Sse::new(head.chain(messages.merge(keepalives).map(Ok)))
}

/// The fields every cached event starts with, in ntfy's order; the
/// sequence is left out when it is the event's own id.
fn head(id: &str, sequence_id: Option<&str>, event: &str, topic: &str) -> Vec<(&'static str, Value)> {
    let time = now();
    let mut fields = vec![("id", json!(id))];
    fields.extend(sequence_id.filter(|s| *s != id).map(|s| ("sequence_id", json!(s))));
    fields.extend([
        ("time", json!(time)),
        ("expires", json!(time + CACHE_SECS)),
        ("event", json!(event)),
        ("topic", json!(topic)),
    ]);
    fields
}

impl Ntfy {
    pub async fn start() -> Ntfy {
        Ntfy::with(64, KEEPALIVE).await
    }

    /// A server whose live stream holds up to `buffer` messages for a slow
    /// subscriber before it drops them: a storm needs room.
    pub async fn with_buffer(buffer: usize) -> Ntfy {
        Ntfy::with(buffer, KEEPALIVE).await
    }

    /// A server with a live buffer and a keepalive interval of its own.
    pub async fn with(buffer: usize, keepalive: Duration) -> Ntfy {
        let topic = Arc::new(Topic { messages: Mutex::default(), live: broadcast::channel(buffer).0, keepalive });
        let app = Router::new().route("/{topic}/sse", get(sse)).with_state(topic.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ntfy { url, topic }
    }

    /// Publishes a message to the topic; its id, as ntfy would give it.
    pub fn publish(&self, topic: &str, message: &Message<'_>) -> String {
        let id = new_id();
        let mut fields = head(&id, message.sequence_id, "message", topic);
        fields.extend(message.title.map(|title| ("title", json!(title))));
        fields.push(("message", json!(message.message)));
        fields.extend(message.priority.map(|priority| ("priority", json!(priority))));
        fields.extend((!message.tags.is_empty()).then(|| ("tags", json!(message.tags))));
        fields.extend(message.click.map(|click| ("click", json!(click))));
        fields.extend(message.icon.map(|icon| ("icon", json!(icon))));
        fields.extend(message.actions.clone().map(|actions| ("actions", actions)));
        fields.extend(message.attach.map(|url| {
            let name = url.rsplit('/').next().unwrap_or_default();
            // In ntfy's order, which is also the alphabetical order serde_json keeps.
            ("attachment", json!({"name": name, "url": url}))
        }));
        fields.extend(message.markdown.then(|| ("content_type", json!("text/markdown"))));
        self.send(id, None, &fields)
    }

    /// Withdraws the message of `sequence_id` (ntfy 2.16's `DELETE
    /// /TOPIC/SEQUENCE_ID`): a `message_delete` event. Its id.
    pub fn delete(&self, topic: &str, sequence_id: &str) -> String {
        let id = new_id();
        let fields = head(&id, Some(sequence_id), "message_delete", topic);
        self.send(id, Some("message_delete"), &fields)
    }

    /// Marks the message of `sequence_id` read (ntfy 2.16's `PUT
    /// /TOPIC/SEQUENCE_ID/clear`): a `message_clear` event. Its id.
    pub fn clear(&self, topic: &str, sequence_id: &str) -> String {
        let id = new_id();
        let fields = head(&id, Some(sequence_id), "message_clear", topic);
        self.send(id, Some("message_clear"), &fields)
    }

    fn send(&self, id: String, kind: Option<&'static str>, fields: &[(&str, Value)]) -> String {
        let json: Arc<str> = ordered(fields).into();
        self.topic.messages.lock().unwrap().push((id.clone(), kind, json.clone()));
        let _ = self.topic.live.send((kind, json));
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a subscriber reads, as `curl -sN` shows it.
    async fn read(url: &str, until: usize) -> String {
        let mut response = reqwest::get(url).await.unwrap();
        let mut text = String::new();
        while text.matches("\n\n").count() < until {
            text.push_str(&String::from_utf8_lossy(&response.chunk().await.unwrap().unwrap()));
        }
        text
    }

    #[tokio::test]
    async fn it_sends_what_ntfy_sends() {
        let ntfy = Ntfy::with(16, Duration::from_millis(200)).await;
        let first = ntfy.publish("alerts", &Message { title: Some("T1"), message: "hello", ..Default::default() });
        let text = read(&format!("{}/alerts/sse?since=nothing-like-an-id", ntfy.url), 3).await;
        let blocks: Vec<&str> = text.split("\n\n").collect();
        assert!(blocks[0].starts_with("event: open\ndata: {\"id\":\""), "{text}");
        assert!(blocks[1].starts_with(&format!("data: {{\"id\":\"{first}\",\"time\":")), "no event line: {text}");
        assert!(blocks[1].contains(r#""event":"message","topic":"alerts","title":"T1","message":"hello"}"#));
        assert!(blocks[2].starts_with("event: keepalive\ndata: {\"id\":\""), "{text}");
        assert!(!text.contains("\nid:"), "ids only in the data");
        let after = read(&format!("{}/alerts/sse?since={first}", ntfy.url), 2).await;
        assert!(!after.contains("hello"), "since a message: what came after it: {after}");
    }

    #[tokio::test]
    async fn it_sends_what_ntfy_2_16_adds() {
        let ntfy = Ntfy::start().await;
        let first = ntfy.publish("alerts", &Message { message: "0%", ..Default::default() });
        let update = Message { message: "50%", sequence_id: Some(&first), ..Default::default() };
        let second = ntfy.publish("alerts", &update);
        ntfy.delete("alerts", &first);
        let text = read(&format!("{}/alerts/sse?since=all", ntfy.url), 4).await;
        let blocks: Vec<&str> = text.split("\n\n").collect();
        assert!(blocks[1].starts_with(&format!("data: {{\"id\":\"{first}\",\"time\":")), "{text}");
        assert!(
            blocks[2].starts_with(&format!("data: {{\"id\":\"{second}\",\"sequence_id\":\"{first}\",\"time\":")),
            "{text}"
        );
        assert!(blocks[3].starts_with("event: message_delete\ndata: {\"id\":\""), "{text}");
        assert!(blocks[3].contains(&format!("\"sequence_id\":\"{first}\"")), "{text}");
    }
}
