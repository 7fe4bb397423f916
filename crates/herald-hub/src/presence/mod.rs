//! Who is here: every actor with an open stream, and the record each has
//! open.
//!
//! Presence is the present, not history. It is kept in memory, never in
//! the change log, and travels as `event: presence` with no id, so a
//! reconnecting client is told who is here now and nothing is replayed.
//!
//! A stream makes its actor present for as long as it is open (a [`Here`]
//! guard). What a client has open (`PUT /presence {"viewing": id}`) holds
//! for the hub's `focus_ttl` unless renewed. Joins, leaves and focus are
//! told at most once per `presence_debounce`, and only when what is told
//! differs from what was last told, so a storm of reconnections that ends
//! where it began tells nothing.
//!
//! Hubs that share a Redis also share who is here ([`exchange`]): each
//! tells its streams everyone present through any of them.

#[cfg(feature = "redis")]
pub(crate) mod exchange;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use herald_wire::{Presence, Present};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Who is here, with what each has open, at any instant. Pure: the time is
/// given, so the tests need no clock.
#[derive(Debug, Default)]
struct Board {
    /// Open streams per actor.
    streams: BTreeMap<String, usize>,
    /// The record each actor has open, until when.
    viewing: HashMap<String, (i64, Instant)>,
}

impl Board {
    fn join(&mut self, actor: &str) {
        *self.streams.entry(actor.to_owned()).or_default() += 1;
    }

    fn leave(&mut self, actor: &str) {
        if let Some(open) = self.streams.get_mut(actor) {
            *open -= 1;
            if *open == 0 {
                self.streams.remove(actor);
            }
        }
    }

    fn view(&mut self, actor: &str, record: Option<i64>, until: Instant) {
        match record {
            Some(id) => self.viewing.insert(actor.to_owned(), (id, until)),
            None => self.viewing.remove(actor),
        };
    }

    /// Who is here at `now`, by name; forgets focus that has run out.
    fn at(&mut self, now: Instant) -> Presence {
        self.viewing.retain(|_, (_, until)| *until > now);
        let present = self
            .streams
            .keys()
            .map(|actor| Present { actor: actor.clone(), viewing: self.viewing.get(actor).map(|(id, _)| *id) })
            .collect();
        Presence { present }
    }

    /// When the next focus runs out.
    fn next_expiry(&self) -> Option<Instant> {
        self.viewing.values().map(|(_, until)| *until).min()
    }
}

/// Everyone in `parts`, each once, by name, with the first record any part
/// says they have open.
fn merge<'a>(parts: impl IntoIterator<Item = &'a Presence>) -> Presence {
    let mut all = BTreeMap::<&str, Option<i64>>::new();
    for present in parts.into_iter().flat_map(|part| &part.present) {
        let viewing = all.entry(&present.actor).or_default();
        *viewing = viewing.or(present.viewing);
    }
    let present = all.into_iter().map(|(actor, viewing)| Present { actor: actor.to_owned(), viewing }).collect();
    Presence { present }
}

/// The board, and what was last told of it.
pub(crate) struct Room {
    board: Mutex<Board>,
    /// Who is here through other hubs on the same Redis.
    elsewhere: Mutex<Presence>,
    moved: Notify,
    /// Everyone: this hub's board and `elsewhere`, for the streams.
    told: watch::Sender<Arc<Presence>>,
    /// This hub's board alone, for the other hubs.
    own: watch::Sender<Arc<Presence>>,
}

