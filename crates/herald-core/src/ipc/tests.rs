//! The socket on a real Unix socket in a temporary folder.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{broadcast, oneshot, Mutex};

use std::any::Any;

use serde_json::json;

use super::*;
use crate::call::{Answer, Call, Serve};
use crate::engine::{Engine, EngineConfig, GetFeeds, StoreAt};
use crate::secrets::MemorySecrets;

/// Answers `GetStatus` only when the test opens its gate, and a few other
/// calls at once; anything else is unavailable. The engine's calls go to a
/// real engine, on a store in memory.
struct Echo {
    engine: Engine,
    pushes: broadcast::Sender<Push>,
    gate: Mutex<Option<oneshot::Receiver<()>>>,
}

impl<C: Call> Serve<C> for Echo {
    async fn answer(&self, call: C) -> Answer<C> {
        let call: &dyn Any = &call;
        let answer = if call.is::<GetStatus>() {
            None
        } else if call.is::<GetAutostart>() {
            Some(json!(true))
        } else if let Some(GetFeedForm { name }) = call.downcast_ref() {
            return Err(Error::not_found(format!("no feed {name}")));
        } else {
            return Err(Error::unavailable("not in this test"));
        };
        let answer = match answer {
            Some(answer) => answer,
            None => {
                let gate = self.gate.lock().await.take();
                if let Some(gate) = gate {
                    let _ = gate.await;
                }
                json!({ "notificationsError": "gated" })
            }
        };
        Ok(serde_json::from_value(answer).expect("the answer's own type"))
    }
}

impl Handler for Echo {
    fn engine(&self) -> &Engine {
        &self.engine
    }

    fn subscribe(&self, _window: bool) -> (broadcast::Receiver<Push>, Option<Box<dyn Send>>) {
        (self.pushes.subscribe(), None)
    }
}

struct Running {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    echo: Arc<Echo>,
    open_gate: Option<oneshot::Sender<()>>,
    _stop: oneshot::Sender<()>,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("herald").join("herald.sock");
    let (open_gate, gate) = oneshot::channel();
    let config = EngineConfig::new(StoreAt::Memory, Arc::new(MemorySecrets::default()));
    let (engine, _events) = Engine::start(config).await.expect("an engine");
    let echo = Arc::new(Echo { engine, pushes: broadcast::channel(16).0, gate: Mutex::new(Some(gate)) });
    let listener = bind(&path).expect("bound");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, echo.clone(), async move {
        let _ = stopped.await;
    }));
    Running { _dir: dir, path, echo, open_gate: Some(open_gate), _stop: stop }
}

#[tokio::test]
async fn calls_are_answered_by_id_whatever_order_they_finish_in() {
    let mut running = start().await;
    let client = Arc::new(Client::connect(&running.path).await.expect("connected"));
    let slow = tokio::spawn({
        let client = client.clone();
        async move { client.ask(GetStatus).await }
    });
    // The quick calls are answered while the slow one waits at its gate,
    // each with its own type.
    assert_eq!(client.ask(GetAutostart).await, Ok(true));
    assert_eq!(client.ask(GetFeeds).await, Ok(Vec::new()));
    let refused = client.ask(GetFeedForm { name: "x".into() }).await;
    assert_eq!(refused, Err(Error::not_found("no feed x")), "its kind crosses the socket");
    running.open_gate.take().expect("a gate").send(()).expect("the gate");
    let status = slow.await.expect("joined").expect("answered");
    assert_eq!(status.notifications_error.as_deref(), Some("gated"));
}

#[tokio::test]
async fn a_subscribed_client_hears_what_happens() {
    let running = start().await;
    let mut client = Client::connect(&running.path).await.expect("connected");
    let mut pushes = client.subscribe(false).await.expect("subscribed");
    let status = Status { notifications_error: Some("no service".into()), ..Status::default() };
    running.echo.pushes.send(Push::Status { status: status.clone() }).expect("a subscriber");
    assert_eq!(pushes.recv().await, Some(Push::Status { status }));
    assert!(client.subscribe(false).await.is_err(), "once");
}

