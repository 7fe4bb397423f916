//! A feed's token against a real Secret Service: gnome-keyring on a private
//! D-Bus session (`tests/support/keyring-session`). The token reaches the
//! server, and appears in no file Herald writes, no export and no log; with
//! no keyring, the user is told so and nothing falls back to plain text.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use herald_hub::{HubConfig, LocalHub, StoreLocation};

fn session_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/keyring-session")
}

/// `herald-cli ARGS` with `stdin`, inside a keyring session kept in `keyring`
/// (or on a bus with no Secret Service), logging everything.
fn in_session(keyring: &Path, service: bool, stdin: &str, args: &[&str]) -> Output {
    let mut command = Command::new(session_script());
    command.arg(keyring);
    if !service {
        command.arg("--no-service");
    }
    command.arg("--").arg(env!("CARGO_BIN_EXE_herald-cli")).args(args);
    run(command, stdin)
}

fn run(mut command: Command, stdin: &str) -> Output {
    command.env("RUST_LOG", "trace").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Every file under `dir` that holds `needle`, byte for byte.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_lives_in_the_keyring_and_nowhere_else() {
    let token = format!("herald-secret-{:016x}", fastrand::u64(..));
    let hub = LocalHub::start(HubConfig::default().with_actor("Ana", &token), &StoreLocation::Memory).await.unwrap();
    hub.hub.create("Ana", "one").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    let store_arg = store.to_str().unwrap();
    let keyring = dir.path().join("keyring");
    let url = format!("{}/tasks/subscribe", hub.url);
    let mut logs = String::new();

    let added = in_session(&keyring, true, "", &["feeds", "add", "tasks", &url, "--store", store_arg]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));

    // Without a Secret Service on the bus, the secret is refused, and the feed is unchanged.
    let refused = in_session(&keyring, false, &token, &["feeds", "secret", "tasks", "--store", store_arg]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(text(&refused).contains("no OS keyring is reachable"), "{}", text(&refused));
    let listed = in_session(&keyring, true, "", &["feeds", "list", "--json", "--store", store_arg]);
    assert!(text(&listed).contains("\"auth\":null"), "{}", text(&listed));

    // With gnome-keyring: the token goes in, and the feed names its entry.
    let stored = in_session(&keyring, true, &format!("{token}\n"), &["feeds", "secret", "tasks", "--store", store_arg]);
    assert_eq!(stored.status.code(), Some(0), "{}", text(&stored));
    logs += &text(&stored);

    // The hub answers only with the token, so an event proves it was sent.
    // Two: the hub first says who is here, then replays the create.
    let tailed = in_session(
        &keyring,
        true,
        "",
        &["tail", "--feed", "tasks", "--store", store_arg, "--json", "--max-events", "2", "--last-event-id", "0"],
    );
    assert_eq!(tailed.status.code(), Some(0), "{}", text(&tailed));
    assert!(text(&tailed).contains(r#""event":"create""#), "{}", text(&tailed));
    logs += &text(&tailed);

    let exported = in_session(&keyring, true, "", &["feeds", "export", "--store", store_arg]);
    assert_eq!(exported.status.code(), Some(0), "{}", text(&exported));
    let export = String::from_utf8_lossy(&exported.stdout).into_owned();
    assert!(export.contains(r#"keyring = "tasks""#), "the export names the entry:\n{export}");
    logs += &text(&exported);

    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "the logs were on:\n{logs}");
    assert!(!logs.contains(&token), "a secret in the output or logs:\n{logs}");
    assert!(!export.contains(&token));
    // Nothing under the test's folder holds it: not the store, its WAL, nor
    // the keyring's own file, which keeps it encrypted.
    assert!(std::fs::metadata(&store).unwrap().len() > 0);
    assert_eq!(files_holding(dir.path(), &token), Vec::<PathBuf>::new());

    // Another user's keyring does not have it: a clear error, not a 401 loop.
    let other = dir.path().join("other-keyring");
    let missing = in_session(&other, true, "", &["tail", "--feed", "tasks", "--store", store_arg]);
    assert_eq!(missing.status.code(), Some(3), "{}", text(&missing));
    assert!(text(&missing).contains(r#"the keyring holds no secret named "tasks""#), "{}", text(&missing));

    // No bus at all reads the same way as no service.
    let mut no_bus = Command::new(env!("CARGO_BIN_EXE_herald-cli"));
    no_bus.args(["tail", "--feed", "tasks", "--store", store_arg]);
    no_bus.env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", dir.path().join("no-bus").display()));
    let no_bus = run(no_bus, "");
    assert_eq!(no_bus.status.code(), Some(3), "{}", text(&no_bus));
    assert!(text(&no_bus).contains("no OS keyring is reachable"), "{}", text(&no_bus));

    // Removing the feed removes its secret: imported again, it has none.
    let removed = in_session(&keyring, true, "", &["feeds", "remove", "tasks", "--store", store_arg]);
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed));
    let file = dir.path().join("feeds.toml");
    std::fs::write(&file, &export).unwrap();
    let imported = in_session(&keyring, true, "", &["feeds", "import", file.to_str().unwrap(), "--store", store_arg]);
    assert_eq!(imported.status.code(), Some(0), "{}", text(&imported));
    let gone = in_session(&keyring, true, "", &["tail", "--feed", "tasks", "--store", store_arg]);
    assert!(text(&gone).contains(r#"the keyring holds no secret named "tasks""#), "{}", text(&gone));
}
