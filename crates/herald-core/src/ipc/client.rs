//! One connection to Herald's socket. A task owns it: it writes the calls
//! and routes each answer to its caller by id, and pushes to whoever takes
//! [`Client::pushes`].

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use tokio::io::BufReader;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

use super::frame;
use super::{Message, Numbered, Outcome, Push, Request, Subscribe};
use crate::call::{Answer, Call};
use crate::error::Error;

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

    /// Asks Herald, and waits for the answer: the call's own answer type.
    pub async fn ask<C: Call + Into<Request>>(&self, call: C) -> Answer<C> {
        let value = self.request(call.into()).await?;
        serde_json::from_value(value).map_err(|e| Error::internal(format!("an answer that does not read: {e}")))
    }

    async fn request(&self, request: Request) -> Result<Value, Error> {
        let (answer, answered) = oneshot::channel();
        self.calls.send((request, answer)).map_err(|_| Error::stopped())?;
        match answered.await.map_err(|_| Error::stopped())? {
            Outcome::Ok(value) => Ok(value),
            Outcome::Error(error) => Err(error),
        }
    }

    /// Subscribes, and takes what is pushed from now on (once). A `window`
    /// counts as an open window while it stays connected.
    pub async fn subscribe(&mut self, window: bool) -> Result<mpsc::Receiver<Push>, Error> {
        let pushes = self.pushes.take().ok_or_else(|| Error::invalid("already subscribed"))?;
        self.ask(Subscribe { window }).await?;
        Ok(pushes)
    }
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
                let id = message.is_err().then(|| serde_json::from_slice::<Value>(&line).ok()?.get("id")?.as_u64()).flatten();
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
                    Err(e) => {
                        // An answer that does not read (a Herald of another
                        // version, say) ends its call, rather than leave it
                        // waiting for ever.
                        match id.and_then(|id| pending.remove(&id)) {
                            Some(caller) => {
                                let error = Error::internal(format!("an answer from Herald that does not read: {e}"));
                                let _ = caller.send(Outcome::Error(error));
                            }
                            None => tracing::warn!(error = %e, "Herald sent a line that does not read"),
                        }
                    }
                }
            }
            call = calls.recv() => {
                let Some((request, caller)) = call else { return };
                let id = next;
                next += 1;
                if frame::write(&mut write, &Numbered { id, request }).await.is_err() {
                    return;
                }
                pending.insert(id, caller);
            }
        }
    }
}
