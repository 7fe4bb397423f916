//! Adding and editing feeds from the window, forwarded to the tray
//! process (`herald_desk`'s `feed_setup` holds the bodies). What only a window can
//! do stays here: the OS file dialogs of import and export, and of choosing
//! a client certificate and its key.

use herald_core::engine::RemoveFeed;
use herald_core::feed::{ClientKey, FeedForm};
use herald_core::ipc::{
    ExportFeeds, FeedInput, GetFeedForm, ImportFeeds, ProbeFeed, SaveFeed, TrustCertificate, ValidateFeed,
};
use herald_core::probe::ProbeReport;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::{DialogExt, FilePath};
use tokio::sync::oneshot;

use crate::commands::CommandResult;
use crate::Link;

/// The form of a feed that exists, to edit it. Its secret stays in the keyring.
#[tauri::command]
pub async fn feed_form(link: State<'_, Link>, name: String) -> CommandResult<FeedForm> {
    link.ask(GetFeedForm { name }).await
}

/// The first problem of a form, by its field, as the feeds file has it.
#[tauri::command]
pub async fn validate_feed(link: State<'_, Link>, form: FeedForm) -> CommandResult<()> {
    link.ask(ValidateFeed { form }).await
}

/// Tries the feed as the form has it, with the secret and client key given
/// (not yet kept) or the ones the keyring has.
#[tauri::command]
pub async fn probe_feed(
    link: State<'_, Link>,
    form: FeedForm,
    secret: Option<String>,
    client_key: Option<ClientKey>,
) -> CommandResult<ProbeReport> {
    link.ask(ProbeFeed { form, secret, client_key }).await
}

/// Trusts exactly the certificate a probe was refused; the file to give as
/// the feed's CA certificate.
#[tauri::command]
pub async fn trust_certificate(link: State<'_, Link>, fingerprint: String) -> CommandResult<String> {
    link.ask(TrustCertificate { fingerprint }).await
}

/// Adds the feed, or replaces the one of its name; a secret, and a client
/// certificate's key, go to the keyring first.
#[tauri::command]
pub async fn save_feed(
    link: State<'_, Link>,
    form: FeedForm,
    secret: Option<String>,
    client_key: Option<ClientKey>,
) -> CommandResult<()> {
    link.ask(SaveFeed { feed: FeedInput::Form(Box::new(form)), secret, client_key }).await
}

/// Which file the user chooses for a feed's client certificate.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CertificateFile {
    /// The certificate: PEM, or PKCS#12.
    Certificate,
    /// Its PEM private key.
    Key,
}

/// A file the user picks for a client certificate; `None` when cancelled.
/// Only its path comes back: the tray process reads it when the feed is
/// tested or saved.
#[tauri::command]
pub async fn choose_certificate_file<R: Runtime>(
    app: AppHandle<R>,
    which: CertificateFile,
) -> CommandResult<Option<String>> {
    let (picked, choice) = oneshot::channel();
    let (title, filter, extensions): (&str, &str, &[&str]) = match which {
        CertificateFile::Certificate => ("Client certificate", "Certificate", &["pem", "crt", "cer", "p12", "pfx"]),
        CertificateFile::Key => ("Its private key", "Private key", &["key", "pem"]),
    };
    app.dialog().file().set_title(title).add_filter(filter, extensions).pick_file(move |path| {
        let _ = picked.send(path);
    });
    Ok(chosen(choice).await?.map(|path| path.display().to_string()))
}

#[tauri::command]
pub async fn remove_feed(link: State<'_, Link>, name: String) -> CommandResult<()> {
    link.ask(RemoveFeed { name }).await
}

/// Waits for the dialog's choice; `None` when the user cancelled.
async fn chosen(picked: oneshot::Receiver<Option<FilePath>>) -> CommandResult<Option<std::path::PathBuf>> {
    let Some(path) = picked.await.ok().flatten() else { return Ok(None) };
    path.into_path().map(Some).map_err(|e| herald_core::Error::invalid(e.to_string()))
}

/// Imports a feeds file the user picks: all of it, or nothing, with the
/// line and reason of the first problem. How many feeds it held.
#[tauri::command]
pub async fn import_feeds<R: Runtime>(app: AppHandle<R>, link: State<'_, Link>) -> CommandResult<usize> {
    let (picked, choice) = oneshot::channel();
    app.dialog().file().set_title("Import feeds").add_filter("Feeds file", &["toml"]).pick_file(move |path| {
        let _ = picked.send(path);
    });
    let Some(path) = chosen(choice).await? else { return Ok(0) };
    link.ask(ImportFeeds { path }).await
}

/// Exports every feed to a file the user picks; where it went. Secrets are
/// never in it: only the names of their keyring entries.
#[tauri::command]
pub async fn export_feeds<R: Runtime>(app: AppHandle<R>, link: State<'_, Link>) -> CommandResult<Option<String>> {
    let (picked, choice) = oneshot::channel();
    app.dialog().file().set_title("Export feeds").set_file_name("feeds.toml").save_file(move |path| {
        let _ = picked.send(path);
    });
    let Some(path) = chosen(choice).await? else { return Ok(None) };
    link.ask(ExportFeeds { path: path.clone() }).await?;
    Ok(Some(path.display().to_string()))
}
