//! The board against a real hub on loopback: attribution, own changes, and
//! resuming across a hub restart without missing a change.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use herald_core::sse::Phase;
use herald_core::store::Store;
use herald_core::tasks::{Action, Board, BoardConfig, BoardMemory, ChangeNotice};
use herald_hub::{Hub, HubConfig, LocalHub, StoreLocation, TaskPatch};
use tokio::sync::{broadcast, watch};

const YOU: &str = "you-token-1";
const DEADLINE: Duration = Duration::from_secs(15);

fn config() -> HubConfig {
    let mut config = HubConfig::default().with_actor("You", YOU).with_actor("Ana", "ana-token-1");
    config.retry = Duration::from_millis(100);
    config
}

async fn serve(addr: SocketAddr, location: &StoreLocation) -> LocalHub {
    LocalHub::start_on(addr, config(), location).await.unwrap()
}

async fn next_notice(notices: &mut broadcast::Receiver<ChangeNotice>) -> ChangeNotice {
    tokio::time::timeout(DEADLINE, notices.recv()).await.expect("a notice in time").unwrap()
}

async fn wait_open(state: &mut watch::Receiver<herald_core::sse::ConnectionState>) {
    tokio::time::timeout(DEADLINE, state.wait_for(|s| matches!(s.phase, Phase::Open { .. })))
        .await
        .expect("the board connected")
        .unwrap();
}

fn board(addr: SocketAddr) -> Board {
    Board::start(
        herald_core::http_client().unwrap(),
        BoardConfig { base_url: format!("http://{addr}"), token: Some(YOU.into()), memory: None },
    )
}

#[tokio::test]
async fn the_board_loads_the_snapshot_and_attributes_every_change() {
    let server = serve("127.0.0.1:0".parse().unwrap(), &StoreLocation::Memory).await;
    let addr = server.addr;
    server.hub.create("Ana", "Buy milk").unwrap();
    let board = board(addr);
    let mut notices = board.notices();
    wait_open(&mut board.state()).await;
    assert_eq!(board.tasks().len(), 1, "the snapshot is loaded");

    server.hub.update("Ana", 1, &TaskPatch { done: Some(true), name: None }).unwrap();
    let n = next_notice(&mut notices).await;
    assert_eq!((n.action, n.own, n.summary.as_str()), (Action::Completed, false, "Ana completed 'Buy milk'"));
    assert_eq!(n.event_id, "2");

    // The user's own change goes through REST and comes back marked as own.
    let created = board.add_task("Water plants").await.unwrap();
    let n = next_notice(&mut notices).await;
    assert_eq!((n.action, n.own, n.task_id), (Action::Created, true, created.id));
    board.set_done(created.id, true).await.unwrap();
    assert!(next_notice(&mut notices).await.own);
    board.delete_task(1).await.unwrap();
    let n = next_notice(&mut notices).await;
    assert_eq!((n.action, n.summary.as_str()), (Action::Deleted, "You deleted 'Buy milk'"));
    let names: Vec<_> = board.tasks().into_iter().map(|t| (t.name, t.done)).collect();
    assert_eq!(names, vec![("Water plants".to_owned(), true)]);
}

