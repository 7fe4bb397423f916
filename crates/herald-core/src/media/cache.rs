//! The pictures kept: one file each, named by its URL's hash and its
//! sniffed type, in a directory whose total size stays within a budget
//! (the least recently used go first). What was refused is remembered for
//! the life of the process, so that a refused picture is not fetched again
//! each time it is shown.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::fetch::{fetch, Limits, Refusal};
use super::IMAGE_TYPES;

/// How much the cache keeps by default: 64 MB.
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// How many refusals are remembered.
const REFUSALS: usize = 256;

/// A picture in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    pub path: PathBuf,
    pub mime: &'static str,
}

pub struct MediaCache {
    dir: PathBuf,
    budget: u64,
    limits: Limits,
    refused: Mutex<VecDeque<(String, Refusal)>>,
}

fn extension(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        _ => "webp",
    }
}

fn name_of(url: &str) -> String {
    Sha256::digest(url.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl MediaCache {
    pub fn new(dir: PathBuf, budget: u64, limits: Limits) -> MediaCache {
        MediaCache { dir, budget, limits, refused: Mutex::new(VecDeque::new()) }
    }

    /// The picture at `url`, from the cache or fetched into it; or why it
    /// is not shown.
    pub async fn get(&self, url: &str, claimed_size: Option<u64>) -> Result<Cached, Refusal> {
        let name = name_of(url);
        let dir = self.dir.clone();
        let found = crate::blocking::run({
            let (dir, name) = (dir.clone(), name.clone());
            move || find(&dir, &name)
        })
        .await;
        if let Some(cached) = found {
            return Ok(cached);
        }
        if let Some(refusal) = self.refusal(url) {
            return Err(refusal);
        }
        let fetched = match fetch(url, claimed_size, self.limits).await {
            Ok(fetched) => fetched,
            Err(refusal) => {
                self.remember(url, &refusal);
                return Err(refusal);
            }
        };
        let budget = self.budget;
        crate::blocking::run(move || {
            let path = dir.join(format!("{name}.{}", extension(fetched.mime)));
            keep(&dir, &path, &fetched.bytes)?;
            evict(&dir, budget, &path);
            Ok(Cached { path, mime: fetched.mime })
        })
        .await
        .map_err(|e: std::io::Error| Refusal::Unreachable { reason: format!("it could not be kept: {e}") })
    }

    fn refusal(&self, url: &str) -> Option<Refusal> {
        let refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        refused.iter().find(|(u, _)| u == url).map(|(_, r)| r.clone())
    }

    fn remember(&self, url: &str, refusal: &Refusal) {
        // Only what fetching again would refuse again: not a server that was away.
        if matches!(refusal, Refusal::Unreachable { .. } | Refusal::Status { .. }) {
            return;
        }
        let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        if refused.len() == REFUSALS {
            refused.pop_front();
        }
        refused.push_back((url.to_owned(), refusal.clone()));
    }
}

/// The kept file for `name`, touched as just used.
fn find(dir: &Path, name: &str) -> Option<Cached> {
    IMAGE_TYPES.iter().find_map(|mime| {
        let path = dir.join(format!("{name}.{}", extension(mime)));
        let file = std::fs::File::options().append(true).open(&path).ok()?;
        let _ = file.set_modified(SystemTime::now());
        Some(Cached { path, mime })
    })
}

/// Writes `bytes` to `path` whole, or not at all.
fn keep(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

/// Removes the least recently used files until the directory is within
/// `budget`, keeping `newest` whatever its size.
fn evict(dir: &Path, budget: u64, newest: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            meta.is_file().then(|| (meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= budget {
            break;
        }
        if path != newest && std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_first_and_the_newest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("a.png");
        let used = dir.path().join("b.png");
        let new = dir.path().join("c.png");
        for path in [&old, &used, &new] {
            std::fs::write(path, [0u8; 100]).unwrap();
        }
        let at = |secs| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        std::fs::File::options().append(true).open(&old).unwrap().set_modified(at(1)).unwrap();
        std::fs::File::options().append(true).open(&used).unwrap().set_modified(at(3)).unwrap();
        std::fs::File::options().append(true).open(&new).unwrap().set_modified(at(2)).unwrap();
        evict(dir.path(), 150, &new);
        assert!(!old.exists() && !used.exists() && new.exists(), "over budget until only the newest is left");
        std::fs::write(&old, [0u8; 100]).unwrap();
        evict(dir.path(), 250, &new);
        assert!(old.exists() && new.exists(), "within budget, nothing goes");
    }
}
