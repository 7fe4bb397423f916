//! A stream's `Authorization` when it changes over time: a single sign-on's
//! access token, which expires within minutes and is refreshed. The
//! connection asks for it before every request, and tells which value a
//! 401 refused, so that the source refreshes rather than hand it back.
//! (A fixed secret needs none of this: it is one of the config's headers.)

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use reqwest::header::HeaderValue;

/// Why no `Authorization` could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CredentialsError {
    pub message: String,
    /// Only the user can fix it: they must sign in (again). Otherwise it
    /// is passing (the provider cannot be reached), and is tried again.
    pub needs_sign_in: bool,
}

pub trait Credentials: Send + Sync {
    /// The header for the next request. `refused` is the value a 401 has
    /// just refused: it must not be given again.
    fn authorization(
        &self,
        refused: Option<HeaderValue>,
    ) -> Pin<Box<dyn Future<Output = Result<HeaderValue, CredentialsError>> + Send + '_>>;
}

/// A config's credentials: compared by identity, shown without a secret.
#[derive(Clone)]
pub struct CredentialSource(pub Arc<dyn Credentials>);

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialSource")
    }
}

impl PartialEq for CredentialSource {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
