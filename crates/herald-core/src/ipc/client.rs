//! One connection to Herald's socket. A task owns it: it writes the calls
//! and routes each answer to its caller by id, and pushes to whoever takes
//! [`Client::pushes`].

use std::collections::HashMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::BufReader;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

use super::frame;
use super::{failure, Call, Message, Outcome, Push, Request};
use crate::engine::{Command, Reply};
use crate::feed::FieldError;

/// Pushes held for a client that has not read them yet; past this it is
/// told it lagged, as the server does.
const INBOX: usize = 1024;

type Pending = oneshot::Sender<Outcome>;

/// A connection to the running Herald.
pub struct Client {
    calls: mpsc::UnboundedSender<(Request, Pending)>,
    pushes: Option<mpsc::Receiver<Push>>,
}

impl Client {
    /// Connects to the socket at `path`: an error when no Herald listens.
    pub async fn connect(path: &Path) -> std::io::Result<Client> {
        let stream = UnixStream::connect(path).await?;
        let (calls, queued) = mpsc::unbounded_channel();
        let (inbox, pushes) = mpsc::channel(INBOX);
        tokio::spawn(run(stream, queued, inbox));
        Ok(Client { calls, pushes: Some(pushes) })
    }

    /// Sends `request` and waits for its answer.
    pub async fn call(&self, request: Request) -> Result<Value, FieldError> {
        let (answer, answered) = oneshot::channel();
        self.calls.send((request, answer)).map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?.into_result()
    }

    /// Sends `request`, and reads its answer as a `T`.
    pub async fn call_as<T: DeserializeOwned>(&self, request: Request) -> Result<T, FieldError> {
        let value = self.call(request).await?;
        serde_json::from_value(value).map_err(|e| failure(format!("an answer that does not read: {e}")))
    }

    /// Sends one of the engine's commands; its reply.
    pub async fn send(&self, command: Command) -> Reply {
        match self.call_as::<Reply>(Request::Engine { command }).await {
            Ok(reply) => reply,
            Err(error) => Reply::Error { message: error.message },
        }
    }

    /// Subscribes, and takes what is pushed from now on (once). A `window`
    /// counts as an open window while it stays connected.
    pub async fn subscribe(&mut self, window: bool) -> Result<mpsc::Receiver<Push>, FieldError> {
        let pushes = self.pushes.take().ok_or_else(|| failure("already subscribed"))?;
        self.call(Request::Subscribe { window }).await?;
        Ok(pushes)
    }
}

fn gone() -> FieldError {
    failure("Herald has stopped")
}

/// The connection's task.
async fn run(stream: UnixStream, mut calls: mpsc::UnboundedReceiver<(Request, Pending)>, inbox: mpsc::Sender<Push>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut pending: HashMap<u64, Pending> = HashMap::new();
    let mut next = 1u64;
    let mut lagged = 0u64;
    let mut line = Vec::new();
    loop {
        tokio::select! {
            read = frame::read_line(&mut reader, &mut line) => {
                match read {
                    Ok(true) => {}
                    Ok(false) | Err(_) => return,
                }
                let message = frame::parse::<Message>(&line);
                line.clear();
                match message {
                    Ok(Message::Answer { id, outcome }) => {
                        if let Some(caller) = pending.remove(&id) {
                            let _ = caller.send(outcome);
                        }
                    }
                    Ok(Message::Push { push }) => {
                        // Whoever reads the pushes hears first how many it lost.
                        if lagged > 0 && inbox.try_send(Push::Lagged { missed: lagged }).is_ok() {
                            lagged = 0;
                        }
                        if lagged > 0 || inbox.try_send(*push).is_err() {
                            lagged += 1;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "Herald sent a line that does not read"),
                }
            }
            call = calls.recv() => {
                let Some((request, caller)) = call else { return };
                let id = next;
                next += 1;
                if frame::write(&mut write, &Call { id, request }).await.is_err() {
                    return;
                }
                pending.insert(id, caller);
            }
        }
    }
}
