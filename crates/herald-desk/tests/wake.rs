//! A resume and a network change, told on a private D-Bus bus by a small
//! service standing in for logind and NetworkManager (their names, paths,
//! interfaces and signatures), reach a real engine: a feed waiting out an
//! hour-long `Retry-After` is open again at once.

use std::process::{Child, Command as Process, Stdio};
use std::time::Instant;

use herald_core::call::Serve;
use herald_core::engine::StoreAt;
use herald_core::feed::FeedForm;
use herald_core::ipc::{FeedInput, SaveFeed};
use herald_core::secrets::MemorySecrets;
use herald_core::sse::Phase;
use herald_desk::testing;
use herald_desk::wake::{Wake, Watcher};
use herald_test_support::{serve, sse, Answer};
use std::io::{BufRead, BufReader};
use std::sync::Arc;

/// A private bus from `dbus-daemon` with the tests' own configuration (it
/// activates nothing installed on the machine), stopped when dropped.
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start() -> Bus {
        let mut daemon = Process::new("dbus-daemon")
            .arg(concat!("--config-file=", env!("CARGO_MANIFEST_DIR"), "/../../tests/dbus/session.conf"))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (apt: dbus) runs");
        // It prints its address once it listens.
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut address).unwrap();
        Bus { daemon, address: address.trim().to_owned() }
    }

    async fn connect(&self) -> zbus::Connection {
        zbus::connection::Builder::address(self.address.as_str()).unwrap().build().await.unwrap()
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// logind and NetworkManager, as far as Herald listens to them.
struct System(zbus::Connection);

impl System {
    async fn start(bus: &Bus) -> System {
        let connection = bus.connect().await;
        connection.request_name("org.freedesktop.login1").await.unwrap();
        connection.request_name("org.freedesktop.NetworkManager").await.unwrap();
        System(connection)
    }

    async fn prepare_for_sleep(&self, start: bool) {
        let (path, interface) = ("/org/freedesktop/login1", "org.freedesktop.login1.Manager");
        self.0.emit_signal(None::<()>, path, interface, "PrepareForSleep", &(start,)).await.unwrap();
    }

    async fn network_state(&self, state: u32) {
        let (path, interface) = ("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager");
        self.0.emit_signal(None::<()>, path, interface, "StateChanged", &(state,)).await.unwrap();
    }
}

#[tokio::test]
async fn the_system_bus_signals_are_heard_as_wakes() {
    let bus = Bus::start();
    let mut watcher = Watcher::subscribe(&bus.connect().await).await.unwrap();
    let system = System::start(&bus).await;

    // Going to sleep is nothing; coming back is.
    system.prepare_for_sleep(true).await;
    system.prepare_for_sleep(false).await;
    assert_eq!(watcher.next().await, Some(Wake::Resumed));
    // Disconnected (20), then connected globally (70).
    system.network_state(20).await;
    system.network_state(70).await;
    assert_eq!(watcher.next().await, Some(Wake::Online));
}

#[tokio::test]
async fn a_resume_reconnects_a_feed_waiting_out_an_hour() {
    let bus = Bus::start();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let test = testing::desk(StoreAt::Memory, secrets, dir.path()).await.unwrap();
    let desk = test.desk.clone();
    let busy = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3600\r\nContent-Length: 0\r\n\r\n".to_vec();
    let open = || Answer::Hold(sse(b"id: 1\ndata: back\n\n"));
    let server = serve(vec![Answer::Close(busy), open(), open()]).await;
    let form = FeedForm { name: "alerts".into(), url: format!("{}/sse", server.url), ..FeedForm::default() };
    desk.answer(SaveFeed { feed: FeedInput::Form(Box::new(form)), secret: None, client_key: None }).await.unwrap();
    testing::phase_when(&desk, "alerts", |p| matches!(p, Phase::Retrying { .. })).await;

    let mut watcher = Watcher::subscribe(&bus.connect().await).await.unwrap();
    let following = tokio::spawn(async move {
        while let Some(wake) = watcher.next().await {
            desk.woke(wake).await;
        }
    });
    let system = System::start(&bus).await;
    let resumed = Instant::now();
    system.prepare_for_sleep(false).await;
    server.requests_made(2).await;
    testing::phase_when(&test.desk, "alerts", |p| matches!(p, Phase::Open { .. })).await;
    // The figure for BENCHMARKS.md; the wait above could only end this
    // early because of the signal.
    println!("open again {} ms after PrepareForSleep(false)", resumed.elapsed().as_millis());

    // A network change reconnects an open feed too: its connection may
    // have died with the old network.
    system.network_state(70).await;
    server.requests_made(3).await;
    assert_eq!(server.header(2, "last-event-id").as_deref(), Some("1"), "resumed where it was");
    following.abort();
}
