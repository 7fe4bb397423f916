//! Declares the app's own commands, so that each one must be granted by a
//! capability file before the webview may call it (nothing is allowed by default).

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_tasks",
        "add_task",
        "set_task_done",
        "delete_task",
        "take_focus",
        "feed_status",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}
