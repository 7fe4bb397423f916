//! `herald-cli tail URL`: follows a feed until it ends, `--max-events` is
//! reached, or Ctrl-C.

use std::time::Duration;

use clap::Args;
use herald_core::secrets::OsKeyring;
use herald_core::sse::{now_ms, ConnectionState, Event, Phase, Resume, StopReason, Subscription, SubscriptionConfig};
use herald_core::store::{FeedId, Store, StoreError};
use herald_core::tls::ExtraTrust;
use tokio::sync::watch;

use crate::exit;
use crate::output::{stop_message, Output};

#[derive(Args)]
pub struct TailArgs {
    /// The feed's URL (http or https).
    #[arg(required_unless_present = "feed")]
    url: Option<String>,
    /// Follow this stored feed, with its own settings and secret, keeping
    /// its events in the store (--store, or the default one).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["url", "headers", "resume_query", "cursor_pointer", "ca_cert"])]
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

/// The subscription config the arguments describe, or the reason they are wrong.
fn config(args: &TailArgs, url: &str) -> Result<SubscriptionConfig, String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url} is not an http(s) URL"));
    }
    let mut config = SubscriptionConfig::new(url);
    for header in &args.headers {
        let (name, value) =
            header.split_once(':').ok_or_else(|| format!("-H {header:?} is not of the form \"Name: value\""))?;
        config = config.header(name.trim(), value.trim()).map_err(|e| format!("-H {header:?}: {e}"))?;
    }
    if let Some(id) = &args.last_event_id {
        config = config.last_event_id(id.clone());
    }
    config.stall_timeout = Duration::from_secs(args.stall_timeout);
    if let Some(name) = &args.resume_query {
        if name.is_empty() {
            return Err("--resume-query needs a parameter name".into());
        }
        config.resume = Resume::Query(name.clone());
    }
    if let Some(pointer) = &args.cursor_pointer {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "--cursor-pointer {pointer:?} is not a JSON pointer (it starts with \"/\", as in /id)"
            ));
        }
        config.cursor_pointer = Some(pointer.clone());
    }
    Ok(config)
}

/// The certificates `--ca-cert` names, or why they cannot be used.
fn extra_trust(args: &TailArgs) -> Result<ExtraTrust, String> {
    let Some(path) = &args.ca_cert else { return Ok(ExtraTrust::default()) };
    let pem = std::fs::read(path).map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
    ExtraTrust::from_pem(&pem).map_err(|e| format!("--ca-cert {}: {e}", path.display()))
}

/// What to follow, how, and where to keep it: from the arguments, or from a stored feed.
type Setup = (SubscriptionConfig, reqwest::Client, Option<Kept>);

/// `tail URL`: the arguments say how; `--store` adds the URL as a feed.
fn setup_from_args(args: &TailArgs, url: &str, out: &Output) -> Result<Setup, u8> {
    let usage = |reason: String| {
        out.error(&reason);
        exit::USAGE
    };
    let mut config = config(args, url).map_err(usage)?;
    let trust = extra_trust(args).map_err(usage)?;
    let client = herald_core::http_client_trusting(&trust).map_err(|e| {
        out.error(&format!("cannot set up HTTP: {e}"));
        exit::FAILED
    })?;
    let Some(path) = &args.store else { return Ok((config, client, None)) };
    let (kept, cursor) = Kept::open(path, url).map_err(|e| usage(format!("--store {}: {e}", path.display())))?;
    // The store's cursor wins; --last-event-id is where a new feed starts.
    if let Some(cursor) = cursor {
        config = config.last_event_id(cursor);
    }
    Ok((config, client, Some(kept)))
}

