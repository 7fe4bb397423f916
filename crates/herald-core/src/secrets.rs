//! Where feeds' tokens and passwords live: the OS keyring (the Secret Service
//! on Linux, Keychain on macOS, Credential Manager on Windows).
//!
//! Why a keyring and nothing else: the store, a feeds export and the logs
//! are all files a user copies, syncs and pastes into bug reports. A feed
//! therefore holds only a reference to its secret (the keyring entry's
//! name), and when no keyring is reachable Herald says so and stops, rather
//! than fall back to keeping the secret in plain text.
//!
//! Code that needs a secret is written against [`Secrets`], so its logic is
//! tested with [`MemorySecrets`]; [`OsKeyring`] is tested against a real
//! Secret Service (gnome-keyring on a private D-Bus session).

use std::collections::HashMap;
use std::sync::Mutex;

/// The keyring service Herald's entries are filed under.
pub const SERVICE: &str = "herald";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no OS keyring is reachable ({0}). Herald keeps tokens only in the keyring, never in a file: \
         start one (on Linux, a Secret Service such as gnome-keyring or KeePassXC) and try again"
    )]
    Unreachable(String),
    #[error("the OS keyring is locked ({0}): unlock it and try again")]
    Locked(String),
    #[error("the keyring holds no secret named {entry:?} (service {SERVICE:?})")]
    Missing { entry: String },
    #[error("the keyring refused: {0}")]
    Failed(String),
}

/// A place to keep secrets by name.
pub trait Secrets: Send + Sync {
    fn get(&self, entry: &str) -> Result<String, SecretError>;
    fn set(&self, entry: &str, secret: &str) -> Result<(), SecretError>;
    /// Forgets the secret; forgetting one that is not there is not an error.
    fn delete(&self, entry: &str) -> Result<(), SecretError>;
}

/// The OS keyring. Each call blocks (a D-Bus round trip on Linux), so async
/// code calls it through [`crate::blocking::run`].
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(entry: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, entry).map_err(|e| match e {
            // The store could not start; the reason is kept aside.
            keyring::Error::NoDefaultStore => match keyring::Entry::store_status() {
                Err(cause) => unreachable_or(cause),
                Ok(()) => SecretError::Unreachable(e.to_string()),
            },
            other => classify(&other),
        })
    }
}

/// A store that failed to start is unreachable, whatever the details.
fn unreachable_or(cause: &keyring::Error) -> SecretError {
    match classify(cause) {
        locked @ SecretError::Locked(_) => locked,
        _ => SecretError::Unreachable(cause.to_string()),
    }
}

fn classify(error: &keyring::Error) -> SecretError {
    match error {
        keyring::Error::NoStorageAccess(cause) => SecretError::Locked(cause.to_string()),
        keyring::Error::PlatformFailure(cause) => {
            let text = cause.to_string();
            // D-Bus says the service is not there, or there is no bus at all.
            if text.contains("ServiceUnknown") || text.contains("connect") || text.contains("No such file") {
                SecretError::Unreachable(text)
            } else {
                SecretError::Failed(text)
            }
        }
        other => SecretError::Failed(other.to_string()),
    }
}

impl Secrets for OsKeyring {
    fn get(&self, entry: &str) -> Result<String, SecretError> {
        OsKeyring::entry(entry)?.get_password().map_err(|e| match e {
            keyring::Error::NoEntry => SecretError::Missing { entry: entry.to_owned() },
            other => classify(&other),
        })
    }

    fn set(&self, entry: &str, secret: &str) -> Result<(), SecretError> {
        OsKeyring::entry(entry)?.set_password(secret).map_err(|e| classify(&e))
    }

    fn delete(&self, entry: &str) -> Result<(), SecretError> {
        match OsKeyring::entry(entry)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(other) => Err(classify(&other)),
        }
    }
}

/// Secrets in memory, for tests of the logic around them.
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, String>>);

impl Secrets for MemorySecrets {
    fn get(&self, entry: &str) -> Result<String, SecretError> {
        let secrets = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        secrets.get(entry).cloned().ok_or_else(|| SecretError::Missing { entry: entry.to_owned() })
    }

    fn set(&self, entry: &str, secret: &str) -> Result<(), SecretError> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(entry.to_owned(), secret.to_owned());
        Ok(())
    }

    fn delete(&self, entry: &str) -> Result<(), SecretError> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(entry);
        Ok(())
    }
}

/// Secrets that live only as long as this process, in front of a keyring:
/// the embedded demo's token is one, since its hub is new every run and
/// nothing about it is worth keeping. Everything else goes to `keyring`.
pub struct SessionSecrets {
    pub session: MemorySecrets,
    pub keyring: Box<dyn Secrets>,
}

impl SessionSecrets {
    pub fn over(keyring: impl Secrets + 'static) -> SessionSecrets {
        SessionSecrets { session: MemorySecrets::default(), keyring: Box::new(keyring) }
    }
}

impl Secrets for SessionSecrets {
    fn get(&self, entry: &str) -> Result<String, SecretError> {
        match self.session.get(entry) {
            Err(SecretError::Missing { .. }) => self.keyring.get(entry),
            found => found,
        }
    }

    fn set(&self, entry: &str, secret: &str) -> Result<(), SecretError> {
        self.keyring.set(entry, secret)
    }

    fn delete(&self, entry: &str) -> Result<(), SecretError> {
        self.session.delete(entry)?;
        self.keyring.delete(entry)
    }
}

#[cfg(test)]
mod session_tests {
    use super::*;

    #[test]
    fn session_secrets_come_first_and_the_rest_from_the_keyring() {
        let keyring = MemorySecrets::default();
        keyring.set("hub", "kept").unwrap();
        let secrets = SessionSecrets::over(keyring);
        secrets.session.set("demo", "for-now").unwrap();
        assert_eq!(secrets.get("demo").unwrap(), "for-now");
        assert_eq!(secrets.get("hub").unwrap(), "kept");
        assert_eq!(secrets.get("none").unwrap_err(), SecretError::Missing { entry: "none".into() });
    }
}
