//! A full disk, for real: the store on an 8 MiB tmpfs that the test mounts,
//! filled by a file while a hub's changes arrive.
//!
//! The feed pauses with "disk full" in its state; what it told the sinks is
//! stored, and the cursor never passes what was stored; once the file is
//! removed it resumes by itself from where it stopped, and in the end every
//! change the hub made is stored and told exactly once, in order, and
//! SQLite's integrity check is clean.
//!
//! Mounting needs a mount namespace: the test runs itself again under
//! `unshare` (util-linux) in one of its own, as root with `--mount` alone,
//! and otherwise as root of a user namespace of its own
//! (`--user --map-root-user`). The tmpfs goes with the namespace.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use herald_core::engine::{Condition, Engine, EngineConfig, EngineEvent, FeedState, StoreAt};
use herald_core::feed::{Auth, Feed};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::store::Store;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use tokio::sync::mpsc;

const TEST: &str = "a_full_disk_pauses_the_feed_and_it_resumes_with_every_change_once";
const INSIDE: &str = "HERALD_TEST_IN_MOUNT_NAMESPACE";
/// Every change the hub makes; the disk fills after the first [`BEFORE`]
/// are told, and is freed once [`WHILE_FULL`] more were made.
const TOTAL: u64 = 400;
const BEFORE: u64 = 60;
const WHILE_FULL: u64 = 120;
/// How long the engine may take to say the next thing.
const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn a_full_disk_pauses_the_feed_and_it_resumes_with_every_change_once() {
    if std::env::var_os(INSIDE).is_some() {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m,mode=0700", "herald-full-disk"])
            .arg(dir.path())
            .status()
            .expect("mount (util-linux)");
        assert!(mounted.success(), "mounting a tmpfs in the test's own namespace");
        tokio::runtime::Runtime::new().unwrap().block_on(full_disk(dir.path()));
        return;
    }
    let mut unshare = Command::new("unshare");
    if !is_root() {
        unshare.args(["--user", "--map-root-user"]);
    }
    let status = unshare
        .args(["--mount", "--propagation", "private", "--"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
        .env(INSIDE, "1")
        .status()
        .expect("unshare (util-linux)");
    assert!(status.success(), "the test in its own mount namespace: {status}");
}

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}

async fn full_disk(dir: &Path) {
    let mut config = HubConfig::default().with_actor("You", "you-token-disk").with_actor("Ana", "ana-token-disk");
    config.retry = Duration::from_millis(50);
    let hub = LocalHub::start(config, &StoreLocation::Memory).await.unwrap();
    // Its stream as a plain one, resumed by Last-Event-ID alone (the hub
    // preset resyncs from its snapshot, and the digest tells what the
    // stream did not): so every change must come as its own event.
    let mut feed = Feed::new("hub", format!("{}/tasks/subscribe", hub.url));
    feed.settings.auth = Some(Auth::bearer("hub"));
    let secrets = MemorySecrets::default();
    secrets.set("hub", "you-token-disk").unwrap();
    let path = dir.join("herald.db");
    let mut store = Store::open(&path).unwrap();
    store.import_feeds(&[feed]).unwrap();
    let (_engine, mut events) =
        Engine::start(EngineConfig::new(StoreAt::Open(store), Arc::new(secrets))).await.unwrap();

    let mut told = Vec::new();
    until(&mut events, &mut told, "the feed to be live", |state, _| {
        state.filter(|s| s.health.condition == Condition::Live).map(|_| ())
    })
    .await;

    // Ana makes TOTAL changes, a few milliseconds apart.
    let made = Arc::new(AtomicU64::new(0));
    let maker = {
        let (hub, made) = (hub.hub.clone(), made.clone());
        tokio::spawn(async move {
            for n in 1..=TOTAL {
                hub.create("Ana", &format!("task {n}")).await.unwrap();
                made.store(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(4)).await;
            }
        })
    };

    // The first changes told.
    until(&mut events, &mut told, "the first changes", |_, told| (told.len() as u64 >= BEFORE).then_some(())).await;

    // The disk fills.
    let filler = dir.join("filler");
    fill(&filler);
    let full = until(&mut events, &mut told, "the feed to pause for the full disk", |state, _| {
        state.filter(|s| s.health.condition == Condition::DiskFull).cloned()
    })
    .await;
    assert!(full.disk_full);
    assert!(full.health.reason.as_deref().is_some_and(|r| r.starts_with("the disk is full")), "{:?}", full.health);
    let kept = stored(&path);
    assert_eq!(cursor(&path), kept.last().cloned(), "the cursor is the last change stored, never past it");
    assert_eq!(told, kept, "everything told is stored");

    // Changes go on being made while it is full; then the file goes.
    let waited = made.load(Ordering::SeqCst);
    eventually("changes made while the disk is full", || made.load(Ordering::SeqCst) >= waited + WHILE_FULL).await;
    assert!(told.len() as u64 <= waited, "nothing more was told while full");
    std::fs::remove_file(&filler).unwrap();

    // It resumes by itself, and takes every change, once, in order.
    until(&mut events, &mut told, "the feed to resume", |state, _| {
        state.filter(|s| s.health.condition == Condition::Live && !s.disk_full).map(|_| ())
    })
    .await;
    maker.await.unwrap();
    until(&mut events, &mut told, "every change", |_, told| (told.len() as u64 >= TOTAL).then_some(())).await;
    let every: Vec<u64> = (1..=TOTAL).collect();
    assert_eq!(told, every, "told once each, in order");
    assert_eq!(stored(&path), every, "stored once each, in order");
    assert_eq!(cursor(&path), Some(TOTAL));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let checked: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(checked, "ok");
}

/// Reads the engine's messages, keeping the ids of the events told, until
/// `done` (given the feed's state when one came, and the ids told) says.
async fn until<T>(
    events: &mut mpsc::Receiver<EngineEvent>,
    told: &mut Vec<u64>,
    what: &str,
    mut done: impl FnMut(Option<&FeedState>, &[u64]) -> Option<T>,
) -> T {
    loop {
        let event = tokio::time::timeout(DEADLINE, events.recv()).await;
        let event = event
            .unwrap_or_else(|_| {
                let missing: Vec<u64> = (1..=TOTAL).filter(|n| !told.contains(n)).collect();
                panic!("waiting for {what}: told {}, missing {missing:?}", told.len())
            })
            .expect("running");
        let state = match &event {
            EngineEvent::Events { events, .. } => {
                // Ana's changes; the hub also says who is here, without ids.
                let changes = events.iter().filter(|e| &*e.event == "create");
                told.extend(changes.map(|e| e.last_event_id.parse::<u64>().expect("the hub's ids are numbers")));
                None
            }
            EngineEvent::State { state } => Some(&**state),
            _ => None,
        };
        if let Some(found) = done(state, told) {
            return found;
        }
    }
}

async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Writes `path` until the file system has no room left.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 16 * 1024];
    loop {
        match file.write_all(&block).and_then(|_| file.sync_data()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(28) => return, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
}

/// The ids of the changes stored, in the order they were stored.
fn stored(path: &Path) -> Vec<u64> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut query = conn.prepare("SELECT event_id FROM events WHERE event_type = 'create' ORDER BY id").unwrap();
    let ids = query.query_map([], |r| r.get::<_, String>(0)).unwrap();
    ids.map(|id| id.unwrap().parse().unwrap()).collect()
}

fn cursor(path: &Path) -> Option<u64> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let cursor: Option<String> = conn.query_row("SELECT last_event_id FROM cursors", [], |r| r.get(0)).unwrap_or(None);
    cursor.map(|c| c.parse().unwrap())
}
