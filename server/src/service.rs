//! [`SessionService`]: the one server-side way to a Moments session.
//!
//! The REST endpoint ([`SessionService::router`]) and a Leptos server function
//! ([`SessionService::create`]) both go through it, so what they check cannot differ:
//! the origin (a CSRF defence), who is asking (the [`TenantResolver`]), how often (the
//! per-client rate limit), which embedding (the allowlist and the tenant's share of it),
//! and a slot in the upstream gate before the one PAR call with its retries. They also
//! share one set of rate-limit buckets, one gate and one set of metrics.

use crate::config::Config;
use crate::config_error::ConfigError;
use crate::embeddings::Embeddings;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::ops::OpsRoutes;
use crate::origin::OriginPolicy;
use crate::par_client::{ParClient, ParError, ParRequest};
use crate::rate_limit::{RateLimitStore, RateLimiter, Refusal};
use crate::tenant::{Tenant, TenantResolver};
use crate::upstream_gate::UpstreamGate;
use http::request::Parts;
use moments_protocol::{ErrorCode, Product, SessionGrant, SessionRequest, fingerprint};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the router serves what, from the [`Config`].
#[derive(Debug)]
pub(crate) struct RouteConfig {
    pub(crate) session_path: String,
    pub(crate) ops: OpsRoutes,
    /// The timeout backstop behind every deadline of the handler's own.
    pub(crate) backstop: Duration,
}

/// The companion's session logic, built once from a [`Config`]: cheap to clone, and
/// every clone shares the same limits, gate, client and metrics.
///
/// ## Usage
/// As an axum `Router` (what [`router`](crate::router) does), and from a Leptos server
/// function (`moments_par::leptos::create_session`, the `leptos` feature, which also
/// answers and logs the call as the endpoint does), or from any other transport with the
/// request's parts, so every transport gets the same checks:
/// ```no_run
/// use moments_par::{SessionFailure, SessionService};
/// use moments_protocol::{SessionGrant, SessionRequest};
///
/// async fn from_a_server_function(
///     service: &SessionService,
///     request: &http::request::Parts, // leptos_axum::extract().await?
///     asked: SessionRequest,
/// ) -> Result<SessionGrant, SessionFailure> {
///     Ok(service.create(request, asked).await?)
/// }
/// ```
#[derive(Clone)]
pub struct SessionService(pub(crate) Arc<ServiceState>);

/// What every clone of a [`SessionService`] shares: cloning the service (axum does, per
/// request) is one reference count, not one per part.
pub(crate) struct ServiceState {
    pub(crate) par: ParClient,
    /// The origins of the frames the allowed embeddings open, each once.
    pub(crate) frame_origins: Vec<String>,
    pub(crate) embeddings: Arc<Embeddings>,
    pub(crate) tenants: Arc<dyn TenantResolver>,
    pub(crate) origins: Arc<OriginPolicy>,
    pub(crate) body_limit: usize,
    pub(crate) rate_limiter: Option<Arc<RateLimiter>>,
    pub(crate) upstream: Arc<UpstreamGate>,
    pub(crate) upstream_deadline: Duration,
    pub(crate) metrics: Arc<Metrics>,
    /// What the router serves besides the session endpoint.
    pub(crate) routes: Arc<RouteConfig>,
}

impl std::fmt::Debug for SessionService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService")
            .field("embeddings", &self.0.embeddings)
            .field("routes", &self.0.routes)
            .finish_non_exhaustive()
    }
}

