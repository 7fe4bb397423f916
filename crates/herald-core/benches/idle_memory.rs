//! Memory per idle subscription, Herald against eventsource-client 0.18, in
//! one run: each client, in a fresh process of its own (so that neither
//! reuses memory the other freed), opens N streams to a loopback server that
//! sends one comment and then nothing; the growth of the process's resident
//! memory is divided by N.
//!
//! `cargo bench -p herald-core --bench idle_memory`; figures in BENCHMARKS.md.

use std::sync::Arc;
use std::time::Duration;

use eventsource_client::{Client, ClientBuilder, ReconnectOptions, SSE};
use futures_util::StreamExt;
use herald_core::sse::{Phase, Subscription, SubscriptionConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Barrier;

const STREAMS: usize = 1000;

/// Resident memory of this process, in bytes.
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("statm's second field");
    pages * 4096
}

/// A server that answers every request with an event stream holding one comment, then holds it open.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 2048];
                let _ = socket.read(&mut head).await;
                let response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: connected\n\n";
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.read(&mut head).await; // until the client goes
            });
        }
    });
    url
}

/// Herald: N subscriptions, each waited on until open and its comment heard.
async fn herald(url: &str, n: usize) -> Vec<Subscription> {
    let client = herald_core::http_client().unwrap();
    let mut subscriptions = Vec::with_capacity(n);
    for _ in 0..n {
        let mut config = SubscriptionConfig::new(url);
        config.stall_timeout = Duration::from_secs(3600);
        subscriptions.push(Subscription::start(client.clone(), config));
    }
    for subscription in &subscriptions {
        let mut state = subscription.state();
        let open = state.wait_for(|s| matches!(s.phase, Phase::Open { .. }) && s.last_heard.is_some()).await;
        open.expect("the subscription opens");
    }
    subscriptions
}

/// eventsource-client: N streams, each polled by its own task, which is how it is used.
async fn baseline(url: &str, n: usize) -> Vec<tokio::task::JoinHandle<()>> {
    let connected = Arc::new(Barrier::new(n + 1));
    let tasks = (0..n)
        .map(|_| {
            let client = ClientBuilder::for_url(url)
                .unwrap()
                .reconnect(ReconnectOptions::reconnect(false).build())
                .build_with_transport(launchdarkly_sdk_transport::HyperTransport::new().unwrap());
            let connected = connected.clone();
            tokio::spawn(async move {
                let mut stream = client.stream();
                let mut told = false;
                while let Some(item) = stream.next().await {
                    if !told && matches!(item, Ok(SSE::Comment(_))) {
                        told = true;
                        connected.wait().await;
                    }
                }
            })
        })
        .collect();
    connected.wait().await;
    tasks
}

/// Bytes of resident memory per idle stream for one client, measured in this process.
fn measure(client: &str, n: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let url = serve().await;
        // Warm up: one-time set-up (TLS roots, runtime, allocator) is not per stream.
        let before = match client {
            "herald" => {
                drop(herald(&url, 10).await);
                let before = resident();
                std::mem::forget(herald(&url, n).await);
                before
            }
            _ => {
                baseline(&url, 10).await.into_iter().for_each(|t| t.abort());
                let before = resident();
                std::mem::forget(baseline(&url, n).await);
                before
            }
        };
        resident().saturating_sub(before) as f64 / n as f64
    })
}

const CLIENT_VAR: &str = "HERALD_IDLE_MEMORY_CLIENT";

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick { 10 } else { STREAMS };
    if let Ok(client) = std::env::var(CLIENT_VAR) {
        println!("{}", measure(&client, n));
        return;
    }
    let per_stream = |client: &str| -> f64 {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(std::env::args().skip(1))
            .env(CLIENT_VAR, client)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().parse().unwrap()
    };
    let herald = per_stream("herald");
    let baseline = per_stream("eventsource-client");
    println!("idle streams per client: {n}");
    println!("herald:             {:.1} KiB per idle subscription", herald / 1024.0);
    println!("eventsource-client: {:.1} KiB per idle stream", baseline / 1024.0);
    println!("ratio (herald / eventsource-client): {:.2}", herald / baseline);
}
