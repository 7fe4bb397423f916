//! The task that keeps [`Attention`]: it takes what the engine publishes
//! and what the user sets, shows what is due through a [`Notifier`], and
//! wakes when something held comes due. One task owns the decisions, so
//! they need no lock; the clock is injected, so tests can run it on theirs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::{Attention, Notifier, Quiet, Shows, Sounds};
use super::{DesktopQuiet, DoNotDisturb, DoNotDisturbFor};
use crate::engine::EngineEvent;
use crate::sse::{now_ms, Clock, EpochMs};

/// What the driver is told.
#[derive(Debug)]
pub enum Input {
    /// Something the engine published.
    Engine(EngineEvent),
    /// The user's new quiet settings.
    SetQuiet(Quiet),
    /// The sounds the user chose.
    SetSounds(Sounds),
    /// Mute a feed until a time (the notification's "Mute 1 h").
    Mute { feed: String, until: EpochMs },
    /// The system woke from sleep (logind's `PrepareForSleep(false)`). The
    /// driver also sees a wake by itself, at the first thing it takes after
    /// one: see [`SLEPT_MS`].
    Woke,
    /// The desktop's own do not disturb turned on, or off (`None`).
    Desktop(Option<DesktopQuiet>),
}

/// The wall clock ran this much further than the monotonic clock (which
/// stands still while the system sleeps) between two things the driver
/// took: the system slept in between.
pub const SLEPT_MS: EpochMs = 60_000;

/// Sees a sleep between two instants: by how much the wall clock ran
/// ahead of the monotonic clock.
struct SleepWatch {
    wall: EpochMs,
    mono: tokio::time::Instant,
}

impl SleepWatch {
    fn new(wall: EpochMs) -> SleepWatch {
        SleepWatch { wall, mono: tokio::time::Instant::now() }
    }

    /// Whether the system slept since the last look, at wall time `now`.
    fn slept(&mut self, now: EpochMs) -> bool {
        let mono = tokio::time::Instant::now();
        let ran = EpochMs::try_from(mono.duration_since(self.mono).as_millis()).unwrap_or(EpochMs::MAX);
        let slept = now.saturating_sub(self.wall).saturating_sub(ran) > SLEPT_MS;
        (self.wall, self.mono) = (now, mono);
        slept
    }
}

/// What the driver says of itself after each thing it takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub quiet: Quiet,
    pub sounds: Sounds,
    /// Changes held for the digest when the quiet ends.
    pub held: usize,
    /// The desktop's own do not disturb, while it is on.
    pub desktop: Option<DesktopQuiet>,
}

/// A handle on the running driver.
#[derive(Clone)]
pub struct AttentionHandle {
    inputs: mpsc::UnboundedSender<Input>,
    status: watch::Receiver<Status>,
}

impl AttentionHandle {
    pub fn send(&self, input: Input) {
        // The driver outlives every sender but at shutdown.
        let _ = self.inputs.send(input);
    }

    /// The quiet settings in force.
    pub fn quiet(&self) -> Quiet {
        self.status.borrow().quiet.clone()
    }

    /// Turns do not disturb on for `span` from now, on the system's clock
    /// and in its time zone, or off; the settings it leaves.
    pub fn do_not_disturb(&self, span: Option<DoNotDisturbFor>) -> Quiet {
        let mut quiet = self.quiet();
        quiet.do_not_disturb = match span {
            Some(span) => span.from(now_ms(), &jiff::tz::TimeZone::system()),
            None => DoNotDisturb::Off,
        };
        self.send(Input::SetQuiet(quiet.clone()));
        quiet
    }

    /// The sounds notifications make.
    pub fn sounds(&self) -> Sounds {
        self.status.borrow().sounds.clone()
    }

    /// The driver's status, and a way to hear when it changes.
    pub fn status(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }
}

