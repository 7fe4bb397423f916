//! A server of pictures on 127.0.0.1, good and hostile, for what a
//! message's attachment or icon may point at:
//!
//! - `/door.png`: a real PNG (counted, to tell a fetch from the cache);
//! - `/herald.png`: Herald's icon, a picture worth looking at;
//! - `/liar.png`: HTML sent as `image/png`;
//! - `/passwd.png`: a redirect to `file:///etc/passwd`;
//! - `/loop.png`: a redirect to itself, without end;
//! - `/announced.jpg`: a `Content-Length` of 1 GB, and zeros;
//! - `/endless.jpg`: no length, and bytes without end;
//!
//! and `/act`, the target of a message's http action: it answers 200 and
//! records each request's method, `Authorization` and body.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use axum::Router;

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Herald's icon, 128×128.
const HERALD: &[u8] = include_bytes!("../../../icons/128x128.png");

/// One gigabyte, as `/announced.jpg` announces.
pub const GB: u64 = 1 << 30;

/// A request `/act` received: its method, its `Authorization`, its body.
pub type Acted = (String, Option<String>, String);

pub struct Pictures {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    door: Arc<AtomicUsize>,
    acted: Arc<Mutex<Vec<Acted>>>,
}

fn zeros(byte: u8) -> Body {
    Body::from_stream(tokio_stream::iter(std::iter::repeat_with(move || {
        Ok::<_, std::io::Error>(vec![byte; 64 * 1024])
    })))
}

impl Pictures {
    pub async fn start() -> Pictures {
        let door = Arc::new(AtomicUsize::new(0));
        let acted = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route(
                "/door.png",
                get(|State(door): State<Arc<AtomicUsize>>| async move {
                    door.fetch_add(1, Ordering::SeqCst);
                    ([(header::CONTENT_TYPE, "image/png")], PNG)
                }),
            )
            .route("/herald.png", get(|| async { ([(header::CONTENT_TYPE, "image/png")], HERALD) }))
            .route(
                "/liar.png",
                get(|| async { ([(header::CONTENT_TYPE, "image/png")], "<html><script>alert(1)</script>") }),
            )
            .route("/passwd.png", get(|| async { Redirect::temporary("file:///etc/passwd") }))
            .route("/loop.png", get(|| async { Redirect::temporary("/loop.png") }))
            .route(
                "/announced.jpg",
                get(|| async {
                    Response::builder()
                        .header(header::CONTENT_TYPE, "image/jpeg")
                        .header(header::CONTENT_LENGTH, GB.to_string())
                        .body(zeros(0))
                        .expect("a response")
                }),
            )
            .route(
                "/endless.jpg",
                get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], zeros(0xFF)).into_response() }),
            )
            .with_state(door.clone())
            .route(
                "/act",
                any(|State(acted): State<Arc<Mutex<Vec<Acted>>>>, request: Request| async move {
                    let method = request.method().to_string();
                    let auth =
                        request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
                    let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
                    acted.lock().unwrap().push((method, auth, String::from_utf8_lossy(&body).into_owned()));
                    "done"
                })
                .with_state(acted.clone()),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Pictures { url, door, acted }
    }

    /// What `/act` received, in order.
    pub fn acted(&self) -> Vec<Acted> {
        self.acted.lock().unwrap().clone()
    }

    /// How often `/door.png` was fetched.
    pub fn door_fetches(&self) -> usize {
        self.door.load(Ordering::SeqCst)
    }
}
