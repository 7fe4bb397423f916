//! Adding and editing feeds: validate, test the connection, trust a
//! certificate, save (the secret straight to the keyring), and import or
//! export a feeds file.
//!
//! The checks are herald-core's ([`herald_core::feed::check`], the feeds
//! file's own), so the window refuses what `herald-cli feeds import`
//! refuses, in the same words. A secret travels only into the keyring: no request
//! returns one, and none is logged.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use herald_core::blocking;
use herald_core::engine::{AddFeed, GetDefinitions};
use herald_core::feed::{feeds_to_toml, parse_feeds, pinned_certificate_path, ClientKey, Feed, FeedForm};
use herald_core::ipc::FeedInput;
use herald_core::probe::{probe as try_feed, ProbeReport};
use herald_core::secrets::{MemorySecrets, SecretError, Secrets, SessionSecrets};
use herald_core::tls::{pem, IdentityError};
use herald_core::Error;

use crate::Desk;

/// How long "Test connection" listens for first events.
const PROBE_BUDGET: Duration = Duration::from_secs(4);
const PROBE_EVENTS: usize = 5;

/// The form of a feed that exists, to edit it. Its secret stays in the keyring.
pub async fn form(desk: &Desk, name: &str) -> Result<FeedForm, Error> {
    let feeds = desk.engine.ask(GetDefinitions).await?;
    let feed = feeds.iter().find(|f| f.name == name);
    let feed = feed.ok_or_else(|| Error::not_found(format!("there is no feed named {name:?}")))?;
    Ok(FeedForm::of(feed))
}

/// A form as a feed over what is stored (see [`FeedForm::to_feed_over`]),
/// checked off the runtime: the check reads the feed's certificate file.
pub(crate) async fn feed_of(form: FeedForm, existing: Option<Feed>) -> Result<Feed, Error> {
    blocking::run(move || form.to_feed_over(existing.as_ref())).await.map_err(Error::from)
}

/// Tries the feed as the form has it, with the secret and client key given
/// (not yet kept) or the ones the keyring has.
pub async fn probe(
    desk: &Desk,
    form: FeedForm,
    secret: Option<String>,
    client_key: Option<ClientKey>,
) -> Result<ProbeReport, Error> {
    let entry = form.secret_entry();
    let feed = feed_of(form, None).await?;
    let secrets = SessionSecrets { session: MemorySecrets::default(), keyring: Box::new(Shared(desk.secrets.clone())) };
    if let (Some(entry), Some(secret)) = (entry, secret.filter(|s| !s.is_empty())) {
        secrets.session.set(&entry, &secret).map_err(|e| Error::internal(e.to_string()))?;
    }
    if let (Some(identity), Some(key)) = (&feed.settings.client_identity, client_key) {
        let secret = read_key(key).await?;
        secrets.session.set(&identity.keyring, &secret).map_err(|e| Error::internal(e.to_string()))?;
    }
    let (report, refused) =
        try_feed(&feed, Arc::new(secrets), &*desk.desktop_proxies, PROBE_BUDGET, PROBE_EVENTS).await;
    if let Some(refused) = refused {
        desk.remember_refused(refused.fingerprint, refused.der);
    }
    Ok(report)
}

/// Trusts exactly the certificate a probe was refused, named by the
/// fingerprint the user compared: saves it beside the store, and returns
/// the file to give as the feed's CA certificate.
pub async fn trust(desk: &Desk, fingerprint: &str) -> Result<String, Error> {
    let seen = desk.refused(fingerprint);
    let der = seen.ok_or_else(|| Error::not_found("test the connection first: no such certificate was seen"))?;
    let (dir, path) = (desk.certs_dir.clone(), pinned_certificate_path(&desk.certs_dir, fingerprint));
    blocking::run(move || {
        std::fs::create_dir_all(&dir).map_err(|e| Error::unavailable(format!("{}: {e}", dir.display())))?;
        std::fs::write(&path, pem(&der)).map_err(|e| Error::unavailable(format!("{}: {e}", path.display())))?;
        Ok(path.display().to_string())
    })
    .await
}

