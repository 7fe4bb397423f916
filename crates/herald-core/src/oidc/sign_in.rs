//! Signing in, two ways, and signing out.
//!
//! - In the app: the authorization code with PKCE, through the system
//!   browser. Herald listens on a loopback port of the system's choosing
//!   for the provider's redirect (`http://127.0.0.1:PORT/callback`, which
//!   RFC 8252 has providers accept on any port), checks the `state`, trades
//!   the code with the PKCE verifier, and checks the ID token's signature
//!   and nonce.
//! - Without a browser here (`herald-cli`): the device grant. Herald shows
//!   an address and a code to enter on any device, and polls the provider
//!   until the user has.
//!
//! Either way the refresh token goes to the keyring, and only there; the
//! access token obtained is dropped (the feed's session gets its own).

use std::time::Duration;

use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreDeviceAuthorizationResponse};
use openidconnect::{
    AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken,
    TokenResponse,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::provider::{judge, Client, OidcError, OidcSettings};
use crate::secrets::Secrets;

/// How long a sign-in waits for the user.
const SIGN_IN_WITHIN: Duration = Duration::from_secs(600);

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The ID token's `name`, else its subject.
    pub who: String,
}

/// What the user is to do for a device sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// Where to go, and the code to enter there.
    pub address: String,
    pub code: String,
    /// The address with the code in it, where the provider gives one.
    pub complete: Option<String>,
}

/// Signs in as `settings` say, through the browser: `open` is given the provider's
/// sign-in page to open, and the redirect comes back to a loopback port.
pub async fn sign_in_with_browser<F: std::future::Future<Output = Result<(), String>>>(
    settings: &OidcSettings,
    http: &reqwest::Client,
    secrets: &std::sync::Arc<dyn Secrets>,
    open: impl FnOnce(String) -> F,
) -> Result<SignedIn, OidcError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| OidcError::SignIn(format!("cannot listen for the provider's answer on loopback: {e}")))?;
    let port = listener.local_addr().map_err(|e| OidcError::SignIn(e.to_string()))?.port();
    let redirect = RedirectUrl::new(format!("http://127.0.0.1:{port}/callback")).expect("a valid URL");
    let client = settings.client(settings.discover(http).await?).set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scopes(settings.scopes())
        // A refresh token for offline access is given only with consent asked.
        .add_prompt(CoreAuthPrompt::Consent)
        .set_pkce_challenge(challenge)
        .url();
    open(url.to_string()).await.map_err(|e| OidcError::SignIn(format!("cannot open the browser: {e}")))?;
    let answer = tokio::time::timeout(SIGN_IN_WITHIN, redirected(&listener, state.secret()))
        .await
        .map_err(|_| OidcError::SignIn(format!("no sign-in within {} minutes", SIGN_IN_WITHIN.as_secs() / 60)))??;
    let tokens = client
        .exchange_code(AuthorizationCode::new(answer))
        .map_err(|e| OidcError::Settings(format!("the identity provider {}: {e}", settings.issuer)))?
        .set_pkce_verifier(verifier)
        .request_async(&super::http::over(http))
        .await
        .map_err(|e| signing_in(judge(&settings.issuer, e)))?;
    let id_token =
        tokens.id_token().ok_or_else(|| OidcError::SignIn(format!("{} sent no ID token", settings.issuer)))?;
    let claims = id_token.claims(&client.id_token_verifier(), &nonce).map_err(|e| invalid(settings, e))?;
    let who = who(claims);
    keep(settings, secrets, tokens.refresh_token()).await?;
    Ok(SignedIn { who })
}

/// Signs in as `settings` say, with the device grant: `show` tells the user where to
/// go and what to enter; this returns once they have, or the code expired.
pub async fn sign_in_on_device(
    settings: &OidcSettings,
    http: &reqwest::Client,
    secrets: &std::sync::Arc<dyn Secrets>,
    show: impl FnOnce(&DeviceCode),
) -> Result<SignedIn, OidcError> {
    let metadata = settings.discover(http).await?;
    let endpoint = metadata.additional_metadata().device_authorization_endpoint.clone().ok_or_else(|| {
        OidcError::Settings(format!("{} offers no device sign-in: sign in from the app", settings.issuer))
    })?;
    let client = settings.client(metadata).set_device_authorization_url(endpoint);
    let http_client = super::http::over(http);
    let details: CoreDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(settings.scopes())
        .request_async(&http_client)
        .await
        .map_err(|e| signing_in(judge(&settings.issuer, e)))?;
    show(&DeviceCode {
        address: details.verification_uri().to_string(),
        code: details.user_code().secret().clone(),
        complete: details.verification_uri_complete().map(|c| c.secret().clone()),
    });
    let tokens = client
        .exchange_device_access_token(&details)
        .map_err(|e| OidcError::Settings(format!("the identity provider {}: {e}", settings.issuer)))?
        .request_async(&http_client, tokio::time::sleep, None)
        .await
        .map_err(|e| match e {
            openidconnect::RequestTokenError::ServerResponse(response) => {
                OidcError::SignIn(format!("{} did not sign you in: {}", settings.issuer, response))
            }
            other => OidcError::Unreachable(format!("{}: {}", settings.issuer, crate::sse::error_chain(&other))),
        })?;
    let who = match tokens.id_token() {
        // No nonce in this grant: the signature, issuer and audience are checked.
        Some(id_token) => who(id_token
            .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
            .map_err(|e| invalid(settings, e))?),
        None => "you".to_owned(),
    };
    keep(settings, secrets, tokens.refresh_token()).await?;
    Ok(SignedIn { who })
}

