//! `--client-cert` and `--client-key`: a client certificate (mutual TLS)
//! for `tail` and `feeds add`. The certificate stays a file; what unlocks it
//! (a PEM key's contents, or a PKCS#12 file's passphrase) is what the
//! keyring keeps, and what this reads.

use std::path::Path;

/// Whether `cert` is a PEM file (else it is taken as PKCS#12).
fn is_pem(cert: &Path) -> Result<bool, String> {
    let bytes = std::fs::read(cert).map_err(|e| format!("--client-cert {}: {e}", cert.display()))?;
    Ok(herald_core::tls::is_pem(&bytes))
}

/// What unlocks the certificate: the contents of `key` for a PEM
/// certificate, or, for a PKCS#12 file, its passphrase from one line of
/// standard input.
pub fn secret_for(cert: &Path, key: Option<&Path>) -> Result<String, String> {
    match (is_pem(cert)?, key) {
        (true, Some(key)) => std::fs::read_to_string(key).map_err(|e| format!("--client-key {}: {e}", key.display())),
        (true, None) => Err(format!(
            "--client-cert {} is a PEM certificate: give its private key with --client-key FILE",
            cert.display()
        )),
        (false, Some(_)) => Err(format!(
            "--client-cert {} is a PKCS#12 file, which holds its key: leave out --client-key, and pipe its \
             passphrase in on standard input",
            cert.display()
        )),
        (false, None) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the passphrase: {e}"))?;
            Ok(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    }
}
