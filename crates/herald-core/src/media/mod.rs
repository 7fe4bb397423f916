//! Pictures a message points at (ntfy's attachment and icon), fetched on
//! Herald's terms and kept in a bounded cache.
//!
//! The URL comes from an untrusted payload, so the fetch is bounded in
//! every way: http(s) only, at every redirect too (a redirect to `file:`
//! is refused, not followed), a few redirects at most, a size cap (5 MB
//! by default) checked against what the sender claims, what the server
//! says, and what actually arrives, and a type sniffed from the bytes: only
//! the images a notification server and the window can show are kept, and
//! one that claims to be an image but is not is refused, saying so.
//!
//! What was refused is a [`Refusal`], which the window shows as what
//! happened; it never raises a popup.
//!
//! - [`fetch`]: one bounded download;
//! - [`cache`]: the files it keeps, by URL, within a size budget.

mod cache;
mod fetch;

pub use cache::{Cached, MediaCache, CACHE_BYTES};
pub use fetch::{fetch, Fetched, Limits, Refusal, MAX_BYTES, MAX_REDIRECTS};

/// The kinds of picture Herald keeps: what notification servers and the
/// webview both show.
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
