//! Adding and editing feeds from the window: validate, test the connection,
//! trust a certificate, save (the secret straight to the keyring), remove,
//! and import or export a feeds file through the OS file dialog.
//!
//! The checks are herald-core's ([`FeedForm::to_feed`] is the feeds file's
//! parser), so the window refuses what `herald-cli feeds import` refuses, in
//! the same words. A secret travels only from the window into the keyring:
//! no command returns one, and none is logged.

use std::time::Duration;

use herald_core::engine::{Command, Reply};
use herald_core::feed::{feeds_to_toml, parse_feeds, pinned_certificate_path, Feed, FeedForm, FieldError};
use herald_core::probe::{probe, ProbeReport};
use herald_core::secrets::{MemorySecrets, Secrets, SessionSecrets};
use herald_core::tls::pem;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tokio::sync::oneshot;

use crate::state::AppState;

/// How long "Test connection" listens for first events.
const PROBE_BUDGET: Duration = Duration::from_secs(4);
const PROBE_EVENTS: usize = 5;

/// A field's problem, or the whole form's.
fn whole(message: impl Into<String>) -> FieldError {
    FieldError { field: String::new(), message: message.into() }
}

async fn definitions(state: &AppState) -> Result<Vec<Feed>, FieldError> {
    match state.engine.send(Command::Definitions).await {
        Reply::Definitions { feeds } => Ok(feeds),
        Reply::Error { message } => Err(whole(message)),
        other => Err(whole(format!("unexpected reply {other:?}"))),
    }
}

/// The form of a feed that exists, to edit it. Its secret stays in the keyring.
#[tauri::command]
pub async fn feed_form(state: State<'_, AppState>, name: String) -> Result<FeedForm, FieldError> {
    let feeds = definitions(&state).await?;
    let feed =
        feeds.iter().find(|f| f.name == name).ok_or_else(|| whole(format!("there is no feed named {name:?}")))?;
    Ok(FeedForm::of(feed))
}

/// The first problem of a form, field by field, as the feeds file has it.
#[tauri::command]
pub fn validate_feed(form: FeedForm) -> Result<(), FieldError> {
    form.to_feed().map(drop)
}

/// Tries the feed as the form has it, with the secret typed (not yet kept)
/// or the one the keyring has.
#[tauri::command]
pub async fn probe_feed(
    state: State<'_, AppState>,
    form: FeedForm,
    secret: Option<String>,
) -> Result<ProbeReport, FieldError> {
    let feed = form.to_feed()?;
    let secrets =
        SessionSecrets { session: MemorySecrets::default(), keyring: Box::new(Shared(state.secrets.clone())) };
    if let (Some(entry), Some(secret)) = (form.secret_entry(), secret.filter(|s| !s.is_empty())) {
        secrets.session.set(&entry, &secret).map_err(|e| whole(e.to_string()))?;
    }
    let (report, refused) = probe(&feed, &secrets, PROBE_BUDGET, PROBE_EVENTS).await;
    if let Some(refused) = refused {
        state.remember_refused(refused.fingerprint, refused.der);
    }
    Ok(report)
}

/// Trusts exactly the certificate a probe was refused, named by the
/// fingerprint the user compared: saves it beside the store, and returns
/// the file to give as the feed's CA certificate.
#[tauri::command]
pub fn trust_certificate(state: State<'_, AppState>, fingerprint: String) -> Result<String, FieldError> {
    let der =
        state.refused(&fingerprint).ok_or_else(|| whole("test the connection first: no such certificate was seen"))?;
    std::fs::create_dir_all(&state.certs_dir).map_err(|e| whole(format!("{}: {e}", state.certs_dir.display())))?;
    let path = pinned_certificate_path(&state.certs_dir, &fingerprint);
    std::fs::write(&path, pem(&der)).map_err(|e| whole(format!("{}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// Adds the feed, or replaces the one of its name. A secret given goes to
/// the keyring first; the feed is saved only once it is kept there.
#[tauri::command]
pub async fn save_feed(state: State<'_, AppState>, form: FeedForm, secret: Option<String>) -> Result<(), FieldError> {
    let feeds = definitions(&state).await?;
    let feed = form.to_feed_over(feeds.iter().find(|f| f.name == form.name.trim()))?;
    if let (Some(entry), Some(secret)) = (form.secret_entry(), secret.filter(|s| !s.is_empty())) {
        let secrets = state.secrets.clone();
        let kept = tokio::task::spawn_blocking(move || secrets.set(&entry, &secret)).await;
        kept.map_err(|e| whole(e.to_string()))?
            .map_err(|e| FieldError { field: "secret".into(), message: e.to_string() })?;
    }
    match state.engine.send(Command::AddFeed { feed: Box::new(feed) }).await {
        Reply::Error { message } => Err(whole(message)),
        _ => Ok(()),
    }
}

#[tauri::command]
pub async fn remove_feed(state: State<'_, AppState>, name: String) -> Result<(), FieldError> {
    match state.engine.send(Command::RemoveFeed { name }).await {
        Reply::Error { message } => Err(whole(message)),
        _ => Ok(()),
    }
}

/// Imports a feeds file the user picks: all of it, or nothing, with the
/// line and reason of the first problem. How many feeds it held.
#[tauri::command]
pub async fn import_feeds<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<usize, FieldError> {
    let (picked, chosen) = oneshot::channel();
    app.dialog().file().set_title("Import feeds").add_filter("Feeds file", &["toml"]).pick_file(move |path| {
        let _ = picked.send(path);
    });
    let Some(path) = chosen.await.ok().flatten() else { return Ok(0) };
    let path = path.into_path().map_err(|e| whole(e.to_string()))?;
    let text = std::fs::read_to_string(&path).map_err(|e| whole(format!("{}: {e}", path.display())))?;
    let feeds = parse_feeds(&text).map_err(|e| whole(format!("{}: {e}", path.display())))?;
    let count = feeds.len();
    for feed in feeds {
        if let Reply::Error { message } = state.engine.send(Command::AddFeed { feed: Box::new(feed) }).await {
            return Err(whole(message));
        }
    }
    Ok(count)
}

/// Exports every feed to a file the user picks; where it went. Secrets are
/// never in it: only the names of their keyring entries.
#[tauri::command]
pub async fn export_feeds<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<String>, FieldError> {
    let feeds = definitions(&state).await?;
    let (picked, chosen) = oneshot::channel();
    app.dialog().file().set_title("Export feeds").set_file_name("feeds.toml").save_file(move |path| {
        let _ = picked.send(path);
    });
    let Some(path) = chosen.await.ok().flatten() else { return Ok(None) };
    let path = path.into_path().map_err(|e| whole(e.to_string()))?;
    let text = feeds_to_toml(&feeds);
    std::fs::write(&path, text).map_err(|e| whole(format!("{}: {e}", path.display())))?;
    Ok(Some(path.display().to_string()))
}

/// The app's keyring, shared, as the fallback of a probe's own secrets.
struct Shared(std::sync::Arc<dyn Secrets>);

impl Secrets for Shared {
    fn get(&self, entry: &str) -> Result<String, herald_core::secrets::SecretError> {
        self.0.get(entry)
    }
    fn set(&self, entry: &str, secret: &str) -> Result<(), herald_core::secrets::SecretError> {
        self.0.set(entry, secret)
    }
    fn delete(&self, entry: &str) -> Result<(), herald_core::secrets::SecretError> {
        self.0.delete(entry)
    }
}
