//! Trusting a feed's own certificate, for servers with a self-signed one.
//!
//! A feed may name extra trusted certificates (PEM). Each is used two ways:
//! - as a root, so a server whose chain leads to it is verified as usual,
//!   with its name checked;
//! - as a pin: a server presenting exactly that certificate is trusted.
//!
//! Why the pin: most self-signed certificates come from a plain
//! `openssl req -x509`, which marks them CA:TRUE, and WebPKI refuses a CA
//! certificate as a server's own even when it is a trusted root. The user
//! who hands Herald that very certificate has decided to trust it, as with an
//! SSH host key, so Herald compares it byte for byte instead (the TLS
//! handshake still proves the server holds its private key).
//!
//! Everything else goes to the platform's verifier, and a refusal says which
//! certificate was refused (by SHA-256) and how to trust it.
//!
//! A feed may also present a certificate of its own ([`identity`]).

mod identity;

pub use identity::{is_pem, refused_by_server, refused_in_handshake, ClientIdentity, IdentityError, Presented};

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the CA certificate file holds no PEM certificate")]
    NoCertificate,
    #[error("the CA certificate file is not valid PEM: {0}")]
    BadPem(String),
    #[error("TLS cannot be set up: {0}")]
    Setup(String),
}

/// Certificates a feed trusts beyond the system's roots.
#[derive(Clone, Default)]
pub struct ExtraTrust {
    certs: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for ExtraTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.certs.iter().map(|c| fingerprint(c))).finish()
    }
}

impl ExtraTrust {
    /// Nothing beyond the system's roots.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The certificates of a PEM file; anything in it besides certificates is ignored.
    pub fn from_pem(pem: &[u8]) -> Result<ExtraTrust, TlsError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::BadPem(e.to_string()))?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        Ok(ExtraTrust { certs })
    }

    /// The SHA-256 fingerprints of the certificates, as `AB:CD:…`.
    pub fn fingerprints(&self) -> Vec<String> {
        self.certs.iter().map(|c| fingerprint(c)).collect()
    }
}

/// A rustls client configuration that trusts the system's roots plus `extra`,
/// offering HTTP/2 and HTTP/1.1 by ALPN, and presenting `identity` when a
/// server asks for a client certificate.
pub fn client_config(extra: &ExtraTrust, identity: Option<&Presented>) -> Result<rustls::ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let platform = rustls_platform_verifier::Verifier::new_with_extra_roots(extra.certs.clone(), provider.clone())
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    let verifier =
        PinnedOrVerified { pinned: extra.certs.clone(), platform: Arc::new(platform), provider: provider.clone() };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = identity::with_identity(builder, identity)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// `AB:CD:…`, the way browsers and `openssl x509 -fingerprint -sha256` show it.
pub fn fingerprint(cert: &[u8]) -> String {
    let digest = Sha256::digest(cert);
    digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

#[derive(Debug)]
struct PinnedOrVerified {
    pinned: Vec<CertificateDer<'static>>,
    platform: Arc<dyn ServerCertVerifier>,
    provider: Arc<CryptoProvider>,
}

/// Why a server's certificate was refused, and what to do about it.
#[derive(Debug)]
struct Untrusted {
    fingerprint: String,
    /// The certificate itself (DER), so that a user who compared its
    /// fingerprint can trust exactly it.
    certificate: Vec<u8>,
    reason: rustls::Error,
}

/// A server certificate that was refused: what it is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// SHA-256, as `openssl x509 -fingerprint -sha256` prints it.
    pub fingerprint: String,
    pub der: Vec<u8>,
    /// What to tell the user.
    pub message: String,
}

/// `der` as a PEM certificate, to be saved as a feed's CA certificate.
pub fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|l| std::str::from_utf8(l).unwrap_or_default()).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let debug = format!("{:?}", self.reason);
        let why = match &self.reason {
            _ if debug.contains("CaUsedAsEndEntity") => {
                "it is a CA certificate used as the server's own, as a plain `openssl req -x509` makes".to_owned()
            }
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                "no trusted authority signed it (it may be self-signed)".to_owned()
            }
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
            | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
                "it is not valid for this server's name".to_owned()
            }
            other => other.to_string(),
        };
        write!(
            f,
            "the server's certificate (SHA-256 {}) is not trusted: {why}. If this server is yours, save its \
             certificate as PEM and give it as the feed's CA certificate (herald-cli: --ca-cert FILE); \
             Herald will then trust exactly that certificate",
            self.fingerprint
        )
    }
}

impl std::error::Error for Untrusted {}

impl ServerCertVerifier for PinnedOrVerified {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pinned.iter().any(|pin| pin.as_ref() == end_entity.as_ref()) {
            return Ok(ServerCertVerified::assertion());
        }
        self.platform.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now).map_err(|reason| {
            let untrusted =
                Untrusted { fingerprint: fingerprint(end_entity), certificate: end_entity.to_vec(), reason };
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(untrusted))))
        })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// If an error (or any of its causes) is a refused certificate, which no
/// retry will fix, what to tell the user about it.
pub fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    refusal(error).map(|(problem, _)| problem)
}

/// The certificate a server presented and Herald refused, if that is what
/// `error` (or any of its causes) is: for "Trust this certificate".
pub fn refused_certificate(error: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let (message, untrusted) = refusal(error)?;
    let untrusted = untrusted?;
    Some(Refused { fingerprint: untrusted.fingerprint.clone(), der: untrusted.certificate.clone(), message })
}

fn refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<(String, Option<&'a Untrusted>)> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(rustls::Error::InvalidCertificate(problem)) = e.downcast_ref::<rustls::Error>() {
            return Some(match problem {
                CertificateError::Other(OtherError(other)) => match other.downcast_ref::<Untrusted>() {
                    Some(untrusted) => (untrusted.to_string(), Some(untrusted)),
                    None => (format!("the server's certificate is not trusted: {other}"), None),
                },
                problem => (format!("the server's certificate is not trusted: {problem}"), None),
            });
        }
        // An I/O error's `source` skips the error it wraps, which is where TLS puts its own.
        current = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_clearly() {
        assert!(matches!(ExtraTrust::from_pem(b"not a certificate"), Err(TlsError::NoCertificate)));
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(ExtraTrust::from_pem(broken), Err(TlsError::BadPem(_))));
    }

    #[test]
    fn a_certificate_is_written_as_pem_that_reads_back() {
        let der: Vec<u8> = (0..=255).collect();
        let text = pem(&der);
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n") && text.lines().all(|l| l.len() <= 64));
        let back = CertificateDer::pem_slice_iter(text.as_bytes()).next().unwrap().unwrap();
        assert_eq!(back.as_ref(), der.as_slice());
    }

    #[test]
    fn fingerprints_read_like_openssl() {
        assert_eq!(
            fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }
}
