//! Who may use the desk's endpoints: the holder of the publisher token, as one extractor
//! (`Publisher`) that a handler takes as an argument, so no handler checks by hand.

use crate::client::{client_ip, rate_key};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The TCP peer's address (a proxy's, behind one), from the connection, never a header.
pub struct Peer(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(Peer(ip))
    }
}

impl AppState {
    /// The client's address: the peer, or behind a trusted proxy what the proxy says.
    pub(crate) fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        client_ip(peer, headers, &self.config().trusted_proxies)
    }
}

/// Proof that the request carries the publisher token (`Authorization: Bearer TOKEN`, the
/// scheme in any case). The right token always passes; wrong ones are limited per address
/// (`FAILED_AUTH_PER_MINUTE`), so that the token cannot be guessed at speed and a stranger
/// behind the same address cannot lock the newsroom out.
pub struct Publisher;

impl FromRequestParts<AppState> for Publisher {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, ApiError> {
        let Some(token) = &s.config().publish_token else {
            return Err(ApiError::NotFound("the desk is off (start with a publish token)"));
        };
        if bearer(&parts.headers).is_some_and(|given| same_secret(given, token)) {
            return Ok(Publisher);
        }
        let Peer(peer) = Peer::from_request_parts(parts, s).await.unwrap_or(Peer(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        let ip = rate_key(s.client(peer, &parts.headers));
        if !s.inner.failed_auth.allow(ip, s.now()) {
            return Err(ApiError::TooMany { retry_after: 60, why: "too many failed attempts from this address; wait a minute" });
        }
        Err(ApiError::Unauthorized)
    }
}

/// The token of an `Authorization: Bearer …` header (RFC 9110, 11.1: the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let (scheme, token) = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares secrets through their digests: no early exit tells how much of a guess was
/// right, nor how long the secret is.
pub fn same_secret(given: &str, secret: &str) -> bool {
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(secret.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole_and_bearer_takes_any_case() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cre", "s3cret") && !same_secret("", "s3cret"));
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, axum::http::HeaderValue::from_static("bEaReR  tok "));
        assert_eq!(bearer(&h), Some("tok"));
        h.insert(axum::http::header::AUTHORIZATION, axum::http::HeaderValue::from_static("Basic tok"));
        assert_eq!(bearer(&h), None);
    }
}