/// Adds the feed, or replaces the one of its name: from a form, keeping
/// what the form does not show. A secret given goes to the keyring first
/// (the form's entry, or the feed's own); the feed is saved only once it is
/// kept there.
pub async fn save(
    desk: &Desk,
    input: FeedInput,
    secret: Option<String>,
    client_key: Option<ClientKey>,
) -> Result<(), Error> {
    // The window's form is checked whole; a feed as a file has it may name
    // a key that is not in the keyring yet (`herald-cli feeds secret` or
    // `feeds add` puts it there).
    let from_form = matches!(input, FeedInput::Form(_));
    let (feed, entry) = match input {
        FeedInput::Form(form) => {
            let form = *form;
            let feeds = desk.engine.ask(GetDefinitions).await?;
            let existing = feeds.into_iter().find(|f| f.name == form.name.trim());
            let entry = form.secret_entry();
            (feed_of(form, existing).await?, entry)
        }
        FeedInput::Feed(feed) => {
            let entry = feed.settings.auth.as_ref().map(|auth| auth.keyring.clone());
            (*feed, entry)
        }
    };
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        let entry = entry.ok_or_else(|| Error::invalid_field("secret", "this feed takes no secret: it has no auth"))?;
        let secrets = desk.secrets.clone();
        let kept = blocking::run(move || secrets.set(&entry, &secret)).await;
        // No keyring to keep it in: a field error, beside the secret's input.
        kept.map_err(|e| Error::invalid_field("secret", e.to_string()))?;
    }
    if from_form || client_key.is_some() {
        keep_client_key(desk, &feed, client_key).await?;
    }
    desk.engine.ask(AddFeed { feed: Box::new(feed) }).await
}

/// What a client key unlocks with, read off the runtime (a file, maybe).
async fn read_key(key: ClientKey) -> Result<String, Error> {
    blocking::run(move || key.secret()).await.map_err(|e| Error::invalid_field("clientKey", e))
}

/// The feed's client certificate, checked with the key given (or the one
/// the keyring has) before the feed is saved; a key given goes to the
/// keyring once it has proved to fit.
async fn keep_client_key(desk: &Desk, feed: &Feed, client_key: Option<ClientKey>) -> Result<(), Error> {
    let Some(identity) = feed.settings.client_identity.clone() else { return Ok(()) };
    let given = match client_key {
        Some(key) => Some(read_key(key).await?),
        None => None,
    };
    let keyring = desk.secrets.clone();
    blocking::run(move || {
        let now = herald_core::sse::now_ms() / 1000;
        let checked = match &given {
            Some(secret) => identity.load_with(secret, now),
            None => identity.load(&*keyring, now),
        };
        checked.map_err(|e| match e {
            IdentityError::Secret(SecretError::Missing { .. }) => {
                Error::invalid_field("clientKey", "give the certificate's private key file, or its passphrase")
            }
            other => Error::invalid_field("clientCert", other.to_string()),
        })?;
        match given {
            Some(secret) => {
                keyring.set(&identity.keyring, &secret).map_err(|e| Error::invalid_field("clientKey", e.to_string()))
            }
            None => Ok(()),
        }
    })
    .await
}

/// Imports the feeds file at `path`: all of it, or nothing, with the line
/// and reason of the first problem. How many feeds it held.
pub async fn import(desk: &Desk, path: &Path) -> Result<usize, Error> {
    let read = path.to_owned();
    let feeds = blocking::run(move || {
        let text = std::fs::read_to_string(&read).map_err(|e| Error::not_found(format!("{}: {e}", read.display())))?;
        parse_feeds(&text).map_err(|e| Error::invalid(format!("{}: {e}", read.display())))
    })
    .await?;
    let count = feeds.len();
    for feed in feeds {
        desk.engine.ask(AddFeed { feed: Box::new(feed) }).await?;
    }
    Ok(count)
}

/// Exports every feed to `path`. Secrets are never in it: only the names
/// of their keyring entries.
pub async fn export(desk: &Desk, path: &Path) -> Result<(), Error> {
    let feeds = desk.engine.ask(GetDefinitions).await?;
    let (write, text) = (path.to_owned(), feeds_to_toml(&feeds));
    let written = blocking::run(move || std::fs::write(write, text)).await;
    written.map_err(|e| Error::unavailable(format!("{}: {e}", path.display())))
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
