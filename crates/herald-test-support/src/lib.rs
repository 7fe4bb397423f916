//! Servers for Herald's tests, on 127.0.0.1 only: a scripted raw HTTP
//! server (each connection gets the next scripted answer byte for byte, and
//! every request's head is recorded), an HTTPS server that speaks only
//! HTTP/2 ([`tls`]), nginx from apt ([`nginx`]), and the real ntfy and
//! Mercure ([`real`]). Shared by the crates'
//! loopback tests and the end-to-end test, as a crate rather than borrowed
//! files.

pub mod dante;
pub mod leaks;
pub mod mtls;
pub mod nginx;
pub mod ntfy;
pub mod oidc;
pub mod pictures;
pub mod process;
pub mod real;
pub mod squid;
pub mod tasklist;
pub mod tls;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What the server does on one connection.
pub enum Answer {
    /// Writes these bytes, then closes. The answer says so with
    /// `Connection: close` (added when the script leaves it out), so a
    /// client never reuses a connection that is about to go.
    Close(Vec<u8>),
    /// Writes these bytes, then keeps the connection open.
    Hold(Vec<u8>),
}

pub fn stream_head() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n".to_vec()
}

/// An event stream answer: the head, then `body`.
pub fn sse(body: &[u8]) -> Vec<u8> {
    [stream_head(), body.to_vec()].concat()
}

/// A request's head: the request line, then headers with lower-cased names.
pub type Head = Vec<(String, String)>;

pub struct Server {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Head>>>,
    count: watch::Receiver<usize>,
}

pub async fn serve(answers: Vec<Answer>) -> Server {
    serve_knowing_url(|_| answers).await
}

/// Like [`serve`], for answers that name the server's own URL.
pub async fn serve_knowing_url(answers: impl FnOnce(&str) -> Vec<Answer>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answers = answers(&url);
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let (counted, count) = watch::channel(0);
    tokio::spawn(async move {
        let mut answers = answers.into_iter();
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&head).into_owned();
            let mut lines = text.split("\r\n");
            let mut parsed = vec![("request-line".to_owned(), lines.next().unwrap_or("").to_owned())];
            parsed
                .extend(lines.filter_map(|l| l.split_once(": ")).map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned())));
            let total = {
                let mut seen = seen.lock().unwrap();
                seen.push(parsed);
                seen.len()
            };
            counted.send_replace(total);
            match answers.next() {
                Some(Answer::Close(bytes)) => {
                    let _ = socket.write_all(&closing(bytes)).await;
                    let _ = socket.shutdown().await;
                }
                Some(Answer::Hold(bytes)) => {
                    let _ = socket.write_all(&bytes).await;
                    tokio::spawn(async move {
                        let mut sink = [0u8; 64];
                        while let Ok(n) = socket.read(&mut sink).await {
                            if n == 0 {
                                break;
                            }
                        }
                    });
                }
                None => {}
            }
        }
    });
    Server { url, requests, count }
}

/// `answer` with `Connection: close` after its status line, unless its
/// head already names a `Connection`.
fn closing(answer: Vec<u8>) -> Vec<u8> {
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(answer.len());
    let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
    let Some(line_end) = answer.windows(2).position(|w| w == b"\r\n") else { return answer };
    if head.contains("\r\nconnection:") {
        return answer;
    }
    [&answer[..line_end + 2], b"Connection: close\r\n", &answer[line_end + 2..]].concat()
}

impl Server {
    pub fn header(&self, request: usize, name: &str) -> Option<String> {
        let requests = self.requests.lock().unwrap();
        requests[request].iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    /// Waits until `n` requests have arrived.
    pub async fn requests_made(&self, n: usize) {
        let wait = self.count.clone().wait_for(|c| *c >= n).await.map(drop);
        wait.expect("the server runs as long as the test");
    }

    pub fn request_line(&self, request: usize) -> String {
        self.header(request, "request-line").unwrap()
    }
}
