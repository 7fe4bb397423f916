//! Parts for the tests of the desk and of its clients (the window, the
//! CLI): a desktop with no notification service that records the windows
//! it is asked to open, a notifier that records what it is asked to show,
//! and a desk made of them around a real engine. Kept here, beside what
//! they stand in for, so that every crate's tests build the same desk.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use herald_core::attention::{driver, Alert, Attention, Notifier, NotifyError, Quiet, Slot, SoundName, Target};
use herald_core::engine::{Engine, EngineConfig, EngineError, EngineEvent, GetFeeds, StoreAt};
use herald_core::media::{Limits, MediaCache, CACHE_BYTES};
use herald_core::secrets::Secrets;
use herald_core::sse::{Phase, SystemClock};
use tokio::sync::{mpsc, watch};

use crate::autostart::Autostart;
use crate::{Desk, DeskParts, Ports};

/// A desktop with no notification service, that records the windows asked for.
#[derive(Default)]
pub struct Desktop {
    pub opened: Mutex<Vec<Option<Target>>>,
    /// Whether it says a window of its own is open.
    pub window: AtomicBool,
}

impl Ports for Desktop {
    fn open_window(&self, target: Option<Target>) {
        self.opened.lock().unwrap_or_else(|p| p.into_inner()).push(target);
    }

    fn window_open(&self) -> bool {
        self.window.load(Ordering::SeqCst)
    }

    fn test_notification(&self, _: Option<SoundName>) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async { Err("No notification service is running on this desktop.".to_owned()) })
    }
}

/// Records the alerts it is asked to show.
pub struct Recorder(watch::Sender<Vec<Alert>>);

impl Recorder {
    pub fn new() -> (Recorder, watch::Receiver<Vec<Alert>>) {
        let (sender, alerts) = watch::channel(Vec::new());
        (Recorder(sender), alerts)
    }
}

impl Notifier for Recorder {
    fn show(&self, _slot: Slot, alert: Alert) -> Result<(), NotifyError> {
        self.0.send_modify(|alerts| alerts.push(alert));
        Ok(())
    }

    fn close(&self, _slot: Slot) {}
}

/// A desk on a real engine, and what it was made of.
pub struct TestDesk {
    pub desk: Arc<Desk>,
    /// What the engine publishes: for `relay::run`, or for the test.
    pub events: mpsc::Receiver<EngineEvent>,
    pub desktop: Arc<Desktop>,
    pub alerts: watch::Receiver<Vec<Alert>>,
}

/// A desk on `store`, keeping its certificates and autostart entry under
/// `dir`, with no quiet set, in UTC.
pub async fn desk(store: StoreAt, secrets: Arc<dyn Secrets>, dir: &Path) -> Result<TestDesk, EngineError> {
    let path = match &store {
        StoreAt::Path(path) => Some(path.clone()),
        _ => None,
    };
    let (engine, events) = Engine::start(EngineConfig::new(store, secrets.clone())).await?;
    let (recorder, alerts) = Recorder::new();
    let attention = driver::spawn(
        Attention::new(jiff::tz::TimeZone::UTC, Quiet::default()),
        Arc::new(recorder),
        Arc::new(SystemClock),
        None,
    );
    let desktop = Arc::new(Desktop::default());
    let desk = Arc::new(Desk::new(DeskParts {
        engine,
        secrets,
        desktop_proxies: Arc::new(herald_core::proxy::NoDesktop),
        attention,
        certs_dir: dir.join("certs"),
        ports: desktop.clone(),
        autostart: Autostart::new(dir.join("autostart"), PathBuf::from("/usr/bin/herald")),
        store: path,
        media: Arc::new(MediaCache::new(dir.join("media"), CACHE_BYTES, Limits::default())),
    }));
    Ok(TestDesk { desk, events, desktop, alerts })
}

/// The phase of `desk`'s feed `feed` once `done` says it is the one waited
/// for, polled for up to a minute; a test that waits longer fails, saying
/// where the feed still stands.
pub async fn phase_when(desk: &Desk, feed: &str, done: impl Fn(&Phase) -> bool) -> Phase {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let feeds = desk.engine().ask(GetFeeds).await.expect("the engine lists its feeds");
        let phase = feeds.into_iter().find(|f| f.name == feed).map(|f| f.connection.phase);
        if let Some(phase) = phase.as_ref().filter(|p| done(p)) {
            return phase.clone();
        }
        assert!(std::time::Instant::now() < deadline, "{feed} is still {phase:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