#[tokio::test]
async fn a_change_made_while_the_hub_was_down_arrives_after_it_restarts() {
    let dir = std::env::temp_dir().join(format!("herald-core-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db: PathBuf = dir.join("hub.db");
    let _ = std::fs::remove_file(&db);
    let location = StoreLocation::File(db);

    let server = serve("127.0.0.1:0".parse().unwrap(), &location).await;
    let addr = server.addr;
    let board = board(addr);
    let mut notices = board.notices();
    let mut state = board.state();
    wait_open(&mut state).await;
    server.hub.create("Ana", "before").unwrap();
    assert_eq!(next_notice(&mut notices).await.task_name, "before");

    tokio::time::timeout(DEADLINE, server.stop()).await.unwrap().unwrap();
    tokio::time::timeout(DEADLINE, state.wait_for(|s| !matches!(s.phase, Phase::Open { .. }))).await.unwrap().unwrap();
    // Changes while the hub is down, written straight to its database.
    {
        let offline = Hub::open(config(), &location).unwrap();
        offline.create("Ana", "while down").unwrap();
        offline.update("Ana", 1, &TaskPatch { done: Some(true), name: None }).unwrap();
    }
    let server = serve(addr, &location).await;
    let a = next_notice(&mut notices).await;
    let b = next_notice(&mut notices).await;
    assert_eq!((a.summary.as_str(), a.event_id.as_str()), ("Ana added 'while down'", "2"));
    assert_eq!((b.summary.as_str(), b.event_id.as_str()), ("Ana completed 'before'", "3"));
    server.hub.create("Ana", "after").unwrap();
    let c = next_notice(&mut notices).await;
    assert_eq!((c.task_name.as_str(), c.event_id.as_str()), ("after", "4"), "nothing lost, nothing repeated");
    drop(board);
    tokio::time::timeout(DEADLINE, server.stop()).await.unwrap().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The hub keeps only 2 changes; while it is down, 4 are made. The board's
/// cursor is then older than the log: it gets `reset`, reloads the snapshot,
/// and reports exactly the differences, once each, as missed.
#[tokio::test]
async fn an_expired_cursor_resyncs_from_the_snapshot_and_reports_each_missed_change_once() {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::File(dir.path().join("hub.db"));
    let bounded = || {
        let mut config = config();
        config.history = Some(2);
        config
    };
    let server = LocalHub::start_on("127.0.0.1:0".parse().unwrap(), bounded(), &location).await.unwrap();
    let addr = server.addr;
    for name in ["Buy milk", "Call Bo", "Water plants"] {
        server.hub.create("Ana", name).unwrap();
    }
    let board = board(addr);
    let mut notices = board.notices();
    let mut digests = board.missed();
    let mut state = board.state();
    wait_open(&mut state).await;

    tokio::time::timeout(DEADLINE, server.stop()).await.unwrap().unwrap();
    tokio::time::timeout(DEADLINE, state.wait_for(|s| !matches!(s.phase, Phase::Open { .. }))).await.unwrap().unwrap();
    {
        let offline = Hub::open(bounded(), &location).unwrap();
        offline.update("Ana", 1, &TaskPatch { done: Some(true), name: None }).unwrap();
        offline.update("Ana", 2, &TaskPatch { done: None, name: Some("Call Bob".into()) }).unwrap();
        offline.delete("Ana", 3).unwrap();
        offline.create("Ana", "New").unwrap();
    }
    let server = LocalHub::start_on(addr, bounded(), &location).await.unwrap();
    let mut missed = Vec::new();
    for _ in 0..4 {
        let n = next_notice(&mut notices).await;
        assert!(n.missed && n.actor.is_none(), "{n:?}");
        missed.push(n.summary);
    }
    assert_eq!(
        missed,
        [
            "Someone completed 'Buy milk'",
            "Someone renamed 'Call Bo' to 'Call Bob'",
            "Someone added 'New'",
            "Someone deleted 'Water plants'"
        ]
    );
    let digest = tokio::time::timeout(DEADLINE, digests.recv()).await.unwrap().unwrap();
    assert_eq!(digest.iter().map(|n| &n.summary).collect::<Vec<_>>(), missed.iter().collect::<Vec<_>>(), "all at once");
    // Live changes follow, attributed, with nothing repeated in between.
    server.hub.create("Ana", "after").unwrap();
    let live = next_notice(&mut notices).await;
    assert_eq!((live.summary.as_str(), live.missed), ("Ana added 'after'", false));
    let tasks: Vec<_> = board.tasks().into_iter().map(|t| (t.name, t.done)).collect();
    let want = [("Buy milk", true), ("Call Bob", false), ("New", false), ("after", false)];
    assert_eq!(tasks, want.map(|(n, d)| (n.to_owned(), d)));
    drop(board);
    tokio::time::timeout(DEADLINE, server.stop()).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_wrong_token_stops_the_board_with_needs_authentication() {
    let server = serve("127.0.0.1:0".parse().unwrap(), &StoreLocation::Memory).await;
    let addr = server.addr;
    let board = Board::start(
        herald_core::http_client().unwrap(),
        BoardConfig { base_url: format!("http://{addr}"), token: Some("not-a-token".into()), memory: None },
    );
    let mut state = board.state();
    let stopped = tokio::time::timeout(DEADLINE, state.wait_for(|s| matches!(s.phase, Phase::Stopped { .. })))
        .await
        .unwrap()
        .unwrap()
        .clone();
    assert_eq!(
        stopped.phase,
        Phase::Stopped { reason: herald_core::sse::StopReason::NeedsAuthentication { status: 401 } }
    );
}

fn remembering_board(addr: SocketAddr, store: &std::path::Path) -> Board {
    let base_url = format!("http://{addr}");
    let memory = BoardMemory::open(Store::open(store).unwrap(), &base_url).unwrap();
    Board::start(
        herald_core::http_client().unwrap(),
        BoardConfig { base_url, token: Some(YOU.into()), memory: Some(memory) },
    )
}

/// Herald's own restart: what changed while it was closed (here, behind the
/// hub's back, in its database) is announced once, as missed, in one digest.
#[tokio::test]
async fn a_restarted_board_announces_what_changed_while_herald_was_closed() {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::File(dir.path().join("hub.db"));
    let store = dir.path().join("herald.db");
    let server = serve("127.0.0.1:0".parse().unwrap(), &location).await;
    let addr = server.addr;
    for name in ["Buy milk", "Call Bo", "Water plants"] {
        server.hub.create("Ana", name).unwrap();
    }
    let board = remembering_board(addr, &store);
    let mut notices = board.notices();
    wait_open(&mut board.state()).await;
    server.hub.create("Ana", "Live").unwrap();
    assert_eq!(next_notice(&mut notices).await.summary, "Ana added 'Live'");
    drop(board);

    // While Herald is closed, the list changes: through the hub, and by hand in its database.
    server.hub.update("Ana", 1, &TaskPatch { done: Some(true), name: None }).unwrap();
    tokio::time::timeout(DEADLINE, server.stop()).await.unwrap().unwrap();
    let by_hand = rusqlite::Connection::open(dir.path().join("hub.db")).unwrap();
    by_hand.execute_batch("UPDATE tasks SET name = 'Call Bob' WHERE id = 2; DELETE FROM tasks WHERE id = 3;").unwrap();
    drop(by_hand);
    let server = serve(addr, &location).await;

    let board = remembering_board(addr, &store);
    // The shell listens only once it is set up, after the start-up resync:
    // the first listener still hears it.
    wait_open(&mut board.state()).await;
    let mut notices = board.notices();
    let mut digests = board.missed();
    let mut missed = Vec::new();
    for _ in 0..3 {
        let n = next_notice(&mut notices).await;
        assert!(n.missed, "{n:?}");
        missed.push(n.summary);
    }
    assert_eq!(
        missed,
        ["Someone completed 'Buy milk'", "Someone renamed 'Call Bo' to 'Call Bob'", "Someone deleted 'Water plants'"]
    );
    let digest = tokio::time::timeout(DEADLINE, digests.recv()).await.unwrap().unwrap();
    assert_eq!(digest.len(), 3, "one digest for all three");
    // Then live, with nothing repeated: the stream resumes from the snapshot.
    server.hub.create("Ana", "After").unwrap();
    let live = next_notice(&mut notices).await;
    assert_eq!((live.summary.as_str(), live.missed), ("Ana added 'After'", false));
    drop(board);

    // The store's history has the live events and the missed ones, each once.
    let kept = Store::open(&store).unwrap().history(None, None).unwrap();
    let kinds: Vec<(&str, bool)> = kept.iter().map(|e| (e.event_type.as_str(), e.missed)).collect();
    assert_eq!(kinds, [("create", false), ("update", true), ("update", true), ("delete", true), ("create", false)]);
    tokio::time::timeout(DEADLINE, server.stop()).await.unwrap().unwrap();
}
