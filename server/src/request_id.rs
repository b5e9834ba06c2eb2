//! One id per request, in every log line of its span and in the `x-request-id` response
//! header, so a person reporting "it failed" can be matched to the log; and the span and
//! access line every session request gets, through either transport.
//!
//! tower-http's request-id layers carry the id over REST; this module decides what an id
//! may be. A caller's (or a proxy's) `x-request-id` is kept when it is a sane token (1 to
//! 64 of `A-Z a-z 0-9 - _ . :`); anything else is replaced, so a header cannot forge log
//! lines or bloat them. A Leptos server function ([`crate::leptos`]) has no layers
//! around it, so it takes the same id, span and access line from here by hand.

use axum::extract::{MatchedPath, Request};
use http::{HeaderMap, HeaderName, HeaderValue};
use tower_http::request_id::{MakeRequestId, RequestId};
use tower_http::trace::DefaultOnResponse;
use tracing::{Level, Span};

/// The header that carries the id, both ways.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request with these headers: the caller's `x-request-id` when it is a sane
/// token, else a fresh one.
pub(crate) fn of(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(&X_REQUEST_ID)
        .filter(|id| is_sane(id.as_bytes()))
        .cloned()
        .unwrap_or_else(fresh)
}

/// Gives a request its id ([`of`]) in its `x-request-id`, which `SetRequestIdLayer` then
/// records for the span and `PropagateRequestIdLayer` echoes in the answer.
pub(crate) fn assign(mut request: Request) -> Request {
    let id = of(request.headers());
    request.headers_mut().insert(X_REQUEST_ID, id);
    request
}

/// Makes the id of a request that reaches `SetRequestIdLayer` without one (none does
/// after [`assign`]; the layer needs a maker all the same).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FreshId;

impl MakeRequestId for FreshId {
    fn make_request_id<B>(&mut self, request: &http::Request<B>) -> Option<RequestId> {
        Some(RequestId::new(of(request.headers())))
    }
}

/// 96 random bits as 24 hex digits: unique enough to grep for, short enough to read out.
fn fresh() -> HeaderValue {
    let id = format!("{:024x}", rand::random::<u128>() >> 32);
    // Hex digits are always a valid header value; the fallback is never taken.
    HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("-"))
}

/// The span of a request through the router: the matched path as its route (`-` when
/// none matched), and the id `SetRequestIdLayer` recorded.
pub(crate) fn span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", MatchedPath::as_str);
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    span_for(request.method().as_str(), route, request.uri().path(), id)
}

/// The span every session request runs in, whichever transport: method, route (the
/// matched route pattern or `-`, never the raw URI, whose query might carry something
/// private), path and request id, and the fields the handler fills in once it knows them.
pub(crate) fn span_for(method: &str, route: &str, path: &str, request_id: &str) -> Span {
    // The handler fills the empty fields, so the one access line per request (tower's
    // on_response) says everything: no second "minted" line to write and correlate.
    // The method, the route (a pattern of ours, never the request's own path) and the id
    // (checked by `of`) are tokens, written bare so a log can be searched for them; the
    // path is quoted, since it can hold anything.
    tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        path,
        request_id = %request_id,
        tenant = tracing::field::Empty,
        embedding = tracing::field::Empty,
        request_uri = tracing::field::Empty,
    )
}

/// The one access line per request, written in its span when the answer is ready: the
/// router's `TraceLayer` writes it, and a server function writes the very same event.
pub(crate) fn access_line() -> DefaultOnResponse {
    DefaultOnResponse::new().level(Level::INFO)
}

fn is_sane(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
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
        let request = http::Request::new(());
        let fresh = FreshId.make_request_id(&request).unwrap();
        let fresh = fresh.header_value();
        assert_eq!(fresh.len(), 24);
        assert!(is_sane(fresh.as_bytes()));

        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("lb-7f3a:01"));
        assert_eq!(of(&headers), "lb-7f3a:01");
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("a b"));
        let replaced = of(&headers);
        assert!(replaced != "a b" && replaced.len() == 24, "{replaced:?}");
    }
}
