//! The tray process: the engine, the notifications, the tray and the socket,
//! in one small process that links no GTK and no WebKit. The window is a
//! client it starts on demand.
//!
//! Only one runs per user: a second launch finds the socket answering,
//! asks the running one to open its window (on a deep link's target, if
//! one was given), and exits.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_core::attention::driver;
use herald_core::attention::tray::view;
use herald_core::attention::{Attention, Notifier};
use herald_core::engine::{Engine, EngineConfig, GetFeeds, PauseFeed, StoreAt};
use herald_core::ipc::{self, Client, OpenWindow};
use herald_core::proxy::DesktopProxies;
use herald_core::secrets::Secrets;
use herald_core::sse::{now_ms, SystemClock};
use herald_core::store::Store;
use jiff::tz::TimeZone;
use tokio::sync::mpsc;

use crate::autostart::{self, Autostart};
use crate::desktop_proxies::PortalProxies;
use crate::launcher::Launcher;
use crate::notify::DesktopNotifier;
use crate::options::Options;
use crate::relay::{self, TraySink};
use crate::{setup, Desk, DeskParts};
use herald_core::media::{Limits, MediaCache, CACHE_BYTES};

/// Runs Herald until Quit, or until it is told to stop (SIGINT, SIGTERM).
pub async fn run(options: Options, token: Option<String>) -> anyhow::Result<()> {
    let socket = ipc::socket_path();
    let target = options.link.as_deref().map(herald_core::attention::link::parse).transpose()?;
    let listener = match ipc::bind(&socket) {
        Ok(listener) => listener,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            // One Herald per user: the running one opens its window.
            let client = Client::connect(&socket).await.context("reaching the running Herald")?;
            client.ask(OpenWindow { target }).await.context("asking the running Herald to open its window")?;
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("binding {}", socket.display())),
    };

    // `--demo`: a store of its own, in a folder removed when this returns.
    let demo_dir = options.demo.then(setup::DemoDir::new).transpose()?;
    let store = match &demo_dir {
        Some(dir) => dir.0.join("herald.db"),
        None => options
            .store
            .clone()
            .or_else(Store::default_path)
            .context("no --store given, and neither XDG_DATA_HOME nor HOME is set")?,
    };
    let every = Duration::from_secs(options.demo_every);
    let start = setup::prepare(&store, options.server.as_deref(), token, every).await?;
    let data_dir = start.store.parent().unwrap_or(std::path::Path::new(".")).to_owned();
    let secrets: Arc<dyn Secrets> = Arc::new(start.secrets);
    let desktop_proxies: Arc<dyn DesktopProxies> = Arc::new(PortalProxies::default());
    let config = EngineConfig {
        desktop_proxies: desktop_proxies.clone(),
        ..EngineConfig::new(StoreAt::Open(start.opened), secrets.clone())
    };
    let (engine, events) = Engine::start(config).await.context("starting the engine")?;
    let _demo = start.demo;

    let media = Arc::new(MediaCache::new(media_dir(&data_dir), CACHE_BYTES, Limits::default()));
    let (notifier, mut heard) = DesktopNotifier::start(media.clone());
    let kept = driver::Kept(data_dir.clone());
    let (quiet, sounds) = kept.load();
    let mut attention = Attention::new(TimeZone::system(), quiet);
    attention.set_sounds(sounds);
    let notifier: Arc<dyn Notifier> = Arc::new(notifier);
    let attention = driver::spawn(attention, notifier, Arc::new(SystemClock), Some(kept));
    let launcher = Arc::new(Launcher::new(socket.clone()));
    let desk = Arc::new(Desk::new(DeskParts {
        engine,
        secrets,
        desktop_proxies,
        attention,
        certs_dir: data_dir.join("certs"),
        ports: launcher,
        autostart: Autostart::new(
            autostart::dir().context("neither XDG_CONFIG_HOME nor HOME is set")?,
            std::env::current_exe().context("finding this program")?,
        ),
        store: Some(start.store),
        media,
    }));

    let (stop, mut stopped) = mpsc::unbounded_channel::<()>();
    // Served until the process exits.
    tokio::spawn(ipc::serve(listener, desk.clone(), std::future::pending()));
    let (actions, mut picked) = mpsc::unbounded_channel();
    let quiet = desk.attention().quiet();
    let first = view(std::iter::empty(), &quiet, now_ms());
    let tray = crate::tray::Tray::start(first, actions).await;
    let tray: Option<Arc<dyn TraySink>> = tray.map(|t| Arc::new(t) as Arc<dyn TraySink>);
    tokio::spawn(relay::run(desk.clone(), events, tray));
    {
        let desk = desk.clone();
        tokio::spawn(async move {
            while let Some(heard) = heard.recv().await {
                desk.heard(heard);
            }
        });
    }
    {
        let (desk, stop) = (desk.clone(), stop.clone());
        tokio::spawn(async move {
            while let Some(action) = picked.recv().await {
                act(&desk, action, &stop).await;
            }
        });
    }
    tokio::spawn(follow_wakes(desk.clone()));
    {
        let desk = desk.clone();
        tokio::spawn(crate::desktop_quiet::follow(move |quiet| desk.set_desktop_quiet(quiet)));
    }
    match target {
        Some(target) => desk.show(target),
        None if !options.hidden => desk.open_window(),
        None => {}
    }
    tracing::info!(socket = %socket.display(), "Herald is running");
    tokio::select! {
        _ = stopped.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated() => {}
    }
    let _ = std::fs::remove_file(&socket);
    drop(demo_dir);
    Ok(())
}