/// Starts the driver. `kept` is the folder the user's settings are kept
/// in between runs ([`Kept`]), if any.
pub fn spawn(
    mut attention: Attention,
    notifier: Arc<dyn Notifier>,
    clock: Arc<dyn Clock>,
    kept: Option<Kept>,
) -> AttentionHandle {
    let (inputs, mut receive) = mpsc::unbounded_channel();
    let status_of = |a: &Attention| Status {
        quiet: a.quiet().clone(),
        sounds: a.sounds().clone(),
        held: a.held(),
        desktop: a.desktop(),
    };
    let (publish, status) = watch::channel(status_of(&attention));
    tokio::spawn(async move {
        let mut sleeps = SleepWatch::new(clock.now_ms());
        loop {
            let now = clock.now_ms();
            let sleep = match attention.next_wake(now) {
                Some(wake) => Duration::from_millis(u64::try_from(wake - now).unwrap_or(0)),
                None => Duration::from_secs(24 * 3600),
            };
            let shows: Shows = tokio::select! {
                input = receive.recv() => {
                    let Some(input) = input else { return };
                    let now = clock.now_ms();
                    // Woken before this is taken, so a replay is held too.
                    let mut shows = if sleeps.slept(now) { attention.woke(now) } else { Vec::new() };
                    shows.extend(match input {
                        Input::Engine(event) => take(&mut attention, event, now),
                        Input::SetQuiet(quiet) => attention.set_quiet(quiet, now),
                        Input::SetSounds(sounds) => {
                            attention.set_sounds(sounds);
                            Vec::new()
                        }
                        Input::Mute { feed, until } => {
                            attention.mute(&feed, until);
                            attention.tick(now)
                        }
                        Input::Woke => attention.woke(now),
                        Input::Desktop(desktop) => attention.set_desktop(desktop, now),
                    });
                    shows
                }
                _ = tokio::time::sleep(sleep) => {
                    let now = clock.now_ms();
                    let mut shows = if sleeps.slept(now) { attention.woke(now) } else { Vec::new() };
                    shows.extend(attention.tick(now));
                    shows
                }
            };
            let now = status_of(&attention);
            if let Some(kept) = &kept {
                // Written outside the status's lock, which readers take.
                kept.keep(&publish.borrow(), &now);
            }
            publish.send_if_modified(|status| {
                let changed = *status != now;
                *status = now;
                changed
            });
            let now = clock.now_ms();
            for slot in attention.take_closed() {
                notifier.close(slot);
            }
            for (slot, mut alert) in shows {
                alert.sound = attention.sound(&alert, now);
                if let Err(e) = notifier.show(slot, alert) {
                    tracing::warn!(error = %e, "notification failed");
                }
            }
        }
    });
    AttentionHandle { inputs, status }
}

fn take(attention: &mut Attention, event: EngineEvent, now: EpochMs) -> Shows {
    match event {
        EngineEvent::State { state } => attention.state(&state, now),
        EngineEvent::Changes { changes } => attention.changes(&changes, now),
        EngineEvent::Missed { digest } => attention.missed(&digest, now),
        EngineEvent::Removed { feed } => {
            attention.removed(&feed);
            Vec::new()
        }
        EngineEvent::StoreRecovered { recovery } => attention.store_recovered(&recovery, now),
        EngineEvent::Events { .. } | EngineEvent::Problem { .. } => Vec::new(),
    }
}

/// Where the user's attention settings are kept between runs: a folder
/// with `quiet.json` and `sounds.json`.
pub struct Kept(pub PathBuf);

impl Kept {
    fn quiet(&self) -> PathBuf {
        self.0.join("quiet.json")
    }

    fn sounds(&self) -> PathBuf {
        self.0.join("sounds.json")
    }

    /// The kept quiet and sounds; none kept, or unreadable, is the default
    /// (and says why, for the unreadable).
    pub fn load(&self) -> (Quiet, Sounds) {
        (load(&self.quiet()), load(&self.sounds()))
    }

    /// Writes what changed from `before` to `now`.
    fn keep(&self, before: &Status, now: &Status) {
        if before.quiet != now.quiet {
            save(&self.quiet(), &now.quiet);
        }
        if before.sounds != now.sounds {
            save(&self.sounds(), &now.sounds);
        }
    }
}

fn load<T: serde::de::DeserializeOwned + Default>(path: &Path) -> T {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "kept settings do not read; starting without");
            T::default()
        }),
        Err(_) => T::default(),
    }
}

fn save<T: serde::Serialize>(path: &Path, settings: &T) {
    let written = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other).and_then(|json| {
        let temporary = path.with_extension("json.new");
        std::fs::write(&temporary, json)?;
        std::fs::rename(temporary, path)
    });
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not keep the settings");
    }
}
