//! `GET /tasks/subscribe`: every change as a Server-Sent Event.
//!
//! A subscriber first follows the live broadcast, then replays the change log
//! after its `Last-Event-ID`, then forwards live changes, skipping those it
//! already sent. Whenever the live side cannot be trusted to be complete (it
//! lagged, or a sequence number was skipped), the subscriber goes back to the
//! log. So a client never sees a gap or a duplicate, however changes race
//! with its connection. When the log (bounded by `history`) no longer reaches
//! back to the client's `Last-Event-ID`, the client gets `event: reset`
//! rather than a silent partial replay.
//!
//! A stream of a known actor also makes that actor present, and is told who
//! is here (`event: presence`, no id: see [`crate::presence`]) once on
//! connect and whenever it changes. The stream ends as soon as its client is
//! gone (its body is dropped), so the actor leaves with it.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use herald_wire::Presence;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::{Caller, Reader};
use crate::error::{blocking, ApiError};
use crate::hub::Hub;
use crate::model::Change;
use crate::presence::Here;

/// Changes read from the log per query while replaying.
const REPLAY_BATCH: usize = 512;

type Outbox = mpsc::Sender<Result<Event, Infallible>>;

pub(crate) async fn subscribe(
    State(hub): State<Arc<Hub>>,
    Reader(caller): Reader,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let bad_id = || ApiError::Invalid("Last-Event-ID must be a sequence number");
    let resume = match headers.get("last-event-id") {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| bad_id())?.trim();
            if value.is_empty() {
                None
            } else {
                Some(value.parse::<u64>().map_err(|_| bad_id())?)
            }
        }
    };
    let live = hub.follow();
    let start = match resume {
        Some(seq) => seq,
        None => blocking(&hub, |h| h.current_seq()).await?,
    };
    let (tx, rx) = mpsc::channel(64);
    let keepalive = KeepAlive::new().interval(hub.config().keepalive).text("keepalive");
    let presence = match caller {
        Caller::Actor(actor) => Some((hub.room().join(&actor), hub.room().follow())),
        Caller::Anonymous => None,
    };
    tokio::spawn(feed(hub, live, presence, start, tx));
    let mut response = Sse::new(ReceiverStream::new(rx)).keep_alive(keepalive).into_response();
    // Tells nginx and similar proxies not to buffer the stream.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn event(change: &Change) -> Event {
    Event::default().id(change.seq.to_string()).event(change.kind.as_str()).data(change.data_json())
}

/// Who is here, with no id: it is not part of the change log.
fn presence_event(presence: &Presence) -> Event {
    let data = serde_json::to_string(presence).expect("presence always serializes");
    Event::default().event(herald_wire::PRESENCE_EVENT).data(data)
}

/// Sends one subscriber its stream until it goes away or the hub closes.
/// `presence` is its actor's place in the room and the room's news, for a
/// known actor.
async fn feed(
    hub: Arc<Hub>,
    mut live: broadcast::Receiver<Arc<Change>>,
    presence: Option<(Here, watch::Receiver<Arc<Presence>>)>,
    mut last: u64,
    tx: Outbox,
) {
    let closing = hub.closing().clone();
    let (here, mut room) = presence.unzip();
    let run = async {
        tx.send(Ok(Event::default().retry(hub.config().retry))).await.ok()?;
        // What this stream was last told: the room tells every stream, and
        // this one may have heard it already on connect.
        let mut said = None;
        if let Some(room) = &mut room {
            room.mark_unchanged();
            let now = hub.room().now();
            tx.send(Ok(presence_event(&now))).await.ok()?;
            said = Some(now);
        }
        reset_if_forgotten(&hub, &mut last, &tx).await?;
        catch_up(&hub, &mut last, &tx).await?;
        loop {
            let received = tokio::select! {
                received = live.recv() => received,
                told = told(&mut room) => {
                    let told = told?;
                    if said.as_ref() != Some(&*told) {
                        tx.send(Ok(presence_event(&told))).await.ok()?;
                        said = Some((*told).clone());
                    }
                    continue;
                }
            };
            match received {
                Ok(change) if change.seq <= last => {}
                Ok(change) if change.seq == last + 1 => {
                    tx.send(Ok(event(&change))).await.ok()?;
                    last = change.seq;
                }
                // A skipped number or a lagging receiver: the log has the truth.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => catch_up(&hub, &mut last, &tx).await?,
                Err(broadcast::error::RecvError::Closed) => return None::<()>,
            }
        }
    };
    tokio::select! {
        _ = run => {}
        _ = closing.cancelled() => {}
        // The client is gone: end now, not at the next write, so its actor leaves.
        _ = tx.closed() => {}
    }
    drop(here);
}

/// The next presence told, for a stream that hears it; never, for one that does not.
async fn told(room: &mut Option<watch::Receiver<Arc<Presence>>>) -> Option<Arc<Presence>> {
    let Some(room) = room else { return std::future::pending().await };
    room.changed().await.ok()?;
    Some(room.borrow_and_update().clone())
}

/// When the log no longer holds every change after `last`, says so with
/// `event: reset` (its id the current sequence number, so the client resumes
/// from there after reloading `GET /tasks`) instead of replaying with a gap.
async fn reset_if_forgotten(hub: &Arc<Hub>, last: &mut u64, tx: &Outbox) -> Option<()> {
    let h = hub.clone();
    let read = tokio::task::spawn_blocking(move || Ok::<_, crate::StoreError>((h.oldest_seq()?, h.current_seq()?)));
    let (oldest, current) = match read.await {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "reading the change log failed; ending the stream");
            return None;
        }
        Err(_) => return None,
    };
    if oldest.is_some_and(|oldest| oldest > *last + 1) && current > *last {
        let reset = Event::default()
            .event(herald_wire::RESET_EVENT)
            .id(current.to_string())
            .data(format!("{{\"seq\":{current}}}"));
        tx.send(Ok(reset)).await.ok()?;
        *last = current;
    }
    Some(())
}

/// Sends every logged change after `last`. `None` when the subscriber is gone or the store failed.
async fn catch_up(hub: &Arc<Hub>, last: &mut u64, tx: &Outbox) -> Option<()> {
    loop {
        let (h, after) = (hub.clone(), *last);
        let batch = match tokio::task::spawn_blocking(move || h.changes_after(after, REPLAY_BATCH)).await {
            Ok(Ok(batch)) => batch,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "reading the change log failed; ending the stream");
                return None;
            }
            Err(_) => return None,
        };
        for change in &batch {
            tx.send(Ok(event(change))).await.ok()?;
            *last = change.seq;
        }
        if batch.len() < REPLAY_BATCH {
            return Some(());
        }
    }
}
