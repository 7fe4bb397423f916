//! Who is calling: an axum extractor, so a route states in its signature
//! whether it reads ([`Reader`]) or writes ([`Writer`]), and a request with
//! a bad token is refused before the route runs.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::error::ApiError;
use crate::hub::Hub;

/// Who is calling: a named actor, or nobody (allowed for reads when configured).
pub(crate) enum Caller {
    Actor(String),
    Anonymous,
}

impl Caller {
    fn identify(hub: &Hub, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(Caller::Anonymous) };
        // The scheme name is case-insensitive (RFC 9110, section 11.1).
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or(ApiError::Unauthorized)?;
        hub.config().actor_for(token.trim()).map(|a| Caller::Actor(a.to_owned())).ok_or(ApiError::Unauthorized)
    }
}

/// A caller allowed to read: known, unless the hub allows anonymous reads.
pub(crate) struct Reader(pub Caller);

/// A caller allowed to write: always a named actor.
pub(crate) struct Writer(pub String);

impl FromRequestParts<Arc<Hub>> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, Self::Rejection> {
        match Caller::identify(hub, &parts.headers)? {
            Caller::Anonymous if !hub.config().anonymous_reads => Err(ApiError::Unauthorized),
            caller => Ok(Reader(caller)),
        }
    }
}

impl FromRequestParts<Arc<Hub>> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, Self::Rejection> {
        match Caller::identify(hub, &parts.headers)? {
            Caller::Actor(name) => Ok(Writer(name)),
            Caller::Anonymous => Err(ApiError::Unauthorized),
        }
    }
}
