//! `herald-cli tail URL`: follows a feed until it ends, `--max-events` is
//! reached, or Ctrl-C.

use std::sync::Arc;

use clap::Args;
use herald_core::engine::{Engine, EngineConfig, EngineEvent, Follow, StoreAt};
use herald_core::feed::{ClientIdentity, Feed};
use herald_core::secrets::{MemorySecrets, OsKeyring, Secrets};
use herald_core::sse::{Phase, StopReason};
use herald_core::store::Store;
use herald_core::tls::ExtraTrust;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, COOKIE};

use crate::exit;
use crate::output::{stop_message, Output};
use crate::running;

#[derive(Args, Clone)]
pub struct TailArgs {
    /// The feed's URL (http or https).
    #[arg(required_unless_present = "feed")]
    url: Option<String>,
    /// Follow this stored feed, with its own settings and secret, keeping
    /// its events in the store (--store, or the default one).
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with_all = ["url", "headers", "resume_query", "cursor_pointer", "ca_cert", "client_cert"]
    )]
    feed: Option<String>,
    /// One JSON object per line on stdout.
    #[arg(long)]
    json: bool,
    /// An extra request header, "Name: value"; may be repeated.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Resume after this event id (with --store, only if the store holds no cursor for the feed yet).
    #[arg(long, value_name = "ID")]
    last_event_id: Option<String>,
    /// Send the cursor as this query parameter instead of the Last-Event-ID
    /// header (Nchan: last_event_id, older Mercure: lastEventID, ntfy: since).
    #[arg(long, value_name = "NAME")]
    resume_query: Option<String>,
    /// Take the cursor from each event's JSON data at this JSON pointer, for
    /// servers that send no `id:` lines (ntfy: /id).
    #[arg(long, value_name = "POINTER")]
    cursor_pointer: Option<String>,
    /// Also trust the certificates in this PEM file: a private CA, or a
    /// server's own self-signed certificate, which is then trusted exactly.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<std::path::PathBuf>,
    /// Present this client certificate to a server that asks for one
    /// (mutual TLS): a PEM chain with --client-key, or a PKCS#12 file whose
    /// passphrase comes on standard input.
    #[arg(long, value_name = "FILE")]
    client_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    client_key: Option<std::path::PathBuf>,
    /// Keep every event in the store at PATH, and resume from its cursor.
    #[arg(long, value_name = "PATH")]
    store: Option<std::path::PathBuf>,
    /// Reconnect when nothing arrives for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 45, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    stall_timeout: u64,
    /// Exit after this many events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_events: Option<u64>,
}

/// The entry an ad hoc client identity's key is kept under, in memory.
const CLIENT_KEY_ENTRY: &str = "herald-cli tail --client-key";

/// The feed the arguments describe, and the headers they give (never
/// stored: `-H` may carry a credential), or the reason they are wrong.
fn adhoc_feed(args: &TailArgs, url: &str) -> Result<(Feed, HeaderMap), String> {
    if !herald_core::is_http_url(url) {
        return Err(format!("{url} is not an http(s) URL"));
    }
    let mut headers = HeaderMap::new();
    for header in &args.headers {
        let (name, value) =
            header.split_once(':').ok_or_else(|| format!("-H {header:?} is not of the form \"Name: value\""))?;
        let bad = || format!("-H {header:?}: the header {} has an invalid name or value", name.trim());
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
        let mut value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
        value.set_sensitive(name == AUTHORIZATION || name == COOKIE);
        headers.insert(name, value);
    }
    let mut feed = Feed::new(url, url);
    feed.settings.stall_timeout_secs = Some(args.stall_timeout);
    if let Some(name) = &args.resume_query {
        if name.is_empty() {
            return Err("--resume-query needs a parameter name".into());
        }
        feed.settings.resume_query = Some(name.clone());
    }
    if let Some(pointer) = &args.cursor_pointer {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "--cursor-pointer {pointer:?} is not a JSON pointer (it starts with \"/\", as in /id)"
            ));
        }
        feed.settings.cursor_pointer = Some(pointer.clone());
    }
    if let Some(path) = &args.ca_cert {
        let pem = std::fs::read(path).map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
        ExtraTrust::from_pem(&pem).map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
        feed.settings.ca_cert = Some(path.clone());
    }
    if let Some(cert) = &args.client_cert {
        feed.settings.client_identity =
            Some(ClientIdentity { cert: cert.clone(), keyring: CLIENT_KEY_ENTRY.to_owned() });
    }
    Ok((feed, headers))
}

/// Where the feed's secrets come from: a stored feed's from the keyring;
/// a URL's client key (the only secret `tail URL` has) from its file, kept
/// in memory only.
fn secrets(args: &TailArgs) -> Result<Arc<dyn Secrets>, String> {
    match (&args.url, &args.client_cert) {
        (Some(_), Some(cert)) => {
            let memory = MemorySecrets::default();
            let secret = crate::identity::secret_for(cert, args.client_key.as_deref())?;
            memory.set(CLIENT_KEY_ENTRY, &secret).map_err(|e| e.to_string())?;
            Ok(Arc::new(memory))
        }
        _ => Ok(Arc::new(OsKeyring)),
    }
}

