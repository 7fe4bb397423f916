//! The hub against what the open internet sends, over real loopback
//! sockets: more event streams than it keeps, from one address and in all,
//! and a subscriber that takes nothing. Each is answered, and the hub goes
//! on serving everyone else.

#[macro_use]
mod support;

use std::net::IpAddr;
use std::time::Duration;

use herald_hub::HubConfig;
use support::*;

/// A client whose connections come from `ip` (any of 127.0.0.0/8 is this machine).
fn from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(ip.parse::<IpAddr>().unwrap()).build().unwrap()
}

/// Polls `check` until it holds, or panics with `what` past the deadline.
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let give_up = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(tokio::time::Instant::now() < give_up, "never {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A config that cannot be used is one clear line and exit 2, before
/// anything is served.
#[test]
fn a_bad_config_is_refused_with_its_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = |config: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_herald-hub"))
            .args(["--memory", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .output()
            .unwrap()
    };
    let bad = dir.path().join("hub.toml");
    std::fs::write(&bad, "keepalive_secs = 5\nmax_streams = 0\n").unwrap();
    let refused = run(&bad);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.ends_with("is not a valid hub config: line 2: max_streams must be at least 1\n"), "{said}");

    let missing = run(&dir.path().join("nowhere.toml"));
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("error: reading "));
}

