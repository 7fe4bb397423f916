//! A feed's client identity, for servers behind a front door that asks
//! for a certificate (mutual TLS).
//!
//! The feeds file names a certificate file and a keyring entry, nothing
//! more: a PEM certificate chain whose private key is in the keyring, or a
//! PKCS#12 file (`.p12`, `.pfx`) whose passphrase is. A key on disk beside
//! a feeds file that users copy and share would be a key given away.
//!
//! Everything that can be checked is checked before a connection is made:
//! the file reads, the key opens and matches the certificate, and the
//! certificate is within its dates. So a bad identity is one clear state
//! with its fix, not a stream of refused handshakes. What only the server
//! can say (another CA, a revoked certificate) it says in the handshake
//! (a TLS alert) or, behind nginx, as a 400 page; [`refused_by_server`]
//! reads both.

use std::path::PathBuf;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};

use crate::secrets::{SecretError, Secrets};

/// The certificate a feed presents, as its settings name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientIdentity {
    /// A PEM file with the certificate and its chain, or a PKCS#12 file.
    pub cert: PathBuf,
    /// The keyring entry (service `herald`) holding the PEM private key, or
    /// the PKCS#12 file's passphrase.
    pub keyring: String,
}

/// An identity read and checked, ready for TLS.
pub struct Presented {
    pub(super) chain: Vec<CertificateDer<'static>>,
    pub(super) key: PrivateKeyDer<'static>,
    /// The certificate's subject, as people read it ("CN=ana").
    pub subject: String,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Why an identity cannot be presented; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the client certificate {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("its client certificate's key: {0}")]
    Secret(SecretError),
    #[error(
        "the keyring entry {entry:?} holds no PEM private key for the client certificate: store the key file's \
         contents there (herald-cli feeds add … --client-cert FILE --client-key FILE does)"
    )]
    NotAKey { entry: String },
    #[error(
        "the PKCS#12 file {path} does not open with the passphrase in the keyring entry {entry:?}: store its \
         passphrase there"
    )]
    WrongPassphrase { path: String, entry: String },
    #[error("the client certificate {subject} does not match its private key: give the key that was made with it")]
    KeyMismatch { subject: String },
    #[error("the client certificate {subject} expired on {date}: ask whoever issued it for a new one")]
    Expired { subject: String, date: String },
    #[error("the client certificate {subject} is not valid until {date}: check this computer's clock")]
    NotYetValid { subject: String, date: String },
}

impl IdentityError {
    /// Whether the keyring is the trouble: fixed by a secret, not a file.
    pub fn needs_secret(&self) -> bool {
        matches!(self, IdentityError::Secret(_))
    }
}

impl ClientIdentity {
    /// Reads the certificate and its key, and checks them at `now` (seconds
    /// since the epoch). Blocking: files and the keyring.
    pub fn load(&self, secrets: &dyn Secrets, now: i64) -> Result<Presented, IdentityError> {
        let bytes = self.read()?;
        let secret = secrets.get(&self.keyring).map_err(IdentityError::Secret)?;
        self.present(&bytes, &secret, now)
    }

    /// [`ClientIdentity::load`] with `secret` (a key or a passphrase not yet
    /// kept), to check it before it goes to the keyring.
    pub fn load_with(&self, secret: &str, now: i64) -> Result<Presented, IdentityError> {
        self.present(&self.read()?, secret, now)
    }

    fn unreadable(&self, reason: String) -> IdentityError {
        IdentityError::Unreadable { path: self.cert.display().to_string(), reason }
    }

    /// The certificate file's bytes.
    fn read(&self) -> Result<Vec<u8>, IdentityError> {
        std::fs::read(&self.cert).map_err(|e| self.unreadable(e.to_string()))
    }

