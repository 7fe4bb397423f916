//! `herald-cli feeds`: the feeds kept in the store, and feeds files;
//! changed through the running Herald when it keeps the same store.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use herald_core::feed::{
    check, client_key_entry, feeds_to_toml, parse_feeds, Auth, ClientIdentity, Feed, Me, Preset, ProxyAuth, ProxyChoice,
};
use herald_core::secrets::{OsKeyring, Secrets};
use serde_json::json;

use crate::exit;
use crate::output::Output;
use crate::running::Feeds;

#[derive(Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    command: FeedsCommand,
    /// The store to use (default: $XDG_DATA_HOME/herald/herald.db).
    #[arg(long, value_name = "PATH", global = true)]
    store: Option<PathBuf>,
    /// One JSON object per line.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// List the feeds.
    List,
    /// Add a feed (or change one with that name: what is given here
    /// replaces what it had, and the rest stays).
    Add(AddArgs),
    /// Remove a feed, with its history (and its secret, if no other feed uses it).
    Remove { name: String },
    /// Read a token (or, with --basic, a password) from standard input into
    /// the OS keyring, and have the feed send it. Only the keyring entry's
    /// name is stored with the feed.
    Secret {
        name: String,
        /// Send it as HTTP Basic with this username, rather than as a bearer token.
        #[arg(long, value_name = "USERNAME")]
        basic: Option<String>,
        /// The keyring entry to keep it in (default: the feed's name, or
        /// "NAME proxy" with --proxy).
        #[arg(long, value_name = "ENTRY")]
        entry: Option<String>,
        /// It is the password of the feed's own proxy (its `proxy`), for
        /// this user, rather than the server's secret.
        #[arg(long, value_name = "USERNAME", conflicts_with = "basic")]
        proxy: Option<String>,
    },
    /// Sign the feed in to its identity provider (auth = { scheme = "oidc",
    /// … }) with the device grant: shows an address and a code to enter
    /// there, in any browser, and waits until you have. The refresh token
    /// goes to the OS keyring.
    SignIn { name: String },
    /// Sign the feed out: revoke its refresh token at the provider, and
    /// forget it.
    SignOut { name: String },
    /// Add or replace the feeds of a feeds file; a bad file changes nothing.
    Import { file: PathBuf },
    /// Write every feed as a feeds file (to stdout without FILE).
    Export { file: Option<PathBuf> },
}

#[derive(Args)]
struct AddArgs {
    name: String,
    url: String,
    /// The kind of server, whose defaults the feed takes: herald-hub,
    /// task-list, ntfy, nchan, mercure or generic (the default).
    #[arg(long, value_name = "PRESET", value_parser = parse_preset)]
    preset: Option<Preset>,
    /// Also trust the certificates in this PEM file (a private CA, or the
    /// server's own self-signed certificate).
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Your name on the feed, so your own changes raise nothing.
    #[arg(long, value_name = "ACTOR")]
    me: Option<String>,
    /// Present this client certificate to a server that asks for one
    /// (mutual TLS): a PEM chain with --client-key, or a PKCS#12 file whose
    /// passphrase comes on standard input. The key (or passphrase) goes
    /// into the OS keyring; the feed names only the file and the entry.
    #[arg(long, value_name = "FILE")]
    client_cert: Option<PathBuf>,
    /// The PEM private key of --client-cert, read into the keyring.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// The keyring entry to keep the key or passphrase in (default: "NAME client key").
    #[arg(long, value_name = "ENTRY", requires = "client_cert")]
    client_key_entry: Option<String>,
    /// Go through this proxy (http://…, https://…, socks5://… or
    /// socks5h://…), or straight to the server with "none", whatever the
    /// environment says. Its password: `feeds secret NAME --proxy USER`.
    #[arg(long, value_name = "URL|none", value_parser = |s: &str| s.parse::<ProxyChoice>())]
    proxy: Option<ProxyChoice>,
}

fn parse_preset(text: &str) -> Result<Preset, String> {
    let names = || Preset::ALL.map(Preset::name).join(", ");
    Preset::ALL.into_iter().find(|p| p.name() == text).ok_or_else(|| format!("one of {}", names()))
}