on_both_backends! {
    async fn streams_past_the_limits_get_503_with_retry_after_and_the_rest_still_works(backend) {
        let hub = start(backend, HubConfig::default().with_actor("Ana", ANA).with_stream_limits(3, 2)).await;
        let (a, b) = (from("127.0.0.1"), from("127.0.0.2"));
        let open = |client: &reqwest::Client| client.get(url(&hub, "/tasks/subscribe")).bearer_auth(ANA).send();

        let first = open(&a).await.unwrap();
        let _second = open(&a).await.unwrap();
        assert_eq!((first.status().as_u16(), _second.status().as_u16()), (200, 200));
        let third = open(&a).await.unwrap();
        assert_eq!(third.status(), 503, "two per address");
        assert_eq!(third.headers()["retry-after"], "5");
        let said: serde_json::Value = third.json().await.unwrap();
        assert_eq!(said["error"], "this address has as many event streams open as one may; try again shortly");

        let _other = open(&b).await.unwrap();
        assert_eq!(_other.status(), 200, "another address has its own two");
        let over = open(&b).await.unwrap();
        assert_eq!(over.status(), 503, "three in all");
        assert_eq!(over.headers()["retry-after"], "5");
        assert_eq!(hub.hub.open_streams(), 3);

        let rest = a.get(url(&hub, "/tasks")).bearer_auth(ANA).send().await.unwrap();
        assert_eq!(rest.status(), 200, "every other route still answers");

        // A stream that ends gives its place back.
        drop(first);
        until("a place given back", async || open(&a).await.unwrap().status() == 200).await;
    }

    /// Behind a load balancer every stream comes from the balancer. The
    /// limit per client holds for the clients it names in `X-Forwarded-For`,
    /// and only a trusted balancer is believed.
    async fn the_limit_per_client_holds_for_the_clients_a_trusted_balancer_names(backend) {
        let config = HubConfig::default()
            .with_actor("Ana", ANA)
            .with_stream_limits(10, 1)
            .with_trusted_proxies(["127.0.0.2/32".parse().unwrap()]);
        let hub = start(backend, config).await;
        let (balancer, stranger) = (from("127.0.0.2"), from("127.0.0.3"));
        let open = |through: &reqwest::Client, client: &str| {
            through.get(url(&hub, "/tasks/subscribe")).bearer_auth(ANA).header("X-Forwarded-For", client).send()
        };

        let _one = open(&balancer, "203.0.113.1").await.unwrap();
        let _two = open(&balancer, "203.0.113.2").await.unwrap();
        assert_eq!((_one.status().as_u16(), _two.status().as_u16()), (200, 200), "two clients, one each");
        let again = open(&balancer, "198.51.100.7, 203.0.113.1").await.unwrap();
        assert_eq!(again.status(), 503, "203.0.113.1 has its one; what it wrote itself is not believed");

        let _mine = open(&stranger, "203.0.113.3").await.unwrap();
        assert_eq!(_mine.status(), 200);
        let spoofed = open(&stranger, "203.0.113.4").await.unwrap();
        assert_eq!(spoofed.status(), 503, "an untrusted peer is the client, whatever it says");
    }

    /// A subscriber that takes nothing fills its buffer; the hub then tells it
    /// `event: reset` in the place it kept free, ends its stream, and holds
    /// nothing more for it. When the subscriber reads at last, the reset is the
    /// last thing it gets, with the id to resume from after the snapshot.
    #[cfg(target_os = "linux")]
    async fn a_subscriber_that_takes_nothing_is_told_reset_and_its_stream_ends(backend) {
        use std::io::{Read, Write};
        const CHANGES: u64 = 12_000;

        let config = HubConfig::default()
            .with_actor("Ana", ANA)
            .with_keepalive(Duration::from_secs(120))
            .with_slow_subscriber(Duration::from_millis(300));
        let hub = start(backend, config).await;

        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        // A fixed receive buffer, so that what it does not read fills it, and
        // then the hub's socket buffer behind it.
        socket.set_recv_buffer_size(128 * 1024).unwrap();
        socket.connect(&hub.addr.into()).unwrap();
        let mut slow = std::net::TcpStream::from(socket);
        let request = format!("GET /tasks/subscribe HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ANA}\r\n\r\n", hub.addr);
        slow.write_all(request.as_bytes()).unwrap();
        until("the slow stream to open", async || hub.hub.open_streams() == 1).await;

        // More than the hub's socket buffer can take (Linux grows it to 4 MiB).
        let name = "x".repeat(500);
        for _ in 0..CHANGES {
            hub.hub.create("Ana", &name).await.unwrap();
        }
        until("the slow stream to end", async || hub.hub.open_streams() == 0).await;
        let mut fast = Stream::open(&hub, Some(ANA)).await;
        assert!(fast.next_event().await.is_some(), "everyone else is still served");

        // Now it reads: what was queued, then the reset, then the end of the
        // body. Its blocking reads run off the runtime's workers: a worker
        // blocked in one holds the task it would run next (tokio's LIFO
        // slot, which no other worker takes), and that may be the hub's.
        slow.set_read_timeout(Some(DEADLINE)).unwrap();
        let read = tokio::task::spawn_blocking(move || {
            let mut read = Vec::new();
            let mut chunk = [0u8; 65536];
            while !read.ends_with(b"\r\n0\r\n\r\n") {
                let n = slow.read(&mut chunk).unwrap_or_else(|e| {
                    let tail = String::from_utf8_lossy(&read[read.len().saturating_sub(300)..]).into_owned();
                    panic!("the rest of the stream within the deadline: {e}; {} bytes read, ending {tail:?}", read.len())
                });
                assert!(n > 0, "the connection closed before the body ended");
                read.extend_from_slice(&chunk[..n]);
            }
            read
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&read);
        let reset = text.rfind("event: reset").expect("told to reset");
        let number_after = |at: usize, key: &str| -> u64 {
            let from = at + text[at..].find(key).unwrap() + key.len();
            text[from..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
        };
        // The sequence number it resumes from is the hub's when it was reset:
        // past everything it was sent, and no further than what was made.
        let resume = number_after(reset, "\"seq\":");
        let last_sent = number_after(text[..reset].rfind("id: ").unwrap(), "id: ");
        assert!(last_sent < resume && resume <= CHANGES, "sent up to {last_sent}, resume from {resume}");
        assert!(text.matches("event: create").count() < CHANGES as usize, "not everything was held for it");
    }

    async fn health_is_answered_without_a_token(backend) {
        let hub = default_hub(backend).await;
        let health = client().get(url(&hub, "/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert_eq!(health.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"store": "ok", "backend": backend.name()}));
    }

    async fn metrics_count_streams_events_replays_and_refusals(backend) {
        let hub = default_hub(backend).await;
        client().post(url(&hub, "/tasks")).bearer_auth(ANA).json(&serde_json::json!({"name": "a"})).send().await.unwrap();
        let mut stream = Stream::from_response(
            client().get(url(&hub, "/tasks/subscribe")).bearer_auth(BOB).header("Last-Event-ID", "0").send().await.unwrap(),
        );
        while &*stream.next_event().await.unwrap().event != "create" {}
        assert_eq!(client().get(url(&hub, "/tasks")).bearer_auth("wrong-token").send().await.unwrap().status(), 401);
        let stale = client().put(url(&hub, "/tasks/1")).bearer_auth(ANA).header("if-match", "\"9\"");
        assert_eq!(stale.json(&serde_json::json!({"done": true})).send().await.unwrap().status(), 412);

        let scrape = client().get(url(&hub, "/metrics")).send().await.unwrap();
        assert_eq!(scrape.status(), 200);
        assert!(scrape.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
        let scrape = scrape.text().await.unwrap();
        assert_eq!(metric(&scrape, "herald_hub_open_streams"), 1.0, "{scrape}");
        assert!(metric(&scrape, "herald_hub_events_out_total") >= 3.0, "retry, presence and the create: {scrape}");
        assert!(metric(&scrape, "herald_hub_replay_reads_total") >= 1.0, "{scrape}");
        assert_eq!(metric(&scrape, "herald_hub_refusals_total{reason=\"unauthorized\"}"), 1.0, "{scrape}");
        assert_eq!(metric(&scrape, "herald_hub_refusals_total{reason=\"conflict\"}"), 1.0, "{scrape}");
        assert!(!scrape.contains("ana-token"), "no token, no data");
    }
}

/// The value of a metric line `name` in a Prometheus scrape, 0 if absent.
fn metric(scrape: &str, name: &str) -> f64 {
    scrape.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0.0)
}

/// The binary as a supervisor runs it: JSON logs, one object a line, and
/// SIGTERM ends the open streams and exits 0.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_sigterm_end_streams_and_exit_cleanly() {
    use tokio::io::AsyncBufReadExt;
    let mut hub = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-hub"))
        .args(["--listen", "127.0.0.1:0", "--memory", "--log-format", "json"])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut logs = tokio::io::BufReader::new(hub.stderr.take().unwrap()).lines();
    let serving = tokio::time::timeout(DEADLINE, async {
        loop {
            let line = logs.next_line().await.unwrap().expect("the hub logged that it serves");
            let entry: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if entry["message"] == "herald-hub is serving" {
                return entry;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!((&serving["level"], &serving["store"]), (&serde_json::json!("INFO"), &serde_json::json!("sqlite")));
    let addr = serving["addr"].as_str().unwrap().to_owned();

    let stream = client().get(format!("http://{addr}/tasks/subscribe")).send().await.unwrap();
    let mut stream = Stream::from_response(stream);
    let term = std::process::Command::new("kill").args(["-TERM", &hub.id().unwrap().to_string()]).status().unwrap();
    assert!(term.success());
    assert!(stream.next_event().await.is_none(), "the stream ended");
    let status = tokio::time::timeout(DEADLINE, hub.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0));
}