    /// The identity in `bytes`, unlocked by `secret`, checked at `now`.
    fn present(&self, bytes: &[u8], secret: &str, now: i64) -> Result<Presented, IdentityError> {
        let path = self.cert.display().to_string();
        let unreadable = |reason: String| self.unreadable(reason);
        let (chain, key) = if is_pem(bytes) {
            let chain = CertificateDer::pem_slice_iter(bytes)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| unreadable(format!("not valid PEM ({e})")))?;
            let key = PrivateKeyDer::from_pem_slice(secret.as_bytes())
                .map_err(|_| IdentityError::NotAKey { entry: self.keyring.clone() })?;
            (chain, key)
        } else {
            self.open_pkcs12(bytes, secret, &path)?
        };
        let Some(end_entity) = chain.first() else {
            return Err(unreadable("it holds no certificate".into()));
        };
        let Dates { subject, not_before, not_after } = dates(end_entity).map_err(unreadable)?;
        if now >= not_after.0 {
            return Err(IdentityError::Expired { subject, date: not_after.1 });
        }
        if now < not_before.0 {
            return Err(IdentityError::NotYetValid { subject, date: not_before.1 });
        }
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        match rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider) {
            Ok(_) => Ok(Presented { chain, key, subject }),
            Err(rustls::Error::InconsistentKeys(_)) => Err(IdentityError::KeyMismatch { subject }),
            Err(e) => Err(unreadable(format!("its key cannot be used: {e}"))),
        }
    }

    /// The key and chain of a PKCS#12 file, opened with `passphrase`.
    fn open_pkcs12(
        &self,
        bytes: &[u8],
        passphrase: &str,
        path: &str,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), IdentityError> {
        use p12_keystore::error::Error as P12;
        let store = p12_keystore::KeyStore::from_pkcs12(bytes, passphrase, p12_keystore::Pkcs12ImportPolicy::Strict)
            .map_err(|e| match e {
                P12::MacError(_) | P12::UnpadError | P12::InvalidPrivateKey => {
                    IdentityError::WrongPassphrase { path: path.to_owned(), entry: self.keyring.clone() }
                }
                other => IdentityError::Unreadable {
                    path: path.to_owned(),
                    reason: format!("neither PEM nor a PKCS#12 file that reads ({other})"),
                },
            })?;
        let Some((_, keychain)) = store.private_key_chain() else {
            let reason = "the PKCS#12 file holds no private key with its certificate".to_owned();
            return Err(IdentityError::Unreadable { path: path.to_owned(), reason });
        };
        let chain = keychain.certs().iter().map(|c| CertificateDer::from(c.as_der().to_vec())).collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(keychain.key().as_der().to_vec()));
        Ok((chain, key))
    }
}

/// Whether a certificate file is PEM (else it is taken as PKCS#12).
pub fn is_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN")
}

/// A certificate's subject, and when it starts and stops being valid.
struct Dates {
    subject: String,
    not_before: Moment,
    not_after: Moment,
}

/// An instant, in seconds since the epoch, and as a date for people.
struct Moment(i64, String);

fn dates(der: &CertificateDer<'_>) -> Result<Dates, String> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| format!("its certificate does not read ({e})"))?;
    let validity = cert.validity();
    let at = |t: &x509_parser::time::ASN1Time| Moment(t.timestamp(), t.to_datetime().date().to_string());
    Ok(Dates {
        subject: cert.subject().to_string(),
        not_before: at(&validity.not_before),
        not_after: at(&validity.not_after),
    })
}

