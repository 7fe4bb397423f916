//! A REST task list as found in the wild, for end-to-end tests: HTTP/2
//! only, over TLS with a self-signed certificate marked CA:TRUE, and SSE
//! `create|update|delete` events that carry no ids and no keepalives. A
//! create leaves `done` out, `done` is `0` or `1`, and a delete's id is a
//! JSON string. The stream needs `Accept: text/event-stream` exactly.
//!
//! It can be stopped and started again on the same port with the same
//! list, and changed while it is down, so a test can check what a client
//! learns about the changes it could not hear.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio_rustls::TlsAcceptor;

use crate::tls::Identity;

type Body = BoxBody<Bytes, Infallible>;

#[derive(Default)]
struct List {
    tasks: BTreeMap<i64, (String, bool)>,
    next: i64,
}

struct Shared {
    list: Mutex<List>,
    live: broadcast::Sender<String>,
}

impl Shared {
    fn list(&self) -> std::sync::MutexGuard<'_, List> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tell(&self, live: bool, kind: &str, data: Value) {
        if live {
            let _ = self.live.send(format!("event: {kind}\ndata: {data}\n\n"));
        }
    }

    fn create(&self, name: &str, live: bool) -> i64 {
        let id = {
            let mut list = self.list();
            list.next += 1;
            let id = list.next;
            list.tasks.insert(id, (name.to_owned(), false));
            id
        };
        // As such servers do: the create says nothing of `done`.
        self.tell(live, "create", json!({"id": id, "name": name}));
        id
    }

    fn update(&self, id: i64, name: Option<&str>, done: Option<bool>, live: bool) -> bool {
        let updated = {
            let mut list = self.list();
            let Some(task) = list.tasks.get_mut(&id) else { return false };
            if let Some(name) = name {
                task.0 = name.to_owned();
            }
            if let Some(done) = done {
                task.1 = done;
            }
            task.clone()
        };
        self.tell(live, "update", json!({"id": id, "name": updated.0, "done": u8::from(updated.1)}));
        true
    }

    fn delete(&self, id: i64, live: bool) -> bool {
        let removed = self.list().tasks.remove(&id).is_some();
        if removed {
            // The id as a string, unlike everywhere else.
            self.tell(live, "delete", json!({"id": id.to_string()}));
        }
        removed
    }

    fn one(&self, id: i64) -> Option<Value> {
        self.list().tasks.get(&id).map(|(name, done)| task_json(id, name, *done))
    }

    fn snapshot(&self) -> Value {
        let list = self.list();
        Value::Array(list.tasks.iter().map(|(id, (name, done))| task_json(*id, name, *done)).collect())
    }
}

/// The running server.
pub struct TaskList {
    /// The collection: `https://127.0.0.1:PORT/tasks`.
    pub url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: TlsAcceptor,
    stop: watch::Sender<bool>,
    /// The accept loop, which owns the listener.
    serving: tokio::task::JoinHandle<()>,
}

/// The server while it is down: its list stays, and can change unheard.
pub struct Stopped {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: TlsAcceptor,
}

impl TaskList {
    pub async fn start(identity: &Identity) -> TaskList {
        let shared = Arc::new(Shared { list: Mutex::default(), live: broadcast::channel(256).0 });
        let stopped =
            Stopped { addr: "127.0.0.1:0".parse().unwrap(), shared, acceptor: crate::tls::h2_only(identity, None) };
        stopped.start().await
    }

    /// The stream's URL.
    pub fn stream_url(&self) -> String {
        format!("{}/subscribe", self.url)
    }

    /// A teammate's change, heard by every open stream.
    pub fn create(&self, name: &str) -> i64 {
        self.shared.create(name, true)
    }

    pub fn set_done(&self, id: i64, done: bool) -> bool {
        self.shared.update(id, None, Some(done), true)
    }

    pub fn delete(&self, id: i64) -> bool {
        self.shared.delete(id, true)
    }

    pub fn names(&self) -> Vec<String> {
        self.shared.list().tasks.values().map(|(name, _)| name.clone()).collect()
    }

    /// Closes the listener and every open connection; returns once the
    /// port is free again.
    pub async fn stop(self) -> Stopped {
        self.stop.send_replace(true);
        let _ = self.serving.await;
        Stopped { addr: self.addr, shared: self.shared, acceptor: self.acceptor }
    }
}

