//! `GET /authorize?request_uri=…` (Moments) and `GET /answers/authorize?request_uri=…`
//! (Answers): spends a request URI and starts a frame session.
//!
//! Single use and expiring, per RFC 9126: an unknown, reused or expired URI gets a
//! clear error page and a `moments:error` frame message; so does a URI minted for the
//! other product (reason `unknown`, and the message says which product it was for), and
//! it is spent all the same. A valid one redirects to the tenant's app (the wizard, or
//! the chatbot builder), so reloading the frame keeps the session and never replays the
//! URI.

use crate::AppState;
use crate::frame_app::FrameApp;
use crate::pages::{self, escape};
use crate::storage_access;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use moments_protocol::Product;
use moments_protocol::frame::AuthorizeFailure;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub(crate) struct AuthorizeQuery {
    request_uri: Option<String>,
}

/// `GET /authorize`: Moments' authorize, into the Campaign wizard.
pub(crate) async fn moments(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    authorize(Product::Moments, &state, &headers, query)
}

/// `GET /answers/authorize`: Answers' authorize, into the chatbot builder.
pub(crate) async fn answers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    authorize(Product::Answers, &state, &headers, query)
}

/// Spends the URI in `query` in `product`'s frame: its app, or the page saying why not.
fn authorize(
    product: Product,
    state: &AppState,
    headers: &HeaderMap,
    query: AuthorizeQuery,
) -> Response {
    let host_origin = host_origin(headers);
    let silent = state.store().settings.silent_frame;
    let Some(request_uri) = query.request_uri.filter(|u| !u.is_empty()) else {
        return refused(
            AuthorizeFailure::Unknown,
            host_origin.as_deref(),
            silent,
            "The link has no request_uri.",
        );
    };
    let outcome = state
        .store()
        .authorize(product, &request_uri, host_origin.clone());
    let short = moments_protocol::fingerprint(&request_uri);
    match outcome {
        Ok((session_id, session)) => {
            tracing::info!(request_uri = %short, %product, "sandbox authorize: session started");
            let app = FrameApp::of(product);
            let mut response = Redirect::to(&app.url(&session_id, "")).into_response();
            if session.cookie {
                storage_access::set_cookie(app, &mut response, &session_id);
            }
            response
        }
        Err(refusal) => {
            let reason = refusal.reason;
            tracing::info!(
                request_uri = %short,
                reason = reason.as_str(),
                minted_for = refusal.minted_for.map(Product::as_str),
                %product,
                "sandbox authorize: refused"
            );
            let detail = match (refusal.minted_for, reason) {
                (Some(minted_for), _) => format!(
                    "This request_uri was minted for {}, not {}: it opens the {} frame only. Ask your backend for a new one, from an embedding that opens {}.",
                    minted_for.label(),
                    product.label(),
                    minted_for.label(),
                    product.label(),
                ),
                (None, AuthorizeFailure::Unknown) => {
                    "This request_uri was never issued by this account.".to_owned()
                }
                (None, AuthorizeFailure::Reused) => {
                    "This request_uri was already used. Each one opens the frame once; ask your backend for a new one.".to_owned()
                }
                (None, AuthorizeFailure::Expired) => {
                    "This request_uri expired before the frame opened. Ask your backend for a new one.".to_owned()
                }
            };
            refused(reason, host_origin.as_deref(), silent, &detail)
        }
    }
}

fn refused(
    reason: AuthorizeFailure,
    host_origin: Option<&str>,
    silent: bool,
    detail: &str,
) -> Response {
    let body = format!(
        r#"<main><div class="notice"><h1>This link cannot be opened</h1>
<p>{detail}</p><p>Error <code>invalid_request_uri</code> ({reason}).</p></div></main>"#,
        detail = escape(detail),
        reason = reason.as_str(),
    );
    let config = json!({
        "hostOrigin": host_origin,
        "messages": pages::message_types(),
        "silent": silent,
        "error": { "reason": reason.as_str(), "message": detail },
    });
    pages::page(StatusCode::BAD_REQUEST, "Cannot open", &body, &config)
}

/// The embedding page's origin, from `Referer` (a cross-origin frame navigation sends
/// the origin by default). Only http(s) origins count; anything else means "unknown",
/// and the page then falls back to `location.ancestorOrigins` in the browser.
pub(crate) fn host_origin(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn host_origin_is_the_referers_origin() {
        let mut headers = HeaderMap::new();
        assert_eq!(host_origin(&headers), None);
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:8080/some/page?x=1"),
        );
        assert_eq!(
            host_origin(&headers).as_deref(),
            Some("http://127.0.0.1:8080")
        );
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("javascript:alert(1)"),
        );
        assert_eq!(host_origin(&headers), None);
    }
}
