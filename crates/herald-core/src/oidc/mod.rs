//! Single sign-on with an OpenID provider, for a feed whose server takes
//! the provider's access tokens (`auth = { scheme = "oidc", issuer,
//! client_id, scopes }`).
//!
//! - **Signing in** gets a refresh token, which goes to the keyring and
//!   nowhere else: in the app by the authorization code with PKCE through
//!   the system browser and a loopback redirect, as RFC 8252 asks of native
//!   apps ([`sign_in_with_browser`]); in `herald-cli` by the device grant
//!   of RFC 8628, which prints an address and a code ([`sign_in_on_device`]).
//! - **Following** the feed, a [`Session`] trades the refresh token for
//!   access tokens, kept only in memory, and refreshes each shortly before
//!   it expires, and at once when a server refuses one (a 401 in the middle
//!   of a stream). The stream then resumes with `Last-Event-ID`. A refresh
//!   token that the provider no longer takes (revoked, or expired) stops
//!   the feed as needing the user to sign in again.
//! - **Signing out** revokes the refresh token at the provider where it has
//!   a revocation endpoint, and forgets it ([`sign_out`]).
//!
//! All of OAuth and OpenID Connect here is the `openidconnect` crate's:
//! discovery from the issuer's `.well-known/openid-configuration`, PKCE,
//! the grants, and the ID token's signature and nonce. Its requests go
//! through the feed's own HTTP client (its trust, proxy and identity).

mod http;
mod provider;
mod session;
mod sign_in;

pub use provider::{OidcError, OidcSettings};
pub use session::Session;
pub use sign_in::{sign_in_on_device, sign_in_with_browser, sign_out, DeviceCode, SignedIn};