impl Stopped {
    /// Changes made while the server is down: no stream hears them.
    pub fn create(&self, name: &str) -> i64 {
        self.shared.create(name, false)
    }

    pub fn set_done(&self, id: i64, done: bool) -> bool {
        self.shared.update(id, None, Some(done), false)
    }

    pub fn delete(&self, id: i64) -> bool {
        self.shared.delete(id, false)
    }

    /// Serves again, on the same port, with the same list.
    pub async fn start(self) -> TaskList {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopping) = watch::channel(false);
        let (shared, acceptor) = (self.shared.clone(), self.acceptor.clone());
        let serving = tokio::spawn(async move {
            let mut stopping_accept = stopping.clone();
            loop {
                let socket = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((socket, _)) => socket,
                        Err(_) => return,
                    },
                    _ = stopping_accept.wait_for(|s| *s) => return,
                };
                let (acceptor, shared, mut stopping) = (acceptor.clone(), shared.clone(), stopping.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(socket).await else { return };
                    let service = service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(route(&shared, request).await) }
                    });
                    let connection =
                        http2::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(tls), service);
                    tokio::select! {
                        _ = connection => {}
                        _ = stopping.wait_for(|s| *s) => {}
                    }
                });
            }
        });
        TaskList {
            url: format!("https://127.0.0.1:{}/tasks", addr.port()),
            addr,
            shared: self.shared,
            acceptor: self.acceptor,
            stop,
            serving,
        }
    }
}

/// A task as this server writes it: `done` as 0 or 1.
fn task_json(id: i64, name: &str, done: bool) -> Value {
    json!({"id": id, "name": name, "done": u8::from(done)})
}

fn respond(status: StatusCode, body: Value) -> Response<Body> {
    let body = if body.is_null() { Bytes::new() } else { Bytes::from(body.to_string()) };
    Response::builder().status(status).header("content-type", "application/json").body(Full::new(body).boxed()).unwrap()
}

async fn route(shared: &Arc<Shared>, request: Request<hyper::body::Incoming>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let accept = request.headers().get("accept").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let fields: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = path.strip_prefix("/tasks/").and_then(|id| id.parse::<i64>().ok());
    match (method, path.as_str(), id) {
        (Method::GET, "/tasks/subscribe", _) => {
            if accept.as_deref() != Some("text/event-stream") {
                return respond(StatusCode::NOT_ACCEPTABLE, json!({"error": "Accept must be text/event-stream"}));
            }
            let mut live = shared.live.subscribe();
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(64);
            tokio::spawn(async move {
                while let Ok(block) = live.recv().await {
                    if tx.send(Ok(Frame::data(Bytes::from(block)))).await.is_err() {
                        return;
                    }
                }
            });
            let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(BodyExt::boxed(StreamBody::new(stream)))
                .unwrap()
        }
        (Method::GET, "/tasks", _) => respond(StatusCode::OK, shared.snapshot()),
        (Method::GET, _, Some(id)) => match shared.one(id) {
            Some(task) => respond(StatusCode::OK, task),
            None => respond(StatusCode::NOT_FOUND, json!({"error": "no such task"})),
        },
        (Method::POST, "/tasks", _) => match fields.get("name").and_then(Value::as_str) {
            Some(name) => {
                let id = shared.create(name, true);
                respond(StatusCode::CREATED, json!({"id": id, "name": name, "done": 0}))
            }
            None => respond(StatusCode::BAD_REQUEST, json!({"error": "name is required"})),
        },
        (Method::PUT, _, Some(id)) => {
            let name = fields.get("name").and_then(Value::as_str);
            let done = fields.get("done").and_then(Value::as_bool);
            if shared.update(id, name, done, true) {
                respond(StatusCode::OK, json!({"id": id}))
            } else {
                // What one such server sends for a missing id.
                respond(StatusCode::NOT_FOUND, json!({"error": "no such task"}))
            }
        }
        (Method::DELETE, _, Some(id)) => match shared.delete(id, true) {
            true => respond(StatusCode::NO_CONTENT, Value::Null),
            false => respond(StatusCode::NOT_FOUND, json!({"error": "no such task"})),
        },
        _ => respond(StatusCode::NOT_FOUND, json!({"error": "not found"})),
    }
}
