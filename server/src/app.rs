//! The router: state, routes and layers, assembled once from a validated [`Config`].
//!
//! Layers, outermost first, on every route (those a host merges in too):
//! request id → trace span → `nosniff` → metrics → panic → timeout backstop.
//! The session route adds CORS (when origins are listed) and the origin guard.

use crate::config::{Config, ConfigError};
use crate::embeddings::Embeddings;
use crate::error::AppError;
use crate::metrics::{self, Metrics};
use crate::ops::{self, Readiness};
use crate::origin::{self, OriginPolicy};
use crate::par_client::ParClient;
use crate::rate_limit::RateLimiter;
use crate::request_id;
use crate::session;
use crate::tenant::TenantResolver;
use crate::upstream_gate::UpstreamGate;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use moments_protocol::ErrorCode;
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// What the session handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) par: ParClient,
    pub(crate) embeddings: Arc<Embeddings>,
    pub(crate) tenants: Arc<dyn TenantResolver>,
    pub(crate) body_limit: usize,
    pub(crate) rate_limiter: Option<Arc<RateLimiter>>,
    pub(crate) upstream: Arc<UpstreamGate>,
    pub(crate) upstream_deadline: Duration,
    pub(crate) metrics: Arc<Metrics>,
}

/// The companion's routes, before the shared layers go on.
pub(crate) struct App {
    routes: Router,
    metrics: Arc<Metrics>,
    backstop: Duration,
}

impl App {
    /// Validates `config` and builds the routes. Errors say what to fix.
    pub(crate) fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let metrics = Arc::new(Metrics::new(&config.session_path));
        let par = ParClient::new(&config.par)
            .map_err(|e| ConfigError::new(e.to_string()))?
            .with_metrics(Arc::clone(&metrics));
        let origins = OriginPolicy::new(&config.allowed_origins)?;
        let state = AppState {
            par: par.clone(),
            embeddings: Arc::new(config.embeddings),
            tenants: config.tenants,
            body_limit: config.body_limit,
            rate_limiter: config
                .rate_limit
                .map(|limit| Arc::new(RateLimiter::new(limit, config.client_ip_header))),
            upstream: Arc::new(UpstreamGate::new(
                config.upstream_limit,
                Arc::clone(&metrics),
            )),
            upstream_deadline: config.upstream_deadline,
            metrics: Arc::clone(&metrics),
        };
        let cors = origins.cors();
        let mut session = post(session::create_session)
            .fallback(method_not_allowed)
            .layer(from_fn_with_state(Arc::new(origins), origin::guard));
        if let Some(cors) = cors {
            session = session.layer(cors);
        }
        let mut routes = Router::new()
            .route(&config.session_path, session)
            .with_state(state);
        if let Some(path) = &config.ops.healthz {
            routes = routes.route(path, get(ops::healthz));
        }
        if let Some(path) = &config.ops.readyz {
            let readiness = Arc::new(Readiness::new(par));
            routes = routes.merge(
                Router::new()
                    .route(path, get(ops::readyz))
                    .with_state(readiness),
            );
        }
        if let Some(path) = &config.ops.metrics {
            let metrics = Arc::clone(&metrics);
            routes = routes.merge(
                Router::new()
                    .route(path, get(ops::metrics))
                    .with_state(metrics),
            );
        }
        // Past the handler's own deadlines (queue, upstream, body): only a stuck
        // connection gets here.
        let backstop =
            config.upstream_limit.queue_timeout + config.upstream_deadline + Duration::from_secs(5);
        Ok(Self {
            routes,
            metrics,
            backstop: backstop.max(Duration::from_secs(30)),
        })
    }

    /// The routes plus `extra` (static files, the sandbox's admin API), all under the
    /// shared layers.
    pub(crate) fn into_router(self, extra: Router) -> Router {
        let layers = ServiceBuilder::new()
            .layer(from_fn(request_id::assign))
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
            .layer(from_fn_with_state(self.metrics, metrics::track))
            .layer(CatchPanicLayer::custom(panicked))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                self.backstop,
            ));
        self.routes.merge(extra).layer(layers)
    }
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
