//! `herald-cli feeds`: import, list, export and remove, against a store file;
//! a bad feeds file is refused with its line and changes nothing.

use std::path::Path;
use std::process::Output;

fn feeds(store: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_herald-cli"))
        .args(["feeds", "--store", store.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap()
}

fn names(store: &Path) -> Vec<String> {
    let listed = feeds(store, &["list", "--json"]);
    assert_eq!(listed.status.code(), Some(0));
    String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn feeds_files_are_imported_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    let good = dir.path().join("feeds.toml");
    std::fs::write(
        &good,
        "[[feed]]\nname = \"tasks\"\nurl = \"https://tasks.example.com/tasks/subscribe\"\nkeep_days = 30\n\n\
         [[feed]]\nname = \"alerts\"\nurl = \"https://ntfy.example.com/alerts/sse\"\nresume_query = \"since\"\n\
         cursor_pointer = \"/id\"\n",
    )
    .unwrap();
    assert_eq!(feeds(&store, &["import", good.to_str().unwrap()]).status.code(), Some(0));
    assert_eq!(names(&store), ["alerts", "tasks"]);

    // A file with one bad line is refused as a whole, with that line.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[feed]]\nname = \"more\"\nurl = \"https://more.example.com/\"\n\n[[feed]]\nname = \"broken\"\n\
         url = \"https://b.example.com/\"\nstall_timeout_secs = 0\n",
    )
    .unwrap();
    let refused = feeds(&store, &["import", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("bad.toml: line 8: stall_timeout_secs must be between 1 and 86400"), "{stderr}");
    assert_eq!(names(&store), ["alerts", "tasks"], "nothing half-imported");

    // Export, remove, and import the export again.
    let exported = dir.path().join("exported.toml");
    assert_eq!(feeds(&store, &["export", exported.to_str().unwrap()]).status.code(), Some(0));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("cursor_pointer = \"/id\"") && text.contains("keep_days = 30"), "{text}");
    assert_eq!(feeds(&store, &["remove", "alerts"]).status.code(), Some(0));
    assert_eq!(names(&store), ["tasks"]);
    assert_eq!(feeds(&store, &["import", exported.to_str().unwrap()]).status.code(), Some(0));
    assert_eq!(names(&store), ["alerts", "tasks"]);

    assert_eq!(feeds(&store, &["add", "plain", "http://127.0.0.1:7878/events"]).status.code(), Some(0));
    let bad_url = feeds(&store, &["add", "ftp", "ftp://example.com/"]);
    assert_eq!(bad_url.status.code(), Some(2));
    assert_eq!(names(&store), ["alerts", "plain", "tasks"]);

    // Adding a feed that is there moves it, and keeps its settings.
    let moved = "https://ntfy.example.net/alerts/sse";
    assert_eq!(feeds(&store, &["add", "alerts", moved]).status.code(), Some(0));
    let exported = feeds(&store, &["export"]);
    let text = String::from_utf8_lossy(&exported.stdout);
    assert!(text.contains(moved) && text.contains("cursor_pointer = \"/id\""), "{text}");
}

/// The most common feed of all, added without writing a file: an ntfy topic
/// on a server with its own certificate.
#[test]
fn feeds_add_takes_a_preset_a_certificate_and_who_you_are() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("herald.db");
    let pem = dir.path().join("ntfy.pem");
    std::fs::write(&pem, herald_test_support::tls::self_signed_ca_true().trust_pem).unwrap();
    let url = "https://ntfy.example.com/alerts/sse";
    let args = ["add", "alerts", url, "--preset", "ntfy", "--ca-cert", pem.to_str().unwrap(), "--me", "ana"];
    let added = feeds(&store, &args);
    assert_eq!(added.status.code(), Some(0), "{}", String::from_utf8_lossy(&added.stderr));
    let exported = feeds(&store, &["export"]);
    let text = String::from_utf8_lossy(&exported.stdout);
    assert!(text.contains("preset = \"ntfy\""), "{text}");
    assert!(text.contains(&format!("ca_cert = \"{}\"", pem.display())), "{text}");
    assert!(text.contains("actor = \"ana\""), "{text}");

    // Adding it again with only a new URL keeps the preset.
    assert_eq!(feeds(&store, &["add", "alerts", "https://ntfy.example.net/alerts/sse"]).status.code(), Some(0));
    let text = String::from_utf8_lossy(&feeds(&store, &["export"]).stdout).into_owned();
    assert!(text.contains("preset = \"ntfy\"") && text.contains("ntfy.example.net"), "{text}");

    let unknown = feeds(&store, &["add", "x", url, "--preset", "gotify"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("one of herald-hub, task-list, ntfy, nchan, mercure, generic"), "{stderr}");
    let not_a_certificate = feeds(&store, &["add", "x", url, "--ca-cert", store.to_str().unwrap()]);
    assert_eq!(not_a_certificate.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_a_certificate.stderr).contains("ca_cert"), "a clear reason");
    assert_eq!(names(&store), ["alerts"], "nothing added by a refused command");

    // Its own proxy, or none; a proxy's password never in its URL.
    assert_eq!(feeds(&store, &["add", "alerts", url, "--proxy", "socks5h://127.0.0.1:1080"]).status.code(), Some(0));
    let text = String::from_utf8_lossy(&feeds(&store, &["export"]).stdout).into_owned();
    assert!(text.contains("proxy = \"socks5h://127.0.0.1:1080\""), "{text}");
    let with_password = feeds(&store, &["add", "alerts", url, "--proxy", "http://ana:pw@proxy:3128"]);
    assert_eq!(with_password.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&with_password.stderr).contains("keyring"), "a clear reason");
}