async fn act(desk: &Arc<Desk>, action: crate::tray::TrayAction, stop: &mpsc::UnboundedSender<()>) {
    use crate::tray::TrayAction;
    match action {
        TrayAction::Open => desk.open_window(),
        TrayAction::SignIn(feed) => crate::sign_in::sign_in_later(desk, feed),
        TrayAction::PauseAll | TrayAction::ResumeAll => {
            let paused = action == TrayAction::PauseAll;
            let Ok(feeds) = desk.engine().ask(GetFeeds).await else { return };
            for feed in feeds.into_iter().filter(|f| f.paused != paused) {
                if let Err(e) = desk.engine().ask(PauseFeed { name: feed.name, paused }).await {
                    tracing::warn!(error = %e, "pausing or resuming a feed from the tray failed");
                }
            }
        }
        TrayAction::DoNotDisturb(span) => {
            desk.attention().do_not_disturb(span);
        }
        TrayAction::Quit => {
            let _ = stop.send(());
        }
    }
}

/// Reconnects every feed on a resume or a network change, as the system bus
/// tells them. Without a system bus (some containers), feeds still
/// reconnect on their own backoff, and a sleep is still noticed by the
/// attention driver's clocks.
async fn follow_wakes(desk: Arc<Desk>) {
    let watcher = async { crate::wake::Watcher::subscribe(&zbus::Connection::system().await?).await }.await;
    let mut watcher = match watcher {
        Ok(watcher) => watcher,
        Err(e) => {
            tracing::info!(error = %e, "no system bus: feeds reconnect on their own after a sleep");
            return;
        }
    };
    while let Some(wake) = watcher.next().await {
        desk.woke(wake).await;
    }
}

#[cfg(unix)]
/// Where message pictures are cached: `$XDG_CACHE_HOME/herald/media`
/// (`~/.cache/herald/media`), or beside the store where neither is set.
fn media_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::PathBuf::from(home).join(".cache")));
    match cache {
        Some(cache) => cache.join("herald").join("media"),
        None => data_dir.join("media"),
    }
}

async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

impl TraySink for crate::tray::Tray {
    fn show(&self, view: herald_core::attention::tray::TrayView) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(crate::tray::Tray::show(self, view))
    }
}