/// Signs out of `settings`' provider: revokes its refresh token at the provider where it
/// can (RFC 7009), and forgets it. A provider that cannot be reached does
/// not keep the token in the keyring.
pub async fn sign_out(
    settings: &OidcSettings,
    http: &reqwest::Client,
    secrets: &std::sync::Arc<dyn Secrets>,
) -> Result<(), OidcError> {
    let (keyring, entry) = (secrets.clone(), settings.entry.clone());
    let token = crate::blocking::run(move || keyring.get(&entry)).await.ok();
    if let Some(token) = token {
        if let Err(e) = revoke(settings, http, token).await {
            tracing::warn!(issuer = %settings.issuer, error = %e, "could not revoke the refresh token");
        }
    }
    let (keyring, entry) = (secrets.clone(), settings.entry.clone());
    crate::blocking::run(move || keyring.delete(&entry))
        .await
        .map_err(|e| OidcError::Keyring(format!("forgetting the sign-in: {e}")))
}

async fn revoke(settings: &OidcSettings, http: &reqwest::Client, token: String) -> Result<(), String> {
    let metadata = settings.discover(http).await.map_err(|e| e.to_string())?;
    let Some(endpoint) = metadata.additional_metadata().revocation_endpoint.clone() else { return Ok(()) };
    let client: Client = settings.client(metadata);
    let client = client.set_revocation_url(endpoint);
    let request = client.revoke_token(RefreshToken::new(token).into()).map_err(|e| e.to_string())?;
    request.request_async(&super::http::over(http)).await.map_err(|e| crate::sse::error_chain(&e))
}

/// Who an ID token says signed in: their name, else their subject.
fn who(claims: &openidconnect::core::CoreIdTokenClaims) -> String {
    let name = claims.name().and_then(|n| n.get(None)).map(|n| n.to_string());
    name.unwrap_or_else(|| claims.subject().to_string())
}

fn invalid(settings: &OidcSettings, error: impl std::fmt::Display) -> OidcError {
    OidcError::SignIn(format!("the ID token from {} is not valid: {error}", settings.issuer))
}

/// A provider's refusal while signing in is the sign-in's failure.
fn signing_in(error: OidcError) -> OidcError {
    match error {
        OidcError::NeedsSignIn(why) => OidcError::SignIn(why),
        other => other,
    }
}

/// Keeps the refresh token in the keyring.
async fn keep(
    settings: &OidcSettings,
    secrets: &std::sync::Arc<dyn Secrets>,
    refresh: Option<&RefreshToken>,
) -> Result<(), OidcError> {
    let token = refresh.ok_or_else(|| {
        OidcError::SignIn(format!(
            "{} gave no refresh token: its client {:?} must allow refresh tokens and offline_access",
            settings.issuer, settings.client_id
        ))
    })?;
    let (secrets, entry, token) = (secrets.clone(), settings.entry.clone(), token.secret().clone());
    crate::blocking::run(move || secrets.set(&entry, &token))
        .await
        .map_err(|e| OidcError::Keyring(format!("keeping the sign-in's refresh token: {e}")))
}

/// The code of the provider's redirect to `listener` whose state is
/// `state`; the browser is told, in plain text, that it may close the page.
async fn redirected(listener: &TcpListener, state: &str) -> Result<String, OidcError> {
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| OidcError::SignIn(e.to_string()))?;
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        // The request line alone; the rest of the request is not needed.
        let mut reader = BufReader::new(read.take(8192));
        if reader.read_line(&mut line).await.is_err() {
            continue;
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default();
        let Ok(url) = reqwest::Url::parse(&format!("http://127.0.0.1{target}")) else { continue };
        if url.path() != "/callback" {
            let _ = write.write_all(answer(404, "Not found.").as_bytes()).await;
            continue;
        }
        let query = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        if query("state").as_deref() != Some(state) {
            let _ = write.write_all(answer(400, "This is not Herald's sign-in.").as_bytes()).await;
            continue;
        }
        if let Some(error) = query("error") {
            let why = query("error_description").map(|d| format!(": {d}")).unwrap_or_default();
            let _ = write.write_all(answer(200, "Herald was not signed in. You may close this page.").as_bytes()).await;
            return Err(OidcError::SignIn(format!("the provider did not sign you in ({error}){why}")));
        }
        let Some(code) = query("code") else { continue };
        let _ = write.write_all(answer(200, "Herald is signed in. You may close this page.").as_bytes()).await;
        return Ok(code);
    }
}

fn answer(status: u16, text: &str) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n{text}\n",
        text.len() + 1
    )
}
