//! The router: the session route, the operations routes and the layers every one of
//! them has, around a [`SessionService`].
//!
//! Layers, outermost first, on every route (those a host merges in too):
//! request id → trace span → `nosniff` → metrics → panic → timeout backstop.
//! The session route adds CORS (when origins are listed) and the origin guard.

use crate::error::AppError;
use crate::metrics;
use crate::ops::{self, Readiness};
use crate::origin;
use crate::request_id::{self, FreshId, X_REQUEST_ID};
use crate::service::SessionService;
use crate::session;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use moments_protocol::ErrorCode;
use std::any::Any;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

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
/// the layers above. Every route carries its own state, so the result is a `Router<S>`
/// for any `S`: it merges into a host's router whatever state that has.
pub(crate) fn router<S: Clone + Send + Sync + 'static>(
    service: &SessionService,
    extra: Router<S>,
) -> Router<S> {
    let state = &service.0;
    let routes = &state.routes;
    // The other methods get a 405 of ours, behind the same guard as POST.
    let session = Router::new()
        .route(
            &routes.session_path,
            post(session::create_session).fallback(method_not_allowed),
        )
        .route_layer(
            ServiceBuilder::new()
                .option_layer(state.origins.cors())
                .layer(from_fn_with_state(
                    Arc::clone(&state.origins),
                    origin::guard,
                )),
        )
        .with_state(service.clone());
    let mut ops = Router::new();
    if let Some(path) = &routes.ops.healthz {
        ops = ops.route(path, get(ops::healthz));
    }
    if let Some(path) = &routes.ops.readyz {
        let readiness = Arc::new(Readiness::new(
            state.par.clone(),
            state.rate_limiter.clone(),
        ));
        ops = ops.route(path, get(ops::readyz).with_state(readiness));
    }
    if let Some(path) = &routes.ops.metrics {
        ops = ops.route(
            path,
            get(ops::metrics).with_state(Arc::clone(&state.metrics)),
        );
    }
    let layers = ServiceBuilder::new()
        .map_request(request_id::assign)
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, FreshId))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_id::span)
                .on_response(request_id::access_line())
                // Failures are logged where they happen, with what to do about them.
                .on_failure(()),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(from_fn_with_state(
            Arc::clone(&state.metrics),
            metrics::track,
        ))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            routes.backstop,
        ));
    // `Router::layer` also wraps the fallback: a 404 gets a request id and its access
    // line too.
    session.merge(ops).merge(extra).layer(layers)
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
    AppError::internal().into_response()
}
