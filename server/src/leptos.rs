//! A Leptos server function's way to a session (the `leptos` feature):
//! [`create_session`], answered and logged as the REST endpoint is.
//!
//! A server function runs inside leptos_axum's handler, outside the companion's router
//! and its layers, so this module gives each call by hand what those layers give a
//! REST call, from the same parts: the request id (`request_id::of`), the request span
//! (`request_id::span_for`), the status and headers of the answer, the access line
//! (tower-http's own `DefaultOnResponse`) and the request counts (`Metrics::answered`).
//! The checks are [`SessionService::create`]'s, which are the endpoint's.

use crate::error::AppError;
use crate::request_id::{self, X_REQUEST_ID};
use crate::service::SessionService;
use crate::session;
use ::leptos::context::use_context;
use axum::extract::MatchedPath;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use leptos_axum::ResponseOptions;
use moments_protocol::{SessionFailure, SessionGrant, SessionRequest};
use std::time::Instant;
use tower_http::trace::OnResponse;
use tracing::Instrument;

/// Mints a session for the body of a Leptos server function, with the checks, refusals,
/// headers, access line and counts of the REST endpoint.
///
/// It takes the [`SessionService`] from the Leptos context (provide it with
/// `leptos_routes_with_context`) and the request's parts from leptos_axum. The answer's
/// status is the REST endpoint's for the same refusal (`403`, `429`, `502`, … rather
/// than a server function's `500`), with the same `Retry-After`, `Cache-Control`,
/// `X-Content-Type-Options` and `X-Request-Id` (the caller's when it is a sane token, as
/// over REST). The call is logged in a span like a REST request's, its route the server
/// function's path, and ends with the same access line; it is counted in `/metrics`
/// under that route.
///
/// ## Usage
/// ```no_run
/// use moments_par::{Config, SessionFailure, SessionService};
/// use moments_protocol::{SessionGrant, SessionRequest};
///
/// /// The body of the app's `#[server]` function, whose error type converts from a
/// /// `SessionFailure` (moments-embed's `SessionFnError` does): `Ok(create_session(asked).await?)`.
/// async fn moments_session(asked: SessionRequest) -> Result<SessionGrant, SessionFailure> {
///     moments_par::leptos::create_session(asked).await
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // On the server: one service for the REST endpoint (`service.router()`) and the server
/// // functions, given to them by `leptos_routes_with_context(&options, routes, context, shell)`.
/// let service = SessionService::new(Config::from_env()?)?;
/// let context = {
///     let service = service.clone();
///     move || leptos::context::provide_context(service.clone())
/// };
/// # let _ = (context, moments_session);
/// # Ok(()) }
/// ```
/// The full-stack example (`examples/fullstack` in the repository) is the whole of it.
pub async fn create_session(asked: SessionRequest) -> Result<SessionGrant, SessionFailure> {
    let started = Instant::now();
    let response = use_context::<ResponseOptions>();
    let service = use_context::<SessionService>();
    let parts = match leptos_axum::extract::<Parts>().await {
        Ok(parts) => parts,
        Err(error) => {
            tracing::error!(
                %error,
                "moments_par::leptos::create_session found no request in the Leptos context: call it from a server function served by leptos_axum"
            );
            return Err(AppError::internal().into());
        }
    };
    let id = request_id::of(&parts.headers);
    // The server function's path, as leptos_axum routes it; as over REST, `-` in the log
    // and `other` in the metrics for a request no route matched.
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let span = request_id::span_for(
        parts.method.as_str(),
        route.unwrap_or("-"),
        parts.uri.path(),
        id.to_str().unwrap_or("-"),
    );
    let outcome = match &service {
        Some(service) => service.create(&parts, asked).instrument(span.clone()).await,
        None => {
            span.in_scope(|| {
                tracing::error!(
                    "no SessionService in the Leptos context: provide it to the server functions with leptos_routes_with_context(.., move || provide_context(service.clone()), ..)"
                );
            });
            Err(AppError::internal())
        }
    };
    let (status, mut headers) = match &outcome {
        Ok(_) => (StatusCode::OK, session::grant_headers()),
        Err(refusal) => (refusal.status(), refusal.headers()),
    };
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(X_REQUEST_ID, id);
    match &response {
        Some(response) => answer(response, status, &headers),
        None => span.in_scope(|| {
            tracing::warn!(
                "no leptos_axum ResponseOptions in the Leptos context: the answer keeps the server function's own status and headers"
            );
        }),
    }
    if let Some(service) = &service {
        service.0.metrics.answered(
            route.unwrap_or("other"),
            status.as_u16(),
            Some(started.elapsed()),
        );
    }
    let mut access = http::Response::new(());
    *access.status_mut() = status;
    span.in_scope(|| request_id::access_line().on_response(&access, started.elapsed(), &span));
    outcome.map_err(SessionFailure::from)
}

/// Sets the status (a refusal's; a grant keeps leptos' `200`) and the headers of the
/// server function's answer.
fn answer(response: &ResponseOptions, status: StatusCode, headers: &HeaderMap) {
    if status != StatusCode::OK {
        response.set_status(status);
    }
    for (name, value) in headers {
        response.insert_header(name.clone(), value.clone());
    }
}
