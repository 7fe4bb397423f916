//! Starting at login, as the user chooses in settings: an XDG autostart
//! entry, `$XDG_CONFIG_HOME/autostart/herald.desktop`, that starts Herald
//! in the tray (`--hidden`). Off is no entry at all.
//!
//! The packages install no system-wide entry: that would start Herald at
//! login for every user of the machine, chosen by none of them. (The
//! autostart plugin of Tauri writes the same kind of file, but from the
//! window's process, which is not running at the moments that matter.)

use std::io;
use std::path::{Path, PathBuf};

/// The entry's file name.
const FILE: &str = "herald.desktop";

/// Where the user's autostart entries live: `$XDG_CONFIG_HOME/autostart`,
/// else `~/.config/autostart`.
pub fn dir() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("autostart"))
}

/// The user's autostart entries, and the `herald` to start.
#[derive(Debug, Clone)]
pub struct Autostart {
    dir: PathBuf,
    exe: PathBuf,
}

impl Autostart {
    pub fn new(dir: PathBuf, exe: PathBuf) -> Autostart {
        Autostart { dir, exe }
    }

    fn file(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// Whether Herald starts at login: an entry of ours is there, and not
    /// hidden (a desktop's own settings may hide it rather than delete it).
    pub fn enabled(&self) -> bool {
        std::fs::read_to_string(self.file()).is_ok_and(|entry| !entry.lines().any(|l| l.trim() == "Hidden=true"))
    }

    /// Turns starting at login on or off.
    pub fn set(&self, on: bool) -> io::Result<()> {
        if !on {
            return match std::fs::remove_file(self.file()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        std::fs::create_dir_all(&self.dir)?;
        // Written whole, then moved into place: a desktop reading the
        // folder never sees half an entry.
        let partial = self.dir.join(".herald.desktop.partial");
        std::fs::write(&partial, entry(&self.exe))?;
        std::fs::rename(partial, self.file())
    }
}

/// The entry: Herald in the tray, from this very binary.
fn entry(exe: &Path) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Herald\n\
         Comment=Tells you when shared data changes\n\
         Exec={} --hidden\n\
         Icon={}\n\
         Terminal=false\n\
         X-GNOME-Autostart-enabled=true\n",
        quote(exe),
        crate::ICON
    )
}

/// A path as one argument of `Exec`, quoted when it needs to be (the
/// desktop entry specification's rules).
fn quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    if !text.contains(|c: char| c.is_whitespace() || "\"'\\><~|&;$*?#()`".contains(c)) {
        return text.into_owned();
    }
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '"' | '`' | '$' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    // In a desktop entry's value, a backslash is itself escaped once more.
    format!("\"{}\"", escaped.replace('\\', "\\\\"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_writes_an_entry_that_starts_herald_in_the_tray_and_off_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = Autostart::new(dir.path().join("autostart"), PathBuf::from("/usr/bin/herald"));
        assert!(!autostart.enabled());
        autostart.set(false).unwrap();
        autostart.set(true).unwrap();
        assert!(autostart.enabled());
        let written = std::fs::read_to_string(dir.path().join("autostart/herald.desktop")).unwrap();
        assert!(written.contains("\nExec=/usr/bin/herald --hidden\n"), "{written}");
        assert_eq!(std::fs::read_dir(dir.path().join("autostart")).unwrap().count(), 1, "no partial file left");
        autostart.set(false).unwrap();
        assert!(!autostart.enabled());
    }

    #[test]
    fn an_entry_hidden_by_the_desktop_is_off() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = Autostart::new(dir.path().to_owned(), PathBuf::from("/usr/bin/herald"));
        std::fs::write(dir.path().join(FILE), "[Desktop Entry]\nHidden=true\n").unwrap();
        assert!(!autostart.enabled());
    }

    #[test]
    fn a_path_with_spaces_or_quotes_is_one_argument() {
        assert_eq!(quote(Path::new("/opt/Herald App/herald")), "\"/opt/Herald App/herald\"");
        assert_eq!(quote(Path::new("/opt/a$b/herald")), "\"/opt/a\\\\$b/herald\"");
    }
}
