//! An OpenID provider as its discovery document describes it, and Herald
//! as a public client of it (no secret: PKCE stands in).

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreErrorResponseType,
    CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, ClientId, DeviceAuthorizationUrl, IssuerUrl, ProviderMetadata, RequestTokenError,
    RevocationUrl, Scope,
};
use serde::{Deserialize, Serialize};

/// What goes wrong signing in or refreshing, said for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// The feed is not set up for single sign-on, or its settings are wrong.
    #[error("{0}")]
    Settings(String),
    /// The provider cannot be reached or answered nonsense: passing.
    #[error("{0}")]
    Unreachable(String),
    /// Only the user can fix it: sign in (again).
    #[error("{0}")]
    NeedsSignIn(String),
    /// The sign-in itself failed: refused, abandoned or timed out.
    #[error("{0}")]
    SignIn(String),
    /// The keyring could not keep or give the refresh token.
    #[error("{0}")]
    Keyring(String),
}

/// The endpoints a provider may add to the standard's document.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(super) struct MoreEndpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<RevocationUrl>,
}

impl AdditionalProviderMetadata for MoreEndpoints {}

pub(super) type Metadata = ProviderMetadata<
    MoreEndpoints,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// A feed's single sign-on, as its `auth` says it (see
/// `Feed::sign_in`), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    /// Asked for besides `openid` (which the crate adds) and `offline_access`.
    pub scopes: Vec<String>,
    /// The keyring entry of the refresh token.
    pub entry: String,
}

impl OidcSettings {
    /// Every scope asked for: `offline_access` (for a refresh token) and the
    /// feed's own.
    pub(super) fn scopes(&self) -> impl Iterator<Item = Scope> + '_ {
        std::iter::once("offline_access")
            .chain(self.scopes.iter().map(String::as_str).filter(|s| *s != "offline_access" && *s != "openid"))
            .map(|s| Scope::new(s.to_owned()))
    }

    /// The provider's document, from its `.well-known/openid-configuration`.
    pub(super) async fn discover(&self, http: &reqwest::Client) -> Result<Metadata, OidcError> {
        let issuer = IssuerUrl::new(self.issuer.clone()).map_err(|e| OidcError::Settings(format!("issuer: {e}")))?;
        Metadata::discover_async(issuer, &super::http::over(http)).await.map_err(|e| {
            OidcError::Unreachable(format!(
                "the identity provider {} cannot be read: {}",
                self.issuer,
                crate::sse::error_chain(&e)
            ))
        })
    }

    pub(super) fn client(&self, metadata: Metadata) -> Client {
        CoreClient::from_provider_metadata(metadata, ClientId::new(self.client_id.clone()), None)
    }
}

/// Herald at the provider, as discovery sets it up: the authorization
/// endpoint set, the token and user-info ones as the document says.
pub(super) type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// What a failed token request means: the provider's refusal of the grant
/// is the user's to fix by signing in; anything else passes.
pub(super) fn judge<E: std::error::Error + 'static>(
    issuer: &str,
    error: RequestTokenError<E, openidconnect::StandardErrorResponse<CoreErrorResponseType>>,
) -> OidcError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let why = response.error_description().map(|d| format!(": {d}")).unwrap_or_default();
            match response.error() {
                CoreErrorResponseType::InvalidGrant => OidcError::NeedsSignIn(format!(
                    "the sign-in at {issuer} has expired or was revoked{why}: sign in again"
                )),
                other => OidcError::NeedsSignIn(format!("{issuer} refused Herald's sign-in ({}){why}", other.as_ref())),
            }
        }
        other => OidcError::Unreachable(format!("the identity provider {issuer}: {}", crate::sse::error_chain(&other))),
    }
}
