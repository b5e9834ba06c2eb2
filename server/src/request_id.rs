//! One id per request, in every log line of its span and in the `x-request-id` response
//! header, so a person reporting "it failed" can be matched to the log.
//!
//! A caller's (or a proxy's) `x-request-id` is kept when it is a sane token (1 to 64 of
//! `A-Z a-z 0-9 - _ . :`); anything else is replaced, so a header cannot forge log
//! lines or bloat them.

use crate::edge::Around;
use axum::extract::{MatchedPath, Request};
use http::{HeaderName, HeaderValue};
use rand::RngCore;
use std::convert::Infallible;
use tracing::Span;

/// The header that carries the id, both ways.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, as a request extension.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(HeaderValue);

impl RequestId {
    fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or("-")
    }
}

/// Middleware: picks the id, makes it available to the span, echoes it.
#[derive(Clone, Copy)]
pub(crate) struct AssignId;

impl Around for AssignId {
    type Carry = HeaderValue;
    type Refusal = Infallible;

    fn before(&self, request: &mut Request) -> Result<HeaderValue, Infallible> {
        let id = request
            .headers()
            .get(&X_REQUEST_ID)
            .filter(|v| is_sane(v.as_bytes()))
            .cloned()
            .unwrap_or_else(fresh);
        request.headers_mut().insert(X_REQUEST_ID, id.clone());
        request.extensions_mut().insert(RequestId(id.clone()));
        Ok(id)
    }

    fn after<B>(id: HeaderValue, response: &mut http::Response<B>) {
        response.headers_mut().insert(X_REQUEST_ID, id);
    }
}

/// The span every request runs in: method, route (the matched path, never the raw
/// URI, whose query might carry something private) and request id.
pub(crate) fn span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", MatchedPath::as_str);
    let id = request
        .extensions()
        .get::<RequestId>()
        .map_or("-", RequestId::as_str);
    // The handler fills the empty fields, so the one access line per request (tower's
    // on_response) says everything: no second "minted" line to write and correlate.
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        path = request.uri().path(),
        request_id = id,
        tenant = tracing::field::Empty,
        embedding = tracing::field::Empty,
        request_uri = tracing::field::Empty,
    )
}

fn is_sane(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// 96 random bits as 24 hex digits: unique enough to grep for, short enough to read out.
fn fresh() -> HeaderValue {
    let mut bytes = [0_u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    // By table, not `write!("{byte:02x}")`: the formatting machinery was 3,000
    // instructions a request (`bench/instructions`), this is about 100.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = [0_u8; 24];
    for (pair, byte) in id.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    HeaderValue::from_bytes(&id).unwrap_or(HeaderValue::from_static("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_ids_are_kept() {
        assert!(is_sane(b"abc-123_x.y:z"));
        assert!(!is_sane(b""));
        assert!(!is_sane(&[b'a'; 65]));
        assert!(!is_sane(b"a b"));
        assert!(!is_sane(b"a\"b"));
        let fresh = fresh();
        assert_eq!(fresh.len(), 24);
        assert!(is_sane(fresh.as_bytes()));
    }
}