impl SessionService {
    /// Validates `config` and builds the service. The error says what to fix.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let metrics = Arc::new(Metrics::new(&config.session_path));
        let mut par = ParClient::new(&config.par)
            .map_err(|e| ConfigError::new(e.to_string()))?
            .with_metrics(Arc::clone(&metrics));
        if let Some(base) = &config.answers_iframe_base_url {
            par = par.with_answers_iframe_base_url(base);
        }
        let origins =
            Arc::new(OriginPolicy::new(&config.allowed_origins)?.named(config.origins_setting));
        let mut frame_origins: Vec<String> = Vec::new();
        for product in config.embeddings.products() {
            let origin = par.frame_origin(product);
            if !frame_origins.iter().any(|known| known == origin) {
                frame_origins.push(origin.to_owned());
            }
        }
        let routes = Arc::new(RouteConfig {
            session_path: config.session_path,
            ops: config.ops,
            // Past the handler's own deadlines (queue, upstream, body): only a stuck
            // connection gets here.
            backstop: (config.upstream_limit.queue_timeout
                + config.upstream_deadline
                + Duration::from_secs(5))
            .max(Duration::from_secs(30)),
        });
        Ok(Self(Arc::new(ServiceState {
            par,
            frame_origins,
            embeddings: Arc::new(config.embeddings),
            tenants: config.tenants,
            origins,
            body_limit: config.body_limit,
            rate_limiter: match (config.rate_limit, config.rate_limit_store) {
                (None, _) => None,
                (Some(limit), RateLimitStore::InProcess) => {
                    Some(Arc::new(RateLimiter::new(limit, config.client_ip)))
                }
                #[cfg(feature = "redis")]
                (Some(limit), RateLimitStore::Redis(store)) => Some(Arc::new(
                    RateLimiter::shared(limit, config.client_ip, store, Arc::clone(&metrics))
                        .map_err(ConfigError::new)?,
                )),
            },
            upstream: Arc::new(UpstreamGate::new(
                config.upstream_limit,
                Arc::clone(&metrics),
            )),
            upstream_deadline: config.upstream_deadline,
            metrics,
            routes,
        })))
    }

    /// The origin of the configured iframe base URL (`https://embeddings.infobip.com`):
    /// where the Moments frame the grants point to lives, so what a page's
    /// Content-Security-Policy needs in `frame-src`
    /// (`moments_protocol::ContentSecurityPolicy::new`). With Answers embeddings too,
    /// take [`frame_origins`](Self::frame_origins).
    pub fn frame_origin(&self) -> String {
        self.0.par.frame_origin(Product::Moments).to_owned()
    }

    /// The origins of every frame the allowed embeddings open, each once, Moments'
    /// first: what a page that may show any of them needs in `frame-src`. One origin
    /// when Moments and Answers share one (as they do at Infobip, unless configured
    /// otherwise).
    ///
    /// ```no_run
    /// # fn policy(service: &moments_par::SessionService) {
    /// use moments_protocol::ContentSecurityPolicy;
    ///
    /// let mut origins = service.frame_origins().into_iter();
    /// let first = origins.next().unwrap_or_else(|| service.frame_origin());
    /// let policy = origins.fold(ContentSecurityPolicy::new(first), |policy, origin| {
    ///     policy.frame_source(origin)
    /// });
    /// # let _ = policy;
    /// # }
    /// ```
    pub fn frame_origins(&self) -> Vec<String> {
        self.0.frame_origins.clone()
    }

    /// Mints one session for the request described by `request` (its method, headers and
    /// extensions: a `ConnectInfo<SocketAddr>` and whatever your auth middleware left),
    /// asking for `asked`: exactly the checks of the REST endpoint, then the PAR call.
    /// For a transport other than the endpoint, e.g. a Leptos server function.
    ///
    /// Errors are the endpoint's own: a code from the closed set, a sentence for a
    /// person, and when to retry. Convert them with `SessionFailure::from` to send them
    /// over another wire.
    pub async fn create(
        &self,
        request: &Parts,
        asked: SessionRequest,
    ) -> Result<SessionGrant, AppError> {
        let outcome = async {
            self.0.origins.check(request)?;
            let tenant = self.admit(request).await?;
            self.mint(tenant, &asked).await
        }
        .await;
        if let Err(error) = &outcome {
            // The endpoint's errors are counted by its metrics layer, from the answer;
            // this path has no answer of ours, so it counts them here.
            self.0.metrics.error(error.code);
        }
        outcome
    }

    /// Who is asking, and whether they may ask again so soon: the tenant resolver, then
    /// the per-client rate limit.
    pub(crate) async fn admit(&self, request: &Parts) -> Result<Tenant, AppError> {
        let tenant = self.0.tenants.resolve(request)?;
        if let Some(limiter) = &self.0.rate_limiter {
            match limiter.check(&tenant.key, request).await {
                Ok(()) => {}
                Err(Refusal::Limited(wait)) => {
                    self.0.metrics.rate_limited();
                    tracing::info!(tenant = %tenant.key, wait_ms = wait.as_millis(), "rate limited");
                    return Err(AppError::new(
                        ErrorCode::RateLimited,
                        "Too many requests for a Moments session. Please wait a moment and try again.",
                    )
                    .retry_after(wait));
                }
                Err(Refusal::StoreUnavailable) => {
                    return Err(AppError::new(
                        ErrorCode::Unavailable,
                        "Moments sessions cannot be opened right now. Please try again in a moment.",
                    )
                    .retry_after(Duration::from_secs(1)));
                }
            }
        }
        Ok(tenant)
    }

    /// The embedding `asked` for, if `tenant` may open it; then a slot in the upstream
    /// gate and one PAR call with its retries inside the deadline.
    pub(crate) async fn mint(
        &self,
        tenant: Tenant,
        asked: &SessionRequest,
    ) -> Result<SessionGrant, AppError> {
        let name = asked
            .embedding
            .as_deref()
            .unwrap_or(self.0.embeddings.default_name());
        // One answer for "no such embedding" and "not yours": a tenant learns nothing
        // about what other tenants may open.
        let embedding = self
            .0
            .embeddings
            .embedding(name)
            .filter(|_| tenant.embeddings.allows(name))
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::UnknownEmbedding,
                    format!("There is no embedding called `{name}` for this account."),
                )
            })?;
        let Tenant {
            application_id,
            entity_id,
            key,
            ..
        } = tenant;
        let par_request = ParRequest {
            application_id,
            entity_id,
            ..ParRequest::for_embedding(embedding.clone())
        };
        let product = par_request.product();
        let slot = self.0.upstream.enter().await?;
        let deadline = Instant::now() + self.0.upstream_deadline;
        let grant = self
            .0
            .par
            .push_before(&par_request, deadline)
            .await
            .inspect_err(|error| log_upstream_failure(error, &key, product))?;
        drop(slot);
        // Recorded on the request span, and so on its single access line (request_id.rs).
        // In one call: the subscriber is reached, and the span's fields appended, once.
        let span = tracing::Span::current();
        tracing::record_all!(
            span,
            tenant = %key,
            embedding = name,
            request_uri = %fingerprint(&grant.request_uri),
        );
        Ok(SessionGrant {
            request_uri: grant.request_uri,
            expires_in: grant.expires_in,
            iframe_url: grant.iframe_url,
        })
    }
}

/// Upstream failures are the operator's problem, so the log says what to check.
fn log_upstream_failure(error: &ParError, tenant: &str, product: Product) {
    match error {
        ParError::Auth { status: 403, .. } => tracing::error!(
            tenant,
            %error,
            %product,
            "Infobip refused the API key's permissions: for {} the key needs the scopes account-management:manage, {}",
            product.label(),
            product.scopes().join(", "),
        ),
        ParError::Auth { .. } => tracing::error!(
            tenant,
            %error,
            "Infobip refused the API key: check INFOBIP_API_KEY, that it is not revoked, and that INFOBIP_BASE_URL is your account's base URL"
        ),
        ParError::Rejected { .. } => tracing::error!(
            tenant,
            %error,
            %product,
            "Infobip rejected the PAR request: check the embedding id and the X application/entity ids"
        ),
        _ => tracing::warn!(tenant, %error, "PAR call failed"),
    }
}