/// The feed `add` describes, over the one of that name already stored.
fn added(args: AddArgs, existing: Option<Feed>) -> Feed {
    let (mut settings, retention) = existing.map(|f| (f.settings, f.retention)).unwrap_or_default();
    if let Some(cert) = args.client_cert {
        let keyring = args.client_key_entry.unwrap_or_else(|| client_key_entry(&args.name));
        let cert = std::path::absolute(&cert).unwrap_or(cert);
        settings.client_identity = Some(ClientIdentity { cert, keyring });
    }
    let mut feed = Feed { name: args.name, url: args.url, settings, retention };
    if args.preset.is_some() {
        feed.settings.preset = args.preset;
    }
    if let Some(path) = args.ca_cert {
        // Kept as given would break once the shell's directory changes.
        feed.settings.ca_cert = Some(std::path::absolute(&path).unwrap_or(path));
    }
    if let Some(actor) = args.me {
        feed.settings.me = Some(Me::Actor { actor });
    }
    if let Some(proxy) = args.proxy {
        if !matches!(proxy, ProxyChoice::Via(_)) {
            feed.settings.proxy_auth = None;
        }
        feed.settings.proxy = Some(proxy);
    }
    feed
}

pub async fn run(args: FeedsArgs) -> u8 {
    let out = Output::new(args.json);
    let Some(path) = out.store_path(args.store) else { return exit::USAGE };
    let mut feeds = match Feeds::open(&path).await {
        Ok(feeds) => feeds,
        Err(e) => {
            out.error(&e);
            return exit::USAGE;
        }
    };
    let done = match args.command {
        FeedsCommand::List => feeds.list().await.map(|list| {
            for feed in list {
                let line = if args.json {
                    json!({"name": feed.name, "url": feed.url, "auth": feed.settings.auth}).to_string()
                } else {
                    format!("{}\t{}", feed.name, feed.url)
                };
                out.line(&line);
            }
        }),
        FeedsCommand::Add(add) => match feeds.get(&add.name).await {
            // A feed already there keeps its other settings (and secret).
            Ok(existing) => {
                let key = add.client_key.clone();
                // The same check as a feeds file's, so a feed added here exports and imports cleanly.
                let feed = added(add, existing);
                if let Err(refusal) = check(&feed) {
                    out.error(&format!("{}: {}", refusal.setting.key(), refusal.reason));
                    return exit::USAGE;
                }
                if let Err(code) = keep_identity(&feed, key.as_deref(), &out) {
                    return code;
                }
                feeds.put(&[feed]).await
            }
            Err(e) => Err(e),
        },
        FeedsCommand::Remove { name } => remove(&feeds, &name, &out).await,
        FeedsCommand::Secret { name, basic, entry, proxy } => {
            return secret(&mut feeds, &out, &name, (basic, proxy), entry).await;
        }
        FeedsCommand::SignIn { name } => {
            return match feeds.get(&name).await {
                Ok(Some(feed)) => crate::sign_in::sign_in(&feeds, &feed, &out).await,
                other => no_feed(other, &name, &out),
            };
        }
        FeedsCommand::SignOut { name } => {
            return match feeds.get(&name).await {
                Ok(Some(feed)) => crate::sign_in::sign_out_of(&feeds, &feed, &out).await,
                other => no_feed(other, &name, &out),
            };
        }
        FeedsCommand::Import { file } => {
            let parsed = std::fs::read_to_string(&file)
                .map_err(|e| e.to_string())
                .and_then(|text| parse_feeds(&text).map_err(|e| e.to_string()));
            match parsed {
                Ok(parsed) => feeds.put(&parsed).await,
                Err(e) => {
                    out.error(&format!("{}: {e}", file.display()));
                    return exit::USAGE;
                }
            }
        }
        FeedsCommand::Export { file } => feeds.list().await.and_then(|list| {
            let text = feeds_to_toml(&list);
            match file {
                Some(file) => std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display())),
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }),
    };
    match done {
        Ok(()) => exit::OK,
        Err(e) => {
            out.error(&e);
            exit::USAGE
        }
    }
}

