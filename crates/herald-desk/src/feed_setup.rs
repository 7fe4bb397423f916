//! Adding and editing feeds: validate, test the connection, trust a
//! certificate, save (the secret straight to the keyring), and import or
//! export a feeds file.
//!
//! The checks are herald-core's ([`FeedForm::to_feed`] is the feeds file's
//! parser), so the window refuses what `herald-cli feeds import` refuses, in
//! the same words. A secret travels only into the keyring: no request
//! returns one, and none is logged.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use herald_core::blocking;
use herald_core::engine::{Command, Reply};
use herald_core::feed::{feeds_to_toml, parse_feeds, pinned_certificate_path, Feed, FeedForm, FieldError};
use herald_core::ipc::failure;
use herald_core::probe::{probe as try_feed, ProbeReport};
use herald_core::secrets::{MemorySecrets, SecretError, Secrets, SessionSecrets};
use herald_core::tls::pem;

use crate::Desk;

/// How long "Test connection" listens for first events.
const PROBE_BUDGET: Duration = Duration::from_secs(4);
const PROBE_EVENTS: usize = 5;

async fn definitions(desk: &Desk) -> Result<Vec<Feed>, FieldError> {
    match desk.engine.send(Command::Definitions).await {
        Reply::Definitions { feeds } => Ok(feeds),
        Reply::Error { message } => Err(failure(message)),
        other => Err(failure(format!("unexpected reply {other:?}"))),
    }
}

/// The form of a feed that exists, to edit it. Its secret stays in the keyring.
pub async fn form(desk: &Desk, name: &str) -> Result<FeedForm, FieldError> {
    let feeds = definitions(desk).await?;
    let feed =
        feeds.iter().find(|f| f.name == name).ok_or_else(|| failure(format!("there is no feed named {name:?}")))?;
    Ok(FeedForm::of(feed))
}

/// Tries the feed as the form has it, with the secret typed (not yet kept)
/// or the one the keyring has.
pub async fn probe(desk: &Desk, form: FeedForm, secret: Option<String>) -> Result<ProbeReport, FieldError> {
    let feed = form.to_feed()?;
    let secrets = SessionSecrets { session: MemorySecrets::default(), keyring: Box::new(Shared(desk.secrets.clone())) };
    if let (Some(entry), Some(secret)) = (form.secret_entry(), secret.filter(|s| !s.is_empty())) {
        secrets.session.set(&entry, &secret).map_err(|e| failure(e.to_string()))?;
    }
    let (report, refused) = try_feed(&feed, Arc::new(secrets), PROBE_BUDGET, PROBE_EVENTS).await;
    if let Some(refused) = refused {
        desk.remember_refused(refused.fingerprint, refused.der);
    }
    Ok(report)
}

/// Trusts exactly the certificate a probe was refused, named by the
/// fingerprint the user compared: saves it beside the store, and returns
/// the file to give as the feed's CA certificate.
pub async fn trust(desk: &Desk, fingerprint: &str) -> Result<String, FieldError> {
    let der =
        desk.refused(fingerprint).ok_or_else(|| failure("test the connection first: no such certificate was seen"))?;
    let (dir, path) = (desk.certs_dir.clone(), pinned_certificate_path(&desk.certs_dir, fingerprint));
    blocking::run(move || {
        std::fs::create_dir_all(&dir).map_err(|e| failure(format!("{}: {e}", dir.display())))?;
        std::fs::write(&path, pem(&der)).map_err(|e| failure(format!("{}: {e}", path.display())))?;
        Ok(path.display().to_string())
    })
    .await
}

/// Adds the feed, or replaces the one of its name, keeping what the form
/// does not show. A secret given goes to the keyring first; the feed is
/// saved only once it is kept there.
pub async fn save(desk: &Desk, form: FeedForm, secret: Option<String>) -> Result<(), FieldError> {
    let feeds = definitions(desk).await?;
    let feed = form.to_feed_over(feeds.iter().find(|f| f.name == form.name.trim()))?;
    if let (Some(entry), Some(secret)) = (form.secret_entry(), secret.filter(|s| !s.is_empty())) {
        let secrets = desk.secrets.clone();
        let kept = blocking::run(move || secrets.set(&entry, &secret)).await;
        kept.map_err(|e| FieldError { field: "secret".into(), message: e.to_string() })?;
    }
    add(desk, feed).await
}

async fn add(desk: &Desk, feed: Feed) -> Result<(), FieldError> {
    match desk.engine.send(Command::AddFeed { feed: Box::new(feed) }).await {
        Reply::Error { message } => Err(failure(message)),
        _ => Ok(()),
    }
}

/// Imports the feeds file at `path`: all of it, or nothing, with the line
/// and reason of the first problem. How many feeds it held.
pub async fn import(desk: &Desk, path: &Path) -> Result<usize, FieldError> {
    let read = path.to_owned();
    let text = blocking::run(move || std::fs::read_to_string(read)).await;
    let text = text.map_err(|e| failure(format!("{}: {e}", path.display())))?;
    let feeds = parse_feeds(&text).map_err(|e| failure(format!("{}: {e}", path.display())))?;
    let count = feeds.len();
    for feed in feeds {
        add(desk, feed).await?;
    }
    Ok(count)
}

/// Exports every feed to `path`. Secrets are never in it: only the names
/// of their keyring entries.
pub async fn export(desk: &Desk, path: &Path) -> Result<(), FieldError> {
    let feeds = definitions(desk).await?;
    let (write, text) = (path.to_owned(), feeds_to_toml(&feeds));
    let written = blocking::run(move || std::fs::write(write, text)).await;
    written.map_err(|e| failure(format!("{}: {e}", path.display())))
}

/// The keyring, shared, as the fallback of a probe's own secrets.
struct Shared(Arc<dyn Secrets>);

impl Secrets for Shared {
    fn get(&self, entry: &str) -> Result<String, SecretError> {
        self.0.get(entry)
    }
    fn set(&self, entry: &str, secret: &str) -> Result<(), SecretError> {
        self.0.set(entry, secret)
    }
    fn delete(&self, entry: &str) -> Result<(), SecretError> {
        self.0.delete(entry)
    }
}
