//! The router: the session route, the operations routes and the shared layers, around a
//! [`SessionService`].
//!
//! Layers, outermost first, on every route (those a host merges in too):
//! request id → trace span → `nosniff` → metrics → panic → timeout backstop.
//! The session route adds CORS (when origins are listed) and the origin guard.

use crate::edge::AroundLayer;
use crate::error::AppError;
use crate::metrics;
use crate::ops::{self, Readiness};
use crate::origin;
use crate::request_id;
use crate::service::SessionService;
use crate::session;
use axum::Router;
use axum::handler::Handler as _;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post_service};
use moments_protocol::ErrorCode;
use std::any::Any;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

impl SessionService {
    /// The session endpoint (and the operations routes the config turns on) as a
    /// `Router` to serve or merge, with its layers: request ids, a trace span per
    /// request, metrics, a timeout backstop. It has no state left to provide, so it
    /// merges into a `Router<S>` of any state, before or after `with_state`.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        router(self, Router::new())
    }
}

/// The service's routes plus `extra` (static files, the sandbox's admin API), all under
/// the shared layers. Every route carries its own state, so the result is a `Router<S>`
/// for any `S`: it merges into a host's router whatever state that has.
pub(crate) fn router<S: Clone + Send + Sync + 'static>(
    service: &SessionService,
    extra: Router<S>,
) -> Router<S> {
    let routes = Arc::clone(&service.0.routes);
    let metrics = Arc::clone(&service.0.metrics);
    let layers = ServiceBuilder::new()
        .layer(AroundLayer(request_id::AssignId))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_id::span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // Failures are logged where they happen, with what to do about them.
                .on_failure(()),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(AroundLayer(metrics::Track(Arc::clone(&metrics))))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            routes.backstop,
        ));
    // The session route: the shared layers, then CORS and the origin guard, around the
    // handler and around the other methods' 405, composed into one service each. Added
    // by `Router::layer` and `MethodRouter::layer` instead, each would be a boxed route
    // of its own, which every request clones and whose future it boxes: two of each per
    // request more (`bench/instructions`: about 1,600 instructions).
    let around = layers
        .clone()
        .option_layer(service.0.origins.cors())
        .layer(AroundLayer(origin::Guard(Arc::clone(&service.0.origins))));
    let session = post_service(
        around
            .clone()
            .service(session::create_session.with_state(service.clone())),
    )
    .fallback_service(around.service(method_not_allowed.with_state(())));
    // The other routes, and the fallback (a 404 gets a request id and its access line
    // too), under the same layers.
    let mut others = Router::new();
    if let Some(path) = &routes.ops.healthz {
        others = others.route(path, get(ops::healthz));
    }
    if let Some(path) = &routes.ops.readyz {
        let readiness = Arc::new(Readiness::new(
            service.0.par.clone(),
            service.0.rate_limiter.clone(),
        ));
        others = others.route(path, get(ops::readyz).with_state(readiness));
    }
    if let Some(path) = &routes.ops.metrics {
        others = others.route(path, get(ops::metrics).with_state(metrics));
    }
    others
        .merge(extra)
        .layer(layers)
        .route(&routes.session_path, session)
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        "This endpoint only answers POST.",
    )
}

/// A bug: the person gets a plain 500, the log gets the panic (by the panic hook).
fn panicked(_: Box<dyn Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a request handler panicked; answering 500");
    AppError::new(
        ErrorCode::Internal,
        "Something went wrong on the server. Please try again later.",
    )
    .into_response()
}
