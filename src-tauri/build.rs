//! Declares the app's own commands, so that each one must be granted by a
//! capability file before the webview may call it (nothing is allowed by default).

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "feeds",
        "records",
        "write",
        "view",
        "mark_read",
        "timeline",
        "activity",
        "reconnect_now",
        "pause_feed",
        "sign_in",
        "sign_out",
        "open_link",
        "press_button",
        "picture",
        "upcoming",
        "feed_form",
        "validate_feed",
        "probe_feed",
        "trust_certificate",
        "save_feed",
        "remove_feed",
        "import_feeds",
        "export_feeds",
        "choose_certificate_file",
        "quiet",
        "set_quiet",
        "do_not_disturb",
        "sounds",
        "set_sounds",
        "test_notification",
        "take_focus",
        "app_status",
        "autostart",
        "set_autostart",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}