/// Builds TLS's client side with `presented` as its certificate.
pub(super) fn with_identity(
    builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
    presented: Option<&Presented>,
) -> Result<rustls::ClientConfig, super::TlsError> {
    match presented {
        Some(p) => builder
            .with_client_auth_cert(p.chain.clone(), p.key.clone_key())
            .map_err(|e| super::TlsError::Setup(e.to_string())),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// What a server's refusal of the client's certificate says, if that is
/// what `error` (or a cause of it) is: a TLS alert the server sent about it.
pub fn refused_in_handshake(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(rustls::Error::AlertReceived(alert)) = e.downcast_ref::<rustls::Error>() {
            return refusal(&format!("{alert:?}"));
        }
        // Over HTTP/2, h2 keeps only the text of the I/O error it wraps, so
        // there the alert is found by rustls's words for it.
        if let Some((_, alert)) = e.to_string().split_once("received fatal alert: ") {
            return refusal(alert.split(|c: char| !c.is_ascii_alphanumeric()).next()?);
        }
        current = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// Why the server refused, by the name of the alert it sent; none for an
/// alert that is not about the client's certificate.
fn refusal(alert: &str) -> Option<String> {
    let why = match alert {
        "CertificateRequired" => "the server asks for a client certificate, and the feed has none",
        "CertificateExpired" => "the server says the client certificate has expired",
        "CertificateRevoked" => "the server says the client certificate was revoked",
        "UnknownCA" => "the server does not trust whoever issued the client certificate",
        "BadCertificate" | "UnsupportedCertificate" | "CertificateUnknown" => {
            "the server refused the client certificate"
        }
        "AccessDenied" => "the server denied this client certificate access",
        _ => return None,
    };
    Some(format!("{why} ({alert}). {FIX}"))
}

/// What to do when the server refuses the identity.
const FIX: &str = "Give the feed the certificate its server expects (client_identity in the feeds file, or the \
                   feed's form)";

/// nginx's pages for `ssl_verify_client`: it finishes the handshake and
/// answers 400 with one of these (its 495 and 496).
const NGINX_PAGES: [(&str, &str); 2] = [
    ("No required SSL certificate was sent", "the server asks for a client certificate, and the feed sent none"),
    ("The SSL certificate error", "the server refused the client certificate (another issuer, expired, or revoked)"),
];

/// What a 400 answer's body says of the client certificate, if it is a
/// front door's refusal of it.
pub fn refused_by_server(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    NGINX_PAGES.iter().find(|(page, _)| text.contains(page)).map(|(_, why)| format!("{why}. {FIX}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecrets;

    #[test]
    fn an_alert_about_the_client_certificate_is_found_typed_or_in_h2s_words() {
        let typed = std::io::Error::other(rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA));
        assert!(refused_in_handshake(&typed).unwrap().starts_with("the server does not trust whoever issued"));
        let worded = std::io::Error::other("connection error: received fatal alert: CertificateRequired");
        assert!(refused_in_handshake(&worded).unwrap().contains("(CertificateRequired)"));
        let other = std::io::Error::other(rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure));
        assert_eq!(refused_in_handshake(&other), None, "not about the client's certificate");
    }

    #[test]
    fn nginx_pages_read_as_refusals_and_other_400s_do_not() {
        let none = b"<html><head><title>400 No required SSL certificate was sent</title></head></html>";
        assert!(refused_by_server(none).unwrap().starts_with("the server asks for a client certificate"));
        let bad = b"<center>The SSL certificate error</center>";
        assert!(refused_by_server(bad).unwrap().contains("refused the client certificate"));
        assert_eq!(refused_by_server(b"<h1>400 Bad Request</h1>"), None);
    }

    #[test]
    fn a_missing_file_or_key_says_which() {
        let secrets = MemorySecrets::default();
        let identity = ClientIdentity { cert: "/nonexistent/ana.pem".into(), keyring: "ana-key".into() };
        let err = identity.load(&secrets, 0).unwrap_err();
        assert!(err.to_string().starts_with("the client certificate /nonexistent/ana.pem: "), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("ana.pem");
        std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let identity = ClientIdentity { cert, keyring: "ana-key".into() };
        let err = identity.load(&secrets, 0).unwrap_err();
        assert!(err.needs_secret(), "{err}");
        secrets.set("ana-key", "not a key").unwrap();
        assert_eq!(identity.load(&secrets, 0).unwrap_err(), IdentityError::NotAKey { entry: "ana-key".into() });
    }
}
