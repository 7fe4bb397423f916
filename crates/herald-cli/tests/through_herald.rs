//! With Herald running on the same store, `herald-cli` goes through it over
//! its socket: `feeds` changes reach the running engine at once (it starts
//! or stops following), `sync` prints what Herald's engine hears rather
//! than starting a second one, and `tail` on that store is refused. With
//! another store, the CLI opens that store itself.

use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use herald_core::engine::{GetFeeds, StoreAt};
use herald_core::ipc::{bind, serve};
use herald_core::secrets::MemorySecrets;
use herald_core::sse::Phase;
use herald_desk::testing::{self, TestDesk};
use herald_desk::Desk;
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

struct Running {
    dir: tempfile::TempDir,
    desk: Arc<Desk>,
}

impl Running {
    async fn start() -> Running {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreAt::Path(dir.path().join("herald.db"));
        let TestDesk { desk, events, .. } =
            testing::desk(store, Arc::new(MemorySecrets::default()), dir.path()).await.unwrap();
        tokio::spawn(herald_desk::relay::run(desk.clone(), events, None));
        let listener = bind(&dir.path().join("run/herald.sock")).unwrap();
        tokio::spawn(serve(listener, desk.clone(), std::future::pending()));
        Running { dir, desk }
    }

    fn store(&self) -> &Path {
        // The same file as Herald's, named another way.
        self.dir.path()
    }

    fn cli(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_herald-cli"));
        command.env("HERALD_SOCKET", self.dir.path().join("run/herald.sock")).kill_on_drop(true);
        command
    }

    async fn feeds(&self, store: &Path, args: &[&str]) -> Output {
        self.cli().arg("feeds").arg("--store").arg(store).args(args).output().await.unwrap()
    }

    /// The feeds the running engine follows.
    async fn following(&self) -> Vec<String> {
        let feeds = self.desk.engine().ask(GetFeeds).await.expect("feeds");
        feeds.into_iter().map(|f| f.name).collect()
    }
}

fn ok(output: &Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_go_through_the_running_herald_on_the_same_store() {
    let herald = Running::start().await;
    // Named through a `..`, to be recognised as the same file all the same.
    let store = herald.store().join("run/../herald.db");
    ok(&herald.feeds(&store, &["add", "alerts", "http://127.0.0.1:9/alerts/sse"]).await);
    assert_eq!(herald.following().await, ["alerts"], "the running engine follows it at once");
    let listed = herald.feeds(&store, &["list"]).await;
    ok(&listed);
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "alerts\thttp://127.0.0.1:9/alerts/sse\n");

    let file = herald.dir.path().join("feeds.toml");
    std::fs::write(&file, "[[feed]]\nname = \"tasks\"\nurl = \"http://127.0.0.1:9/tasks/subscribe\"\n").unwrap();
    ok(&herald.feeds(&store, &["import", file.to_str().unwrap()]).await);
    assert_eq!(herald.following().await, ["alerts", "tasks"]);
    std::fs::write(&file, "[[feed]]\nname = \"broken\"\nurl = 7\n").unwrap();
    let refused = herald.feeds(&store, &["import", file.to_str().unwrap()]).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 3"), "refused with its line");

    ok(&herald.feeds(&store, &["remove", "alerts"]).await);
    assert_eq!(herald.following().await, ["tasks"], "the running engine stopped following it");
    let missing = herald.feeds(&store, &["remove", "nope"]).await;
    assert_eq!(missing.status.code(), Some(2));

    // Another store is that store's business: Herald's engine hears nothing of it.
    let other = herald.dir.path().join("other.db");
    ok(&herald.feeds(&other, &["add", "elsewhere", "http://127.0.0.1:9/sse"]).await);
    assert_eq!(herald.following().await, ["tasks"]);
    let listed = herald.feeds(&other, &["list"]).await;
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "elsewhere\thttp://127.0.0.1:9/sse\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_follows_herald_and_tail_leaves_its_store_alone() {
    let herald = Running::start().await;
    let hub = LocalHub::start(HubConfig::default().with_anonymous_reads(true), &StoreLocation::Memory).await.unwrap();
    let store = herald.store().join("herald.db");
    ok(&herald.feeds(&store, &["add", "tasks", &format!("{}/tasks/subscribe", hub.url)]).await);
    // The hub sends a new subscriber only live changes: wait for the stream.
    testing::phase_when(&herald.desk, "tasks", |p| matches!(p, Phase::Open { .. })).await;

    let mut sync = herald.cli().args(["sync", "--json", "--store"]).arg(&store).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(sync.stdout.take().unwrap()).lines();
    let mut next = async || -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.expect("sync talks");
        serde_json::from_str(&line.unwrap().expect("sync runs")).unwrap()
    };
    // It says whose engine it follows, then where each feed stands.
    let said = next().await;
    assert_eq!(said["message"], "Herald is running on this store: following its engine", "{said}");
    let first = next().await;
    assert_eq!((first["kind"].as_str(), first["feed"].as_str()), (Some("state"), Some("tasks")), "{first}");
    // Open from the first line: a second engine of its own would be connecting.
    assert_eq!(first["state"], "open", "Herald's engine, already connected");
    hub.hub.create("Ana", "Buy milk").await.unwrap();
    let event = loop {
        let line = next().await;
        if line["kind"] == "event" {
            break line;
        }
    };
    assert_eq!((event["feed"].as_str(), event["lastEventId"].as_str()), (Some("tasks"), Some("1")));
    sync.kill().await.unwrap();

    let tail = herald.cli().args(["tail", "--feed", "tasks", "--store"]).arg(&store).output().await.unwrap();
    assert_eq!(tail.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&tail.stderr).contains("Herald is running on this store"));
}
