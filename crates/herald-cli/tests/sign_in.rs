//! `feeds sign-in` with the device grant, against a real OpenID provider
//! (`oidc-provider` from npm, on loopback), on a private D-Bus session with
//! a real Secret Service (gnome-keyring, `tests/support/keyring-session`).
//! The test plays the user on the address the CLI prints. Then `tail`
//! follows the provider's resource server across the expiry of its
//! 5-second tokens with every event once; no token the provider issued is
//! in any file under the test's folder, or in the output and logs; and
//! `feeds sign-out` forgets the sign-in.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use herald_test_support::leaks::files_holding;
use herald_test_support::oidc::Provider;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

fn session(keyring: &Path, args: &[&str]) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/keyring-session");
    let mut command = Command::new(script);
    command.arg(keyring).arg("--").arg(env!("CARGO_BIN_EXE_herald-cli")).args(args);
    command.env("RUST_LOG", "trace").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// `herald-cli ARGS` in the keyring session: its exit code, and all it said.
async fn run(keyring: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = session(keyring, args).output().await.unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_device_grant_signs_a_feed_in_and_its_tokens_live_only_in_the_keyring() {
    let provider = Provider::start(Duration::from_secs(5), Duration::from_millis(100)).await;
    let dir = tempfile::tempdir().unwrap();
    let (store, keyring) = (dir.path().join("herald.db"), dir.path().join("keyring"));
    let store = store.to_str().unwrap();
    let feeds = dir.path().join("feeds.toml");
    let auth = format!(
        "{{ scheme = \"oidc\", issuer = \"{}\", client_id = \"herald\", scopes = [\"tasks\"] }}",
        provider.issuer
    );
    std::fs::write(&feeds, format!("[[feed]]\nname = \"tasks\"\nurl = \"{}\"\nauth = {auth}\n", provider.events))
        .unwrap();
    let (code, said) = run(&keyring, &["feeds", "import", feeds.to_str().unwrap(), "--store", store]).await;
    assert_eq!(code, Some(0), "{said}");
    let mut logs = said;

    // Not signed in yet: a clear stop, not a 401 loop.
    let (code, said) = run(&keyring, &["tail", "--feed", "tasks", "--store", store]).await;
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains(&format!("not signed in to {}: sign in", provider.issuer)), "{said}");

    // Signing in: the CLI shows where to go; the user goes there.
    let mut signing_in = session(&keyring, &["feeds", "sign-in", "tasks", "--store", store]).spawn().unwrap();
    let mut lines = BufReader::new(signing_in.stdout.take().unwrap()).lines();
    let mut shown = String::new();
    let address = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap();
        let line = line.unwrap_or_else(|| panic!("no address shown:\n{shown}"));
        shown += &format!("{line}\n");
        if let Some(complete) = line.strip_prefix("(or open ").and_then(|l| l.split_whitespace().next()) {
            break complete.trim_end_matches([',', ')']).to_owned();
        }
    };
    assert!(shown.contains("and enter the code "), "{shown}");
    provider.complete(&address, "ana").await;
    while let Some(line) = lines.next_line().await.unwrap() {
        shown += &format!("{line}\n");
    }
    let mut errors = String::new();
    signing_in.stderr.take().unwrap().read_to_string(&mut errors).await.unwrap();
    assert_eq!(signing_in.wait().await.unwrap().code(), Some(0), "{shown}{errors}");
    assert!(shown.contains("Signed in as ana."), "{shown}");
    logs += &shown;
    logs += &errors;

    // Following it, across the expiry of 5-second tokens: every event once.
    let args = ["tail", "--feed", "tasks", "--store", store, "--json", "--max-events", "80"];
    let (code, said) = run(&keyring, &args).await;
    assert_eq!(code, Some(0), "{said}");
    let ids: Vec<u64> = said
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "event")
        .map(|v| v["lastEventId"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 80, "{said}");
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "in order, none lost or repeated: {ids:?}");
    logs += &said;

    // Every token the provider issued (at least the first pair and one
    // refresh) is in no file and in nothing said.
    let issued = provider.issued().await;
    assert!(issued.len() >= 4, "a sign-in and a refresh: {issued:?}");
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "the logs were on");
    for token in &issued {
        assert!(!logs.contains(token.as_str()), "a token in the output or logs");
        assert_eq!(files_holding(dir.path(), token), Vec::<PathBuf>::new(), "a token in a file");
    }

    // Signing out forgets it: the feed needs a sign-in again.
    let (code, said) = run(&keyring, &["feeds", "sign-out", "tasks", "--store", store]).await;
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = run(&keyring, &["tail", "--feed", "tasks", "--store", store]).await;
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("not signed in"), "{said}");
}