#[tokio::test]
async fn a_line_that_does_not_read_costs_only_itself() {
    let running = start().await;
    let stream = tokio::net::UnixStream::connect(&running.path).await.expect("connected");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"{not json\n{\"id\":7,\"request\":{\"kind\":\"noSuchThing\"}}\n").await.expect("written");
    write.write_all(b"{\"id\":8,\"request\":{\"kind\":\"getAutostart\"}}\n").await.expect("written");
    let first: Message = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let Message::Answer { id: 0, outcome: Outcome::Error(Error::Invalid { field: None, message }) } = first else {
        panic!("{first:?}")
    };
    assert!(message.contains("does not read"), "{message}");
    let second: Message = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let Message::Answer { id: 7, outcome: Outcome::Error(Error::Invalid { message, .. }) } = second else {
        panic!("{second:?}")
    };
    assert!(message.contains("noSuchThing"), "{message}");
    let third = lines.next_line().await.unwrap().unwrap();
    assert_eq!(third, r#"{"id":8,"ok":true}"#, "the wire format, exactly");
}

#[tokio::test]
async fn a_line_too_long_is_refused_and_the_connection_closed() {
    let running = start().await;
    let stream = tokio::net::UnixStream::connect(&running.path).await.expect("connected");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let long = vec![b'x'; frame::MAX_LINE + 2];
    // The server stops reading at the limit; the rest need not be taken.
    let _ = write.write_all(&long).await;
    let answer: Message = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let Message::Answer { id: 0, outcome: Outcome::Error(Error::Invalid { message, .. }) } = answer else {
        panic!("{answer:?}")
    };
    assert!(message.contains("more than"), "{message}");
    assert_eq!(lines.next_line().await.unwrap(), None, "closed");
}

#[tokio::test]
async fn the_socket_is_the_owners_alone_and_one_herald_has_it() {
    let running = start().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&running.path), 0o600);
    assert_eq!(mode(running.path.parent().unwrap()), 0o700);
    let again = bind(&running.path).expect_err("a second Herald");
    assert_eq!(again.kind(), std::io::ErrorKind::AddrInUse);
    // A socket left by a Herald that is gone is replaced.
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("herald.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let listener = bind(&stale).expect("the stale socket replaced");
    drop(listener);
}

/// Even with the folder and the socket opened to everyone, a peer of
/// another uid gets no answer. Needs root, to be another user.
#[tokio::test]
async fn a_peer_of_another_uid_is_refused() {
    if server::uid() != 0 {
        eprintln!("skipped: only root can connect as another user");
        return;
    }
    let running = start().await;
    let dir = running.path.parent().unwrap();
    std::fs::set_permissions(running._dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&running.path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let script = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    s.sendall(b'{"id":1,"request":{"kind":"getAutostart"}}\n')
    print(repr(s.recv(4096)))
except OSError:  # closed before the line was even taken
    print(repr(b''))
"#;
    let run = |uid: &str| {
        let path = running.path.clone();
        let uid = uid.to_owned();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("setpriv")
                .args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "/usr/bin/python3",
                    "-c",
                    script,
                ])
                .arg(&path)
                .output()
                .expect("setpriv runs")
        })
    };
    let other = run("65534").await.unwrap();
    assert_eq!(String::from_utf8_lossy(&other.stdout).trim(), "b''", "{}", String::from_utf8_lossy(&other.stderr));
    let owner = run("0").await.unwrap();
    assert_eq!(String::from_utf8_lossy(&owner.stdout).trim(), r#"b'{"id":1,"ok":true}\n'"#, "the owner is answered");
}

/// A Herald that answers in a form this client cannot read (another
/// version, say) fails the call, and the client does not wait for ever.
#[tokio::test]
async fn an_answer_that_does_not_read_ends_its_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let id = serde_json::from_str::<serde_json::Value>(&line).unwrap()["id"].clone();
            let answer = format!("{}\n", json!({ "id": id, "reply": "feeds", "feeds": [] }));
            write.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    let client = Client::connect(&path).await.unwrap();
    let answer = client.ask(GetAutostart).await;
    assert!(matches!(&answer, Err(Error::Internal { message }) if message.contains("does not read")), "{answer:?}");
}
