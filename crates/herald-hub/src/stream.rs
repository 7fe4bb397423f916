//! `GET /tasks/subscribe`: every change as a Server-Sent Event.
//!
//! A subscriber first follows the live broadcast, then replays the change log
//! after its `Last-Event-ID`, then forwards live changes, skipping those it
//! already sent. Whenever the live side cannot be trusted to be complete (it
//! lagged, or a sequence number was skipped), the subscriber goes back to the
//! log. So a client never sees a gap or a duplicate, however changes race
//! with its connection. When the log (bounded by `history`) no longer reaches
//! back to the client's `Last-Event-ID`, the client gets `event: reset`
//! rather than a silent partial replay. So does a client whose cursor is
//! ahead of the hub: the hub's store lost its log (a Redis without
//! persistence restarted, or the hub was given a fresh database), and the
//! numbers it hands out now would otherwise look like ones the client had.
//!
//! A stream of a known actor also makes that actor present, and is told who
//! is here (`event: presence`, no id: see [`crate::presence`]) once on
//! connect and whenever it changes. The stream ends as soon as its client is
//! gone (its body is dropped), so the actor leaves with it.
//!
//! A stream is let in only within the hub's limits (see [`crate::limits`]).
//! Its buffer is bounded, and one place in it is always kept free: a
//! subscriber that takes nothing for `slow_subscriber` while its buffer is
//! full is told `event: reset` in that place, and its stream ends. It then
//! resyncs, and the hub holds nothing more for it.

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
use crate::error::ApiError;
use crate::hub::Hub;
use crate::limits::{self, ClientAddr, Full, Pass};
use crate::model::Change;
use crate::presence::Here;

/// Changes read from the log per query while replaying.
const REPLAY_BATCH: usize = 512;

type Outbox = mpsc::Sender<Result<Event, Infallible>>;

/// Where one subscriber's events go, and its place among the open streams.
struct Outlet {
    tx: Outbox,
    _pass: Pass,
}

impl Outlet {
    /// Queues `event`, always leaving one place free. `None` when the
    /// stream is to end: its subscriber went away, or took nothing for
    /// `slow_subscriber` with its buffer full, and was then told
    /// `event: reset` (its id the current sequence number) in the place
    /// kept free.
    async fn send(&self, hub: &Arc<Hub>, event: Event) -> Option<()> {
        let slow = hub.config().slow_subscriber;
        match tokio::time::timeout(slow, self.tx.reserve_many(2)).await {
            Ok(Ok(mut places)) => {
                places.next()?.send(Ok(event));
                hub.metrics().events_out.inc();
                Some(())
            }
            Ok(Err(_)) => None,
            Err(_) => {
                let current = hub.current_seq().await.ok()?;
                tracing::info!(current, "a subscriber took nothing for {slow:?}; resetting its stream");
                hub.metrics().refused("slow_subscriber");
                if let Ok(place) = self.tx.try_reserve() {
                    place.send(Ok(reset_event(current)));
                }
                None
            }
        }
    }
}

/// Tells a subscriber to reload the snapshot, and to resume from `current`.
fn reset_event(current: u64) -> Event {
    Event::default().event(herald_wire::RESET_EVENT).id(current.to_string()).data(format!("{{\"seq\":{current}}}"))
}

pub(crate) async fn subscribe(
    State(hub): State<Arc<Hub>>,
    Reader(caller): Reader,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client = limits::client_of(peer, &headers, &hub.config().trusted_proxies);
    let pass = hub.gate().admit(client).map_err(|full| {
        tracing::info!(?client, ?full, "refused an event stream");
        ApiError::Busy(match full {
            Full::Hub => "the hub has as many event streams open as it keeps",
            Full::Client => "this address has as many event streams open as one may",
        })
    })?;
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
        None => hub.current_seq().await?,
    };
    let (tx, rx) = mpsc::channel(64);
    let keepalive = KeepAlive::new().interval(hub.config().keepalive).text("keepalive");
    let presence = match caller {
        Caller::Actor(actor) => Some((hub.room().join(&actor), hub.room().follow())),
        Caller::Anonymous => None,
    };
    tokio::spawn(feed(hub, live, presence, start, Outlet { tx, _pass: pass }));
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
    out: Outlet,
) {
    let closing = hub.closing().clone();
    let (here, mut room) = presence.unzip();
    let run = async {
        out.send(&hub, Event::default().retry(hub.config().retry)).await?;
        // The live side tells changes in order, so a number at or below the
        // one heard before means the hub's sequence started again.
        let mut heard = 0;
        // What this stream was last told: the room tells every stream, and
        // this one may have heard it already on connect.
        let mut said = None;
        if let Some(room) = &mut room {
            room.mark_unchanged();
            let now = hub.room().now();
            out.send(&hub, presence_event(&now)).await?;
            said = Some(now);
        }
        reset_if_forgotten(&hub, &mut last, &out).await?;
        catch_up(&hub, &mut last, &out).await?;
        loop {
            let received = tokio::select! {
                received = live.recv() => received,
                told = told(&mut room) => {
                    let told = told?;
                    if said.as_ref() != Some(&*told) {
                        out.send(&hub, presence_event(&told)).await?;
                        said = Some((*told).clone());
                    }
                    continue;
                }
            };
            if let Ok(change) = &received {
                let restarted = change.seq <= heard;
                heard = change.seq;
                if restarted {
                    reset_if_forgotten(&hub, &mut last, &out).await?;
                }
            }
            match received {
                Ok(change) if change.seq <= last => {}
                Ok(change) if change.seq == last + 1 => {
                    out.send(&hub, event(&change)).await?;
                    last = change.seq;
                }
                // A skipped number or a lagging receiver: the log has the truth.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => catch_up(&hub, &mut last, &out).await?,
                Err(broadcast::error::RecvError::Closed) => return None::<()>,
            }
        }
    };
    tokio::select! {
        _ = run => {}
        _ = closing.cancelled() => {}
        // The client is gone: end now, not at the next write, so its actor leaves.
        _ = out.tx.closed() => {}
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
/// The same when `last` is ahead of the log: the store lost it, and what it
/// logs now is not what the client's cursor counts.
async fn reset_if_forgotten(hub: &Arc<Hub>, last: &mut u64, out: &Outlet) -> Option<()> {
    let read = async { Ok::<_, crate::StoreError>((hub.oldest_seq().await?, hub.current_seq().await?)) };
    let (oldest, current) = match read.await {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(error = %e, "reading the change log failed; ending the stream");
            return None;
        }
    };
    let forgotten = oldest.is_some_and(|oldest| oldest > *last + 1) && current > *last;
    let lost = current < *last;
    if lost {
        tracing::info!(cursor = *last, current, "a cursor is ahead of the change log: the store lost it; resetting");
    }
    if forgotten || lost {
        out.send(hub, reset_event(current)).await?;
        *last = current;
    }
    Some(())
}

/// Sends every logged change after `last`. `None` when the subscriber is gone or the store failed.
async fn catch_up(hub: &Arc<Hub>, last: &mut u64, out: &Outlet) -> Option<()> {
    loop {
        let batch = match hub.changes_after(*last, REPLAY_BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "reading the change log failed; ending the stream");
                return None;
            }
        };
        for change in &batch {
            out.send(hub, event(change)).await?;
            *last = change.seq;
        }
        if batch.len() < REPLAY_BATCH {
            return Some(());
        }
    }
}