/// Checks that a new client identity can be presented, then puts its key
/// (or passphrase) in the keyring, for the feed to name: a bad one leaves
/// the keyring as it was.
fn keep_identity(feed: &Feed, key: Option<&std::path::Path>, out: &Output) -> Result<(), u8> {
    let Some(identity) = &feed.settings.client_identity else { return Ok(()) };
    let fail = |message: String, code: u8| {
        out.error(&message);
        code
    };
    let secret = crate::identity::secret_for(&identity.cert, key).map_err(|e| fail(e, exit::USAGE))?;
    identity.load_with(&secret, herald_core::sse::now_ms() / 1000).map_err(|e| fail(e.to_string(), exit::USAGE))?;
    OsKeyring.set(&identity.keyring, &secret).map_err(|e| fail(e.to_string(), exit::FAILED))
}

/// What a command on a feed that cannot be had exits with.
fn no_feed(found: Result<Option<Feed>, String>, name: &str, out: &Output) -> u8 {
    match found {
        Ok(_) => {
            out.error(&herald_core::store::StoreError::NoSuchFeed(name.to_owned()).to_string());
            exit::USAGE
        }
        Err(e) => {
            out.error(&e);
            exit::FAILED
        }
    }
}

/// Removes the feed, then its secret unless another feed shares the entry.
/// The feed is gone even if the keyring cannot be reached; the user is told
/// what was left behind.
async fn remove(feeds: &Feeds, name: &str, out: &Output) -> Result<(), String> {
    let list = feeds.list().await?;
    let entries = list.iter().find(|f| f.name == name).map(Feed::keyring_entries).unwrap_or_default();
    feeds.remove(name).await?;
    let shared = |entry: &str| list.iter().any(|f| f.name != name && f.keyring_entries().iter().any(|e| e == entry));
    for entry in entries.into_iter().filter(|entry| !shared(entry)) {
        if let Err(e) = OsKeyring.delete(&entry) {
            out.warning(&format!("the feed {name:?} is removed, but its keyring entry {entry:?} is not: {e}"));
        }
    }
    Ok(())
}

/// `feeds secret`: the keyring first, and the feed's auth only once the
/// secret is safely there.
async fn secret(
    feeds: &mut Feeds,
    out: &Output,
    name: &str,
    (basic, proxy): (Option<String>, Option<String>),
    entry: Option<String>,
) -> u8 {
    let feed = match feeds.get(name).await {
        Ok(Some(feed)) => feed,
        Ok(None) => {
            out.error(&herald_core::store::StoreError::NoSuchFeed(name.to_owned()).to_string());
            return exit::USAGE;
        }
        Err(e) => {
            out.error(&e);
            return exit::FAILED;
        }
    };
    // The feed as it will be: checked before its secret is kept.
    let mut feed = feed;
    let entry = match proxy {
        Some(username) => {
            let keyring = entry.unwrap_or_else(|| format!("{name} proxy"));
            feed.settings.proxy_auth = Some(ProxyAuth { username, keyring: keyring.clone() });
            keyring
        }
        None => {
            let entry = entry.unwrap_or_else(|| name.to_owned());
            let auth = match basic {
                Some(user) => Auth::basic(user, entry.clone()),
                None => Auth::bearer(entry.clone()),
            };
            if let Some(problem) = auth.problem() {
                out.error(&problem);
                return exit::USAGE;
            }
            feed.settings.auth = Some(auth);
            entry
        }
    };
    if let Err(refusal) = check(&feed) {
        out.error(&format!("{}: {}", refusal.setting.key(), refusal.reason));
        return exit::USAGE;
    }
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        out.error(&format!("reading the secret from standard input: {e}"));
        return exit::USAGE;
    }
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        out.error(
            "no secret on standard input: pipe it in, as in `printf %s \"$TOKEN\" | herald-cli feeds secret NAME`",
        );
        return exit::USAGE;
    }
    if let Err(e) = OsKeyring.set(&entry, secret) {
        out.error(&e.to_string());
        return exit::FAILED;
    }
    match feeds.put(&[feed]).await {
        Ok(()) => exit::OK,
        Err(e) => {
            out.error(&e);
            exit::FAILED
        }
    }
}
