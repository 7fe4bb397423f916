//! A feed's token against a real Secret Service: gnome-keyring on a private
//! D-Bus session (`tests/support/keyring-session`). The token reaches the
//! server, and appears in no file Herald writes, no export and no log; with
//! no keyring, the user is told so and nothing falls back to plain text.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::leaks::files_holding;

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

/// `feeds add --client-cert --client-key`: the key goes into the keyring,
/// the feed names only the certificate's file and the entry, a stored feed
/// presents it through a front door that asks for one (real nginx), and
/// removing the feed forgets the key.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_key_lives_in_the_keyring_and_nowhere_else() {
    use herald_test_support::mtls::{ClientCa, FrontDoor, Validity};
    use herald_test_support::{serve, sse, Answer};

    let upstream = serve((0..2).map(|_| Answer::Close(sse(b"id: 1\ndata: inside\n\n"))).collect()).await;
    let ca = ClientCa::new("Example Corp");
    let door = FrontDoor::start(&ca, &upstream.url).await;
    // The user's own files, outside the folder Herald writes to.
    let files = tempfile::tempdir().unwrap();
    let ana = ca.issue("ana", Validity::Current);
    let (cert, key) = ana.write(files.path(), "ana");
    let trust = files.path().join("door-ca.pem");
    std::fs::write(&trust, &door.trust_pem).unwrap();
    let key_body: String = ana.key_pem.lines().nth(1).unwrap().to_owned();

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    let store_arg = store.to_str().unwrap();
    let keyring = dir.path().join("keyring");
    let url = format!("{}/events", door.nginx.url);
    let (cert_arg, key_arg, trust_arg) = (cert.to_str().unwrap(), key.to_str().unwrap(), trust.to_str().unwrap());
    let add = ["feeds", "add", "corp", &url, "--store", store_arg, "--ca-cert", trust_arg, "--client-cert", cert_arg];
    let mut with_key = add.to_vec();
    with_key.extend(["--client-key", key_arg]);
    let added = in_session(&keyring, true, "", &with_key);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    let mut logs = text(&added);

    let tailed = in_session(
        &keyring,
        true,
        "",
        &["tail", "--feed", "corp", "--store", store_arg, "--json", "--max-events", "1"],
    );
    assert_eq!(tailed.status.code(), Some(0), "{}", text(&tailed));
    assert!(text(&tailed).contains(r#""data":"inside""#), "{}", text(&tailed));
    logs += &text(&tailed);

    let exported = in_session(&keyring, true, "", &["feeds", "export", "--store", store_arg]);
    let export = String::from_utf8_lossy(&exported.stdout).into_owned();
    assert!(
        export.contains(&format!("cert = \"{cert_arg}\"")) && export.contains(r#"keyring = "corp client key""#),
        "{export}"
    );
    assert!(!logs.contains(&key_body) && !export.contains(&key_body), "the key in the output");
    assert_eq!(files_holding(dir.path(), &key_body), Vec::<PathBuf>::new(), "the key in a file Herald wrote");

    // A key that is not the certificate's is refused when it is added.
    let bob = ca.issue("bob", Validity::Current).write(files.path(), "bob").1;
    let mut wrong = add.to_vec();
    wrong.extend(["--client-key", bob.to_str().unwrap()]);
    let refused = in_session(&keyring, true, "", &wrong);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("does not match its private key"), "{}", text(&refused));
    let still = in_session(
        &keyring,
        true,
        "",
        &["tail", "--feed", "corp", "--store", store_arg, "--json", "--max-events", "1"],
    );
    assert_eq!(still.status.code(), Some(0), "the feed keeps its good key: {}", text(&still));

    // Removed, the feed takes its key with it.
    let removed = in_session(&keyring, true, "", &["feeds", "remove", "corp", "--store", store_arg]);
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed));
    let file = dir.path().join("feeds.toml");
    std::fs::write(&file, &export).unwrap();
    let imported = in_session(&keyring, true, "", &["feeds", "import", file.to_str().unwrap(), "--store", store_arg]);
    assert_eq!(imported.status.code(), Some(0), "{}", text(&imported));
    let gone = in_session(&keyring, true, "", &["tail", "--feed", "corp", "--store", store_arg]);
    assert!(text(&gone).contains(r#"the keyring holds no secret named "corp client key""#), "{}", text(&gone));
}

/// `feeds secret NAME --proxy USER`: the feed's own proxy's password goes
/// into the keyring, and the feed names its user and entry; a feed with no
/// proxy of its own is refused, and the keyring is left alone.
#[test]
fn a_proxy_password_lives_in_the_keyring_and_nowhere_else() {
    let password = format!("proxy-secret-{:016x}", fastrand::u64(..));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    let store_arg = store.to_str().unwrap();
    let keyring = dir.path().join("keyring");
    let file = dir.path().join("feeds.toml");
    let feeds = "[[feed]]\nname = \"direct\"\nurl = \"https://a.example/sse\"\n\n\
                 [[feed]]\nname = \"corp\"\nurl = \"https://b.example/sse\"\nproxy = \"http://proxy.corp.example:3128\"\n";
    std::fs::write(&file, feeds).unwrap();
    let imported = in_session(&keyring, true, "", &["feeds", "import", file.to_str().unwrap(), "--store", store_arg]);
    assert_eq!(imported.status.code(), Some(0), "{}", text(&imported));

    let stdin = format!("{password}\n");
    let refused =
        in_session(&keyring, true, &stdin, &["feeds", "secret", "direct", "--proxy", "ana", "--store", store_arg]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("proxy_auth needs a proxy"), "{}", text(&refused));

    let kept = in_session(&keyring, true, &stdin, &["feeds", "secret", "corp", "--proxy", "ana", "--store", store_arg]);
    assert_eq!(kept.status.code(), Some(0), "{}", text(&kept));
    let exported = in_session(&keyring, true, "", &["feeds", "export", "--store", store_arg]);
    let export = String::from_utf8_lossy(&exported.stdout).into_owned();
    assert!(export.contains("[feed.proxy_auth]\nusername = \"ana\"\nkeyring = \"corp proxy\""), "{export}");
    assert!(!export.contains(&password) && !text(&kept).contains(&password));
    assert_eq!(files_holding(dir.path(), &password), Vec::<PathBuf>::new());
}
