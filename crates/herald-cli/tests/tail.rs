//! `herald-cli tail` as a script would run it: against a real hub and raw
//! servers on loopback, checking stdout line by line and the exit code.

use std::process::Output;
use std::time::Duration;

use herald_hub::{HubConfig, LocalHub, StoreLocation};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "cli-test-token";

async fn tail(args: &[&str]) -> Output {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-cli")).arg("tail").args(args).output();
    tokio::time::timeout(Duration::from_secs(30), run).await.expect("herald-cli finished").unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

async fn hub_with_changes() -> LocalHub {
    let hub = LocalHub::start(HubConfig::default().with_actor("Ana", TOKEN), &StoreLocation::Memory).await.unwrap();
    hub.hub.create("Ana", "Buy milk").await.unwrap();
    hub.hub.create("Ana", "Call Bo").await.unwrap();
    hub.hub.create("Ana", "Water plants").await.unwrap();
    hub
}

#[tokio::test]
async fn json_output_is_one_object_per_line_and_max_events_ends_it() {
    let hub = hub_with_changes().await;
    let url = format!("{}/tasks/subscribe", hub.url);
    let auth = format!("Authorization: Bearer {TOKEN}");
    // The hub says who is here first (an event with no id of its own), then replays.
    let output = tail(&[&url, "--json", "-H", &auth, "--last-event-id", "1", "--max-events", "3"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let lines = json_lines(&output);
    let kinds: Vec<&str> = lines.iter().map(|l| l["state"].as_str().unwrap_or("event")).collect();
    // On loopback the connection may be open before tail first looks.
    let (open, connected) = (["open", "event", "event", "event"], ["connecting", "open", "event", "event", "event"]);
    assert!(kinds == open || kinds == connected, "{kinds:?}");
    let events: Vec<Value> = lines
        .iter()
        .filter(|l| l["kind"] == "event")
        .map(|l| {
            let data: Value = serde_json::from_str(l["data"].as_str().unwrap()).unwrap();
            json!({"event": l["event"], "name": data["name"], "lastEventId": l["lastEventId"]})
        })
        .collect();
    assert_eq!(
        events,
        [
            json!({"event": "presence", "name": null, "lastEventId": "1"}),
            json!({"event": "create", "name": "Call Bo", "lastEventId": "2"}),
            json!({"event": "create", "name": "Water plants", "lastEventId": "3"}),
        ]
    );
}

#[tokio::test]
async fn readable_output_names_the_event_and_its_id() {
    let hub = hub_with_changes().await;
    let url = format!("{}/tasks/subscribe", hub.url);
    let auth = format!("Authorization: Bearer {TOKEN}");
    let output = tail(&[&url, "-H", &auth, "--last-event-id", "2", "--max-events", "2"]).await;
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let event = stdout.lines().find(|l| l.starts_with("create")).expect("an event line");
    assert!(event.starts_with("create #3: {\"id\":3,\"name\":\"Water plants\""), "{event}");
}

#[tokio::test]
async fn a_refused_token_exits_3_with_the_reason() {
    let hub = hub_with_changes().await;
    let url = format!("{}/tasks/subscribe", hub.url);
    let output = tail(&[&url, "--json", "-H", "Authorization: Bearer wrong-token"]).await;
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output);
    let last_two = &lines[lines.len() - 2..];
    assert_eq!(last_two[0]["state"], "stopped");
    assert_eq!(last_two[0]["reason"], json!({"kind": "needsAuthentication", "status": 401}));
    assert_eq!(last_two[1], json!({"kind": "error", "message": "authentication needed (401)"}));
}

/// A server that answers every request with `response`, raw.
async fn raw_server(response: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/events")
}

#[tokio::test]
async fn a_204_ends_the_tail_normally() {
    let url = raw_server("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n").await;
    let output = tail(&[&url, "--json"]).await;
    assert_eq!(output.status.code(), Some(0));
    let lines = json_lines(&output);
    assert_eq!(lines.last().unwrap()["reason"], json!({"kind": "noContent"}));
}

#[tokio::test]
async fn a_wrong_content_type_exits_3() {
    let url = raw_server("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi").await;
    let output = tail(&[&url]).await;
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected text/event-stream, got text/html"));
}

#[tokio::test]
async fn usage_errors_exit_2_with_the_exact_reason() {
    let bad_header = tail(&["http://127.0.0.1:9/x", "-H", "no colon here"]).await;
    assert_eq!(bad_header.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad_header.stderr).contains("-H \"no colon here\" is not of the form \"Name: value\"")
    );

    let bad_url = tail(&["ftp://example.com/x"]).await;
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("ftp://example.com/x is not an http(s) URL"));

    let bad_flag = tail(&["http://127.0.0.1:9/x", "--max-events", "0"]).await;
    assert_eq!(bad_flag.status.code(), Some(2), "clap refuses it");

    let bad_pointer = tail(&["http://127.0.0.1:9/x", "--cursor-pointer", "id"]).await;
    assert_eq!(bad_pointer.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_pointer.stderr).contains("--cursor-pointer \"id\" is not a JSON pointer"));
}

/// Every failed attempt says why on a line of its own, not only as a state.
#[tokio::test]
async fn each_failed_attempt_prints_an_error_line_with_its_reason() {
    // A second between attempts: the engine tells a feed's state as it is
    // when it looks, so attempts made at once may go by as one.
    let busy = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n".to_vec();
    let done = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n".to_vec();
    let server = herald_test_support::serve(vec![
        herald_test_support::Answer::Close(busy.clone()),
        herald_test_support::Answer::Close(busy),
        herald_test_support::Answer::Close(done),
    ])
    .await;
    let output = tail(&[&format!("{}/events", server.url), "--json"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let errors: Vec<Value> = json_lines(&output).into_iter().filter(|l| l["kind"] == "error").collect();
    let reason = json!({"kind": "error", "message": "the server answered 503"});
    assert_eq!(errors, [reason.clone(), reason]);
}