impl Room {
    pub fn new() -> Arc<Room> {
        let (told, _) = watch::channel(Arc::new(Presence::default()));
        let (own, _) = watch::channel(Arc::new(Presence::default()));
        let elsewhere = Mutex::new(Presence::default());
        Arc::new(Room { board: Mutex::new(Board::default()), elsewhere, moved: Notify::new(), told, own })
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        // The board is counts and focus: whatever a panic left is still a board.
        self.board.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes `actor` present until the guard drops (its stream ends).
    pub fn join(self: &Arc<Self>, actor: &str) -> Here {
        self.board().join(actor);
        self.moved.notify_one();
        Here { room: self.clone(), actor: actor.to_owned() }
    }

    pub fn view(&self, actor: &str, record: Option<i64>, ttl: Duration) {
        self.board().view(actor, record, Instant::now() + ttl);
        self.moved.notify_one();
    }

    fn elsewhere(&self) -> MutexGuard<'_, Presence> {
        self.elsewhere.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Who is here now, for a stream that just opened.
    pub fn now(&self) -> Presence {
        let own = self.board().at(Instant::now());
        merge([&own, &*self.elsewhere()])
    }

    /// Every presence told from now on.
    pub fn follow(&self) -> watch::Receiver<Arc<Presence>> {
        self.told.subscribe()
    }

    /// This hub's own part of every presence told from now on.
    #[cfg(feature = "redis")]
    pub fn follow_own(&self) -> watch::Receiver<Arc<Presence>> {
        self.own.subscribe()
    }

    /// Who is here through the other hubs, as they last said.
    #[cfg(feature = "redis")]
    pub fn set_elsewhere(&self, elsewhere: Presence) {
        let mut known = self.elsewhere();
        if *known != elsewhere {
            *known = elsewhere;
            drop(known);
            self.moved.notify_one();
        }
    }

    /// Tells who is here whenever it changes, at most once per `debounce`,
    /// until `stop`.
    pub async fn tell(self: Arc<Self>, debounce: Duration, stop: CancellationToken) {
        loop {
            let expiry = self.board().next_expiry();
            let expired = async {
                match expiry {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.moved.notified() => {}
                _ = expired => {}
                _ = stop.cancelled() => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(debounce) => {}
                _ = stop.cancelled() => return,
            }
            let own = self.board().at(Instant::now());
            let all = merge([&own, &*self.elsewhere()]);
            tell_if_new(&self.own, own);
            tell_if_new(&self.told, all);
        }
    }
}

/// Sends `now` to those who follow `told`, unless it is what they last heard.
fn tell_if_new(told: &watch::Sender<Arc<Presence>>, now: Presence) {
    told.send_if_modified(|told| {
        let differs = **told != now;
        if differs {
            *told = Arc::new(now);
        }
        differs
    });
}

/// An actor's open stream: present until dropped.
pub(crate) struct Here {
    room: Arc<Room>,
    actor: String,
}

impl Drop for Here {
    fn drop(&mut self) {
        self.room.board().leave(&self.actor);
        self.room.moved.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Presence) -> Vec<(&str, Option<i64>)> {
        p.present.iter().map(|p| (p.actor.as_str(), p.viewing)).collect()
    }

    #[test]
    fn an_actor_is_here_while_any_of_its_streams_is_open() {
        let mut board = Board::default();
        let now = Instant::now();
        board.join("Bob");
        board.join("Ana");
        board.join("Ana");
        board.leave("Ana");
        assert_eq!(names(&board.at(now)), [("Ana", None), ("Bob", None)]);
        board.leave("Ana");
        board.leave("Nobody");
        assert_eq!(names(&board.at(now)), [("Bob", None)]);
    }

    #[test]
    fn focus_shows_only_for_an_actor_here_and_runs_out() {
        let mut board = Board::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(60);
        board.view("Ana", Some(12), now + ttl);
        assert_eq!(names(&board.at(now)), [], "focus alone is not presence");
        board.join("Ana");
        assert_eq!(names(&board.at(now)), [("Ana", Some(12))]);
        assert_eq!(board.next_expiry(), Some(now + ttl));
        assert_eq!(names(&board.at(now + ttl)), [("Ana", None)]);
        assert_eq!(board.next_expiry(), None);
        board.view("Ana", Some(3), now + ttl);
        board.view("Ana", None, now + ttl);
        assert_eq!(names(&board.at(now)), [("Ana", None)]);
    }

    fn presence(pairs: &[(&str, Option<i64>)]) -> Presence {
        let present = pairs.iter().map(|(actor, viewing)| Present { actor: actor.to_string(), viewing: *viewing });
        Presence { present: present.collect() }
    }

    #[test]
    fn parts_merge_into_everyone_once_with_the_first_focus() {
        let here = presence(&[("Bob", None), ("Cy", Some(4))]);
        let there = presence(&[("Ana", Some(7)), ("Bob", Some(9)), ("Cy", Some(5))]);
        assert_eq!(names(&merge([&here, &there])), [("Ana", Some(7)), ("Bob", Some(9)), ("Cy", Some(4))]);
        assert_eq!(names(&merge([])), []);
    }

    #[tokio::test(start_paused = true)]
    async fn who_is_here_elsewhere_is_told_with_who_is_here_but_not_shared_back() {
        let room = Room::new();
        let stop = CancellationToken::new();
        tokio::spawn(room.clone().tell(Duration::from_secs(2), stop.clone()));
        let (mut told, mut own) = (room.follow(), room.follow_own());
        let _bob = room.join("Bob");
        room.set_elsewhere(presence(&[("Ana", Some(7))]));
        told.changed().await.unwrap();
        assert_eq!(names(&told.borrow_and_update()), [("Ana", Some(7)), ("Bob", None)]);
        assert_eq!(names(&own.borrow_and_update()), [("Bob", None)]);
        assert_eq!(names(&room.now()), [("Ana", Some(7)), ("Bob", None)], "a stream that opens now");

        room.set_elsewhere(Presence::default());
        told.changed().await.unwrap();
        assert_eq!(names(&told.borrow_and_update()), [("Bob", None)]);
        assert!(!own.has_changed().unwrap(), "this hub's own part did not change");
        stop.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_storm_that_ends_where_it_began_tells_nothing() {
        let room = Room::new();
        let stop = CancellationToken::new();
        tokio::spawn(room.clone().tell(Duration::from_secs(2), stop.clone()));
        let mut told = room.follow();
        let ana = room.join("Ana");
        told.changed().await.unwrap();
        assert_eq!(names(&told.borrow_and_update()), [("Ana", None)]);

        for _ in 0..50 {
            drop(room.join("Bob"));
        }
        let bob = room.join("Bob");
        told.changed().await.unwrap();
        assert_eq!(names(&told.borrow_and_update()), [("Ana", None), ("Bob", None)], "one telling for the storm");

        drop(bob);
        let _bob = room.join("Bob");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(!told.has_changed().unwrap(), "a leave and a join within the debounce tell nothing");
        drop(ana);
        told.changed().await.unwrap();
        assert_eq!(names(&told.borrow_and_update()), [("Bob", None)]);
        stop.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn focus_running_out_is_told() {
        let room = Room::new();
        let stop = CancellationToken::new();
        tokio::spawn(room.clone().tell(Duration::from_secs(2), stop.clone()));
        let mut told = room.follow();
        let _ana = room.join("Ana");
        room.view("Ana", Some(12), Duration::from_secs(60));
        told.changed().await.unwrap();
        assert_eq!(names(&told.borrow_and_update()), [("Ana", Some(12))]);
        let before = Instant::now();
        told.changed().await.unwrap();
        assert_eq!(names(&told.borrow_and_update()), [("Ana", None)]);
        assert!(Instant::now() - before >= Duration::from_secs(60), "not before the focus ran out");
        stop.cancel();
    }
}