/// `tail --feed NAME`: the stored feed says how, with its secret from the keyring.
fn setup_from_feed(args: &TailArgs, name: &str, out: &Output) -> Result<Setup, u8> {
    let store = out.open_store(args.store.clone()).ok_or(exit::USAGE)?;
    let found = store.feed(name).and_then(|feed| {
        let id = store.feed_id(name)?;
        Ok((feed, id, store.cursor(id)?))
    });
    let (feed, id, cursor) = found.map_err(|e| {
        out.error(&e.to_string());
        exit::USAGE
    })?;
    let cursor = cursor.or_else(|| args.last_event_id.clone());
    // The keyring is a blocking D-Bus call on Linux.
    let (config, client) = tokio::task::block_in_place(|| feed.subscription(cursor, &OsKeyring)).map_err(|e| {
        out.error(&e.to_string());
        exit::FAILED
    })?;
    Ok((config, client, Some(Kept { store, feed: id })))
}

pub async fn run(args: TailArgs) -> u8 {
    let out = Output::new(args.json);
    let setup = match (&args.feed, &args.url) {
        (Some(name), _) => setup_from_feed(&args, name, &out),
        (None, Some(url)) => setup_from_args(&args, url, &out),
        (None, None) => Err(exit::USAGE),
    };
    let (config, client, mut kept) = match setup {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let mut subscription = Subscription::start(client, config);
    let mut state = subscription.state();
    // Say where things start; after this, only changes of phase are news.
    let start = state.borrow_and_update().clone();
    out.state(&start);
    let mut shown_phase = Some(start.phase);
    let mut seen = 0u64;
    loop {
        tokio::select! {
            // The connection publishes a state before the events that follow
            // it, so looking at the state first keeps the output in order.
            biased;
            changed = state.changed() => {
                if changed.is_err() {
                    return ended(&out, &state, shown_phase.as_ref());
                }
                let current = state.borrow_and_update().clone();
                // `last_heard` ticks are not news.
                if shown_phase.as_ref() == Some(&current.phase) {
                    continue;
                }
                out.state(&current);
                shown_phase = Some(current.phase.clone());
                if matches!(current.phase, Phase::Stopped { .. }) {
                    return finish(&out, &current.phase);
                }
            }
            batch = subscription.next_batch() => {
                let Some(mut batch) = batch else { return ended(&out, &state, shown_phase.as_ref()) };
                if let Some(max) = args.max_events {
                    batch.truncate(usize::try_from(max - seen).unwrap_or(usize::MAX));
                }
                // Kept before shown: whatever tail prints is already durable.
                if let Some(kept) = kept.as_mut() {
                    if let Err(e) = tokio::task::block_in_place(|| kept.keep(&batch)) {
                        out.error(&e.to_string());
                        return exit::FAILED;
                    }
                }
                for event in &batch {
                    out.event(None, event);
                }
                seen += batch.len() as u64;
                if args.max_events.is_some_and(|max| seen >= max) {
                    return exit::OK;
                }
            }
            _ = tokio::signal::ctrl_c() => {
                subscription.close();
                return exit::INTERRUPTED;
            }
        }
    }
}

/// The store `tail --store` keeps events in, and the feed they belong to.
struct Kept {
    store: Store,
    feed: FeedId,
}

impl Kept {
    /// Opens the store, with the URL as the feed (added if new), and the cursor to resume from.
    fn open(path: &std::path::Path, url: &str) -> Result<(Kept, Option<String>), StoreError> {
        let store = Store::open(path)?;
        let feed = store.feed_for(url, url)?;
        let cursor = store.cursor(feed)?;
        Ok((Kept { store, feed }, cursor))
    }

    fn keep(&mut self, events: &[Event]) -> Result<(), StoreError> {
        self.store.ingest(self.feed, events, now_ms()).map(drop)
    }
}

/// The subscription's task has ended: show its last state if it is news, and exit by it.
fn ended(out: &Output, state: &watch::Receiver<ConnectionState>, shown: Option<&Phase>) -> u8 {
    let last = state.borrow().clone();
    if shown != Some(&last.phase) {
        out.state(&last);
    }
    finish(out, &last.phase)
}

/// The exit code for a subscription that ended in `phase`.
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