/// The store, with the feed to follow in it, and its name.
fn prepare(args: &TailArgs, out: &Output) -> Result<(Store, String, HeaderMap), u8> {
    let usage = |reason: String| {
        out.error(&reason);
        exit::USAGE
    };
    let (store, name, headers) = match (&args.feed, &args.url) {
        // `tail --feed NAME`: the stored feed says how, with its secret from the keyring.
        (Some(name), _) => {
            let store = out.open_store_to_follow(args.store.clone()).ok_or(exit::USAGE)?;
            store.feed(name).map_err(|e| usage(e.to_string()))?;
            (store, name.clone(), HeaderMap::new())
        }
        // `tail URL`: the arguments say how; `--store` keeps the URL as a feed.
        (None, Some(url)) => {
            let (feed, headers) = adhoc_feed(args, url).map_err(usage)?;
            let mut store = match &args.store {
                Some(path) => {
                    Store::open_or_recover(path).map_err(|e| usage(format!("--store {}: {e}", path.display())))?
                }
                None => Store::in_memory().map_err(|e| usage(e.to_string()))?,
            };
            store.import_feeds(&[feed]).map_err(|e| usage(e.to_string()))?;
            (store, url.clone(), headers)
        }
        (None, None) => return Err(exit::USAGE),
    };
    // The store's cursor wins; --last-event-id is where a new feed starts.
    if let Some(id) = &args.last_event_id {
        let set = store.feed_id(&name).and_then(|feed| match store.cursor(feed)? {
            Some(_) => Ok(()),
            None => store.set_cursor(feed, id),
        });
        set.map_err(|e| usage(e.to_string()))?;
    }
    Ok((store, name, headers))
}

pub async fn run(args: TailArgs) -> u8 {
    let out = Output::new(args.json);
    // `--feed` uses the default store unless told; a URL, only the one named.
    let store = if args.feed.is_some() { args.store.clone().or_else(Store::default_path) } else { args.store.clone() };
    if let Some(store) = store {
        if running::on(&store).await.is_some() {
            out.error(
                "Herald is running on this store, and a second writer of its feeds would race it: \
                 watch them with `herald-cli sync`, or give tail another --store",
            );
            return exit::USAGE;
        }
    }
    // Opening the store and reading the keyring block: off the runtime.
    let prepared = {
        let (args, out) = (args.clone(), out);
        herald_core::blocking::run(move || prepare(&args, &out)).await
    };
    let (store, name, headers) = match prepared {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let secrets = match secrets(&args) {
        Ok(secrets) => secrets,
        Err(e) => {
            out.error(&e);
            return exit::USAGE;
        }
    };
    let mut config = EngineConfig::new(StoreAt::Open(store), secrets).follow(Follow::Only(vec![name.clone()]));
    config.extra_headers.insert(name, headers);
    config.max_events = args.max_events;
    config.changes = false;
    // Without a store, tail prints what the server sends, replays and all;
    // with one, each event once, as every other sink sees them.
    config.repeats = args.store.is_none() && args.feed.is_none();
    let (_engine, mut events) = match Engine::start(config).await {
        Ok(started) => started,
        Err(e) => {
            out.error(&e.to_string());
            return exit::FAILED;
        }
    };
    let mut seen = 0u64;
    // The state is printed when its phase changes, not when only its
    // health or unread count did.
    let mut shown: Option<Phase> = None;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(EngineEvent::State { state }) => {
                    let phase = &state.connection.phase;
                    if shown.as_ref() == Some(phase) {
                        continue;
                    }
                    shown = Some(phase.clone());
                    out.state(&state.connection);
                    match phase {
                        // Every failed attempt says why.
                        Phase::Retrying { reason, .. } => out.error(&reason.to_string()),
                        Phase::Stopped { .. } => return finish(&out, phase),
                        _ => {}
                    }
                }
                // Stored before they reach here: whatever tail prints is already durable.
                Some(EngineEvent::Events { events, .. }) => {
                    for event in &events {
                        out.event(None, event);
                    }
                    seen += events.len() as u64;
                    if args.max_events.is_some_and(|max| seen >= max) {
                        return exit::OK;
                    }
                }
                Some(EngineEvent::Problem { message, .. }) => out.warning(&message),
                Some(EngineEvent::StoreRecovered { recovery }) => out.warning(&recovery.to_string()),
                Some(_) => {}
                None => return exit::FAILED,
            },
            _ = tokio::signal::ctrl_c() => return exit::INTERRUPTED,
        }
    }
}

/// The exit code for a feed that ended in `phase`.
fn finish(out: &Output, phase: &Phase) -> u8 {
    match phase {
        Phase::Stopped { reason: StopReason::NoContent | StopReason::Closed } => exit::OK,
        Phase::Stopped { reason } => {
            out.error(&stop_message(reason));
            exit::FAILED
        }
        _ => exit::FAILED,
    }
}
