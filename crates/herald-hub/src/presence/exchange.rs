//! Who is here, shared by the hubs on one Redis, so that behind a load
//! balancer everyone sees everyone, whichever hub each is connected to.
//!
//! Each hub keeps its own streams' presence in its [`Room`] and shares that
//! part, under an id of its own:
//!
//! | key | type | what |
//! |---|---|---|
//! | `{prefix}:presence:{hub}` | string | the hub's part, as `event: presence` data, expiring |
//! | `{prefix}:presence` | set | the ids of the hubs that have a part |
//! | `{prefix}:presence` | channel | a hub's id, when its part changed |
//!
//! A hub writes its part whenever it changes, and publishes its id; and
//! every [`HEARTBEAT`] it writes it again, since the part expires after
//! [`HOLDS`] (by Redis's clock, so the hubs' clocks need not agree). It
//! reads the others' parts on each message and each heartbeat, and gives
//! their union to its room, which tells its streams everyone. So a hub that
//! stops cleanly takes its people with it at once, and one that dies, within
//! [`HOLDS`] and a heartbeat.
//!
//! Presence is the present: when Redis is away, each hub goes on telling
//! what it knew, and once Redis is back, the exchange connects again and
//! writes its part anew (Redis may have lost it).

use std::sync::Arc;
use std::time::Duration;

use herald_wire::Presence;
use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, Client, RedisResult};
use tokio::sync::watch;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Room;
use crate::storage::redis::RedisLocation;

/// How often a hub writes its part again, and reads the others'.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long a part holds unless written again.
pub(crate) const HOLDS: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// The keys of one hub group.
struct Keys {
    /// The set of hub ids, and the channel.
    hubs: String,
    /// A hub's part is `{part}{hub}`.
    part: String,
}

impl Keys {
    fn new(prefix: &str) -> Keys {
        Keys { hubs: format!("{prefix}:presence"), part: format!("{prefix}:presence:") }
    }
}

/// Shares `room`'s own part with the hubs on `location`, and gives it
/// theirs, until `stop`; then takes this hub's part away.
pub(crate) async fn run(location: RedisLocation, room: Arc<Room>, stop: CancellationToken) {
    let client = match Client::open(location.url.as_str()) {
        Ok(client) => client,
        // The store opened this same URL already, so this is not expected.
        Err(e) => return tracing::error!(error = %e, "presence cannot be shared through Redis"),
    };
    let keys = Keys::new(&location.prefix);
    let me = hub_id();
    let mut own = room.follow_own();
    let mut wait = Duration::from_millis(100);
    loop {
        let ended = tokio::select! {
            _ = stop.cancelled() => break,
            ended = exchange(&client, &keys, &me, &room, &mut own) => ended,
        };
        match ended {
            Ok(()) => break,
            Err(e) => tracing::warn!(error = %e, "sharing presence through Redis failed; trying again in {wait:?}"),
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(LONGEST_WAIT);
    }
    // Those here through this hub leave with it.
    let leave = async {
        let mut conn = connect(&client).await?;
        redis::pipe()
            .del(format!("{}{me}", keys.part))
            .srem(&keys.hubs, &me)
            .publish(&keys.hubs, &me)
            .exec_async(&mut conn)
            .await
    };
    if let Err(e) = tokio::time::timeout(CONNECT_TIMEOUT, leave).await.unwrap_or_else(|_| Err(timed_out())) {
        tracing::debug!(error = %e, "this hub's presence could not be taken away; it runs out in {HOLDS:?}");
    }
    room.set_elsewhere(Presence::default());
}

/// One connection's worth of sharing, until the room is gone (`Ok`) or
/// Redis went away (an error). The caller ends it when the hub stops.
async fn exchange(
    client: &Client,
    keys: &Keys,
    me: &str,
    room: &Room,
    own: &mut watch::Receiver<Arc<Presence>>,
) -> RedisResult<()> {
    let mut pubsub =
        tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub()).await.map_err(|_| timed_out())??;
    pubsub.subscribe(&keys.hubs).await?;
    let mut told = pubsub.on_message();
    let mut conn = connect(client).await?;
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A part to write as soon as the connection is made.
    own.mark_changed();
    loop {
        tokio::select! {
            changed = own.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                let part = own.borrow_and_update().clone();
                write(&mut conn, keys, me, &part, true).await?;
            }
            message = told.next() => {
                let Some(message) = message else {
                    return Err(redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
                };
                if message.get_payload::<String>().is_ok_and(|hub| hub != me) {
                    room.set_elsewhere(read(&mut conn, keys, me).await?);
                }
            }
            _ = heartbeat.tick() => {
                let part = own.borrow().clone();
                write(&mut conn, keys, me, &part, false).await?;
                room.set_elsewhere(read(&mut conn, keys, me).await?);
            }
        }
    }
}

async fn connect(client: &Client) -> RedisResult<MultiplexedConnection> {
    tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection()).await.map_err(|_| timed_out())?
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))
}

/// Writes this hub's part, to hold for [`HOLDS`]; tells the others when it `changed`.
async fn write(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    me: &str,
    part: &Presence,
    changed: bool,
) -> RedisResult<()> {
    let json = serde_json::to_string(part).expect("presence always serializes");
    let mut pipe = redis::pipe();
    pipe.atomic().pset_ex(format!("{}{me}", keys.part), json, HOLDS.as_millis() as u64).sadd(&keys.hubs, me);
    if changed {
        pipe.publish(&keys.hubs, me);
    }
    pipe.exec_async(conn).await
}

/// The union of the other hubs' parts that still hold. Hubs whose part ran
/// out are struck from the set.
async fn read(conn: &mut MultiplexedConnection, keys: &Keys, me: &str) -> RedisResult<Presence> {
    let hubs: Vec<String> = conn.smembers(&keys.hubs).await?;
    let others: Vec<&String> = hubs.iter().filter(|hub| *hub != me).collect();
    if others.is_empty() {
        return Ok(Presence::default());
    }
    let names: Vec<String> = others.iter().map(|hub| format!("{}{hub}", keys.part)).collect();
    let parts: Vec<Option<String>> = redis::cmd("MGET").arg(&names).query_async(conn).await?;
    let mut gone = Vec::new();
    let mut present = Vec::new();
    for (hub, part) in others.into_iter().zip(parts) {
        match part.map(|json| serde_json::from_str::<Presence>(&json)) {
            Some(Ok(part)) => present.push(part),
            Some(Err(e)) => tracing::warn!(%hub, error = %e, "another hub's presence cannot be read"),
            None => gone.push(hub),
        }
    }
    if !gone.is_empty() {
        let _: () = conn.srem(&keys.hubs, &gone).await?;
    }
    Ok(super::merge(&present))
}

/// An id for this hub process, unique among the hubs on one Redis.
fn hub_id() -> String {
    format!("{:x}-{:016x}", std::process::id(), fastrand::u64(..))
}
