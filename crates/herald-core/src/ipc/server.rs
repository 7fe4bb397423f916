//! The server side: an owner-only socket, and a task per connection that
//! reads calls, answers each as its handler finishes, and pushes what
//! happens to a client that subscribed.
//!
//! Safety of the socket does not rest on one thing: the folder is the
//! user's own with mode 0700, the socket is 0600, and each peer's uid is
//! checked as it connects (`SO_PEERCRED`).

use std::future::Future;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use tokio::io::BufReader;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};

use super::frame::{self, FrameError};
use super::request::{dispatch, Handler};
use super::{Message, Numbered, Outcome, Push, Request, Subscribe};
use crate::engine::EngineEvent;
use crate::error::Error;

/// Answers and pushes waiting to be written to one client. A client that
/// reads slower than its pushes come loses pushes, and is told so, rather
/// than slowing Herald.
const OUTBOX: usize = 256;

/// This process's effective uid.
pub fn uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Binds the socket at `path`, owner-only. A socket left by a Herald that
/// is gone is replaced; one that answers means Herald is already running,
/// and is an `AddrInUse` error.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    let dir = path.parent().ok_or_else(|| io::Error::other("the socket path has no folder"))?;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = std::fs::metadata(dir)?;
    if meta.uid() != uid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} belongs to another user", dir.display()),
        ));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(io::Error::new(io::ErrorKind::AddrInUse, "Herald is already running"));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Serves `handler` on `listener` until `shutdown` completes. Each
/// connection is a task of its own; a peer of another uid is refused.
pub async fn serve<H: Handler>(listener: UnixListener, handler: Arc<H>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "could not accept a connection");
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        match stream.peer_cred() {
            Ok(peer) if peer.uid() == uid() => {
                tokio::spawn(connection(stream, handler.clone()));
            }
            Ok(peer) => tracing::warn!(uid = peer.uid(), "refused a connection from another user"),
            Err(e) => tracing::warn!(error = %e, "refused a connection whose peer is unknown"),
        }
    }
}

/// One client, until it goes: this task owns its socket.
async fn connection<H: Handler>(stream: UnixStream, handler: Arc<H>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let (outbox, mut out) = mpsc::channel::<Message>(OUTBOX);
    let mut pushing: Option<tokio::task::JoinHandle<()>> = None;
    // Held while the client is connected, and dropped when it goes.
    let mut held: Option<Box<dyn Send>> = None;
    let mut line = Vec::new();
    loop {
        tokio::select! {
            read = frame::read_line(&mut reader, &mut line) => match read {
                Ok(true) => {
                    let call = read_call(&line);
                    line.clear();
                    match call {
                        Ok(Numbered { id, request: Request::Subscribe(Subscribe { window }) }) => {
                            if pushing.is_none() {
                                let (pushes, guard) = handler.subscribe(window);
                                held = guard;
                                pushing = Some(tokio::spawn(push(pushes, outbox.clone(), window)));
                            }
                            let _ = outbox.send(Message::Answer { id, outcome: Outcome::Ok(Value::Null) }).await;
                        }
                        Ok(Numbered { id, request }) => {
                            let (handler, outbox) = (handler.clone(), outbox.clone());
                            tokio::spawn(async move {
                                let outcome = dispatch(&*handler, request).await;
                                let _ = outbox.send(Message::Answer { id, outcome }).await;
                            });
                        }
                        Err((id, error)) => {
                            let _ = outbox.send(Message::Answer { id, outcome: Outcome::Error(error) }).await;
                        }
                    }
                }
                Ok(false) => break,
                Err(FrameError::TooLong) => {
                    let error = Error::invalid(FrameError::TooLong.to_string());
                    let _ = frame::write(&mut write, &Message::Answer { id: 0, outcome: Outcome::Error(error) }).await;
                    break;
                }
                Err(_) => break,
            },
            Some(message) = out.recv() => {
                if frame::write(&mut write, &message).await.is_err() {
                    break;
                }
            }
        }
    }
    if let Some(pushing) = pushing {
        pushing.abort();
    }
    drop(held);
}

/// A call, or the id to answer (0 when it has none) and why it does not read.
fn read_call(line: &[u8]) -> Result<Numbered, (u64, Error)> {
    let value: Value = frame::parse(line).map_err(|e| (0, Error::invalid(e.to_string())))?;
    let id = value.get("id").and_then(Value::as_u64).unwrap_or(0);
    serde_json::from_value(value).map_err(|e| (id, Error::invalid(format!("a request that does not read: {e}"))))
}

/// Carries what happens to one client, saying how much it lost if it fell
/// behind. A window reads changes, not raw events: it is spared those.
async fn push(mut events: broadcast::Receiver<Push>, outbox: mpsc::Sender<Message>, window: bool) {
    loop {
        let push = match events.recv().await {
            Ok(Push::Engine { event: EngineEvent::Events { .. } }) if window => continue,
            Ok(push) => push,
            Err(broadcast::error::RecvError::Lagged(missed)) => Push::Lagged { missed },
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if outbox.send(Message::Push { push: Box::new(push) }).await.is_err() {
            return;
        }
    }
}
