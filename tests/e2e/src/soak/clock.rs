//! The tray process's wall clock, which the soak moves on as a suspend
//! does: `CLOCK_REALTIME` jumps ahead while `CLOCK_MONOTONIC` (tokio's
//! timers) stands still. libfaketime (apt: libfaketime) is preloaded into
//! the process, and reads the offset from a file the soak writes.

use std::path::{Path, PathBuf};
use std::time::Duration;

const LIBRARY: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

pub struct WallClock {
    file: PathBuf,
    library: String,
    offset: Duration,
}

impl WallClock {
    /// A clock with no offset yet, its file in `dir`.
    pub fn new(dir: &Path) -> anyhow::Result<WallClock> {
        anyhow::ensure!(Path::new(LIBRARY).exists(), "libfaketime is not installed: apt-get install libfaketime");
        let file = dir.join("wall-clock");
        std::fs::write(&file, "+0\n")?;
        let clock = WallClock { file, library: LIBRARY.to_owned(), offset: Duration::ZERO };
        Ok(clock)
    }

    /// What the process needs in its environment to run on this clock.
    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("LD_PRELOAD", self.library.as_str()),
            ("FAKETIME_TIMESTAMP_FILE", self.file.to_str().unwrap_or_default()),
            // Only the wall clock moves; timers and timeouts keep real time.
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
            // The file is read again at most once a second, not on every call.
            ("FAKETIME_CACHE_DURATION", "1"),
        ]
    }

    /// Moves the wall clock `by` further ahead.
    pub fn jump(&mut self, by: Duration) -> anyhow::Result<()> {
        self.offset += by;
        std::fs::write(&self.file, format!("+{}\n", self.offset.as_secs()))?;
        Ok(())
    }

    /// How far ahead it is.
    pub fn offset(&self) -> Duration {
        self.offset
    }
}
