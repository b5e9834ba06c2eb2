//! `Config`: everything the session endpoint needs, validated once at start.

use crate::config_error::ConfigError;
use crate::embeddings::Embeddings;
use crate::ops::OpsRoutes;
use crate::origin::ORIGINS_IN_CODE;
use crate::par_client::ParClientConfig;
use crate::rate_limit::{ClientIp, RateLimit, RateLimitStore};
use crate::tenant::{SingleTenant, Tenant, TenantResolver};
use crate::trusted_proxies::TrustedProxies;
use crate::upstream_gate::UpstreamLimit;
use http::HeaderName;
use moments_protocol::DEFAULT_ENDPOINT;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The session endpoint's configuration.
///
/// Start from [`Config::new`] and change what you need with the `with_*` methods;
/// [`router`](crate::router) validates it and says what to fix.
///
/// ```
/// use moments_par::{Config, EmbeddingId, Embeddings, ParClientConfig, RateLimit, RetryPolicy};
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let par = ParClientConfig {
///     base_url: "https://xxxx.api.infobip.com".parse()?,
///     api_key: "secret".into(),
///     iframe_base_url: "https://embeddings.infobip.com".parse()?,
///     connect_timeout: Duration::from_secs(2),
///     request_timeout: Duration::from_secs(5),
///     retry: RetryPolicy::default(),
/// };
/// let config = Config::new(par, Embeddings::single(EmbeddingId::Number(42)))
///     .with_allowed_origins(["https://app.example.com"])
///     .with_rate_limit(Some(RateLimit::per_minute(30)));
/// config.validate()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Config {
    /// Upstream: Infobip base URL, key, Moments frame URL, timeouts, retries.
    pub par: ParClientConfig,
    /// Which embeddings the browser may open.
    pub embeddings: Embeddings,
    /// Who is asking.
    pub tenants: Arc<dyn TenantResolver>,
    /// Where the endpoint is mounted; default [`DEFAULT_ENDPOINT`].
    pub session_path: String,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    pub(crate) allowed_origins: Vec<String>,
    /// Where `allowed_origins` came from, as a refusal names it.
    pub(crate) origins_setting: &'static str,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) rate_limit_store: RateLimitStore,
    pub(crate) client_ip: ClientIp,
    pub(crate) upstream_limit: UpstreamLimit,
    pub(crate) upstream_deadline: Duration,
    pub(crate) ops: OpsRoutes,
    /// Where the Answers frame lives; `None`: `https://embeddings.infobip.com`.
    pub(crate) answers_iframe_base_url: Option<Url>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("par", &self.par)
            .field("embeddings", &self.embeddings)
            .field("session_path", &self.session_path)
            .field("body_limit", &self.body_limit)
            .field("allowed_origins", &self.allowed_origins)
            .field("rate_limit", &self.rate_limit)
            .field("rate_limit_store", &self.rate_limit_store)
            .field("client_ip", &self.client_ip)
            .field("upstream_limit", &self.upstream_limit)
            .field("upstream_deadline", &self.upstream_deadline)
            .field("ops", &self.ops)
            .field(
                "answers_iframe_base_url",
                &self.answers_iframe_base_url.as_ref().map(Url::as_str),
            )
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration for one tenant (the account itself) with defaults elsewhere:
    /// same-origin callers only, [`RateLimit::default`], [`UpstreamLimit::default`],
    /// a 10 s upstream deadline, a 4 KiB body limit, [`OpsRoutes::default`].
    pub fn new(par: ParClientConfig, embeddings: Embeddings) -> Self {
        Self {
            par,
            embeddings,
            tenants: Arc::new(SingleTenant(Tenant::account())),
            session_path: DEFAULT_ENDPOINT.to_owned(),
            body_limit: 4 * 1024,
            allowed_origins: Vec::new(),
            origins_setting: ORIGINS_IN_CODE,
            rate_limit: Some(RateLimit::default()),
            rate_limit_store: RateLimitStore::InProcess,
            client_ip: ClientIp::default(),
            upstream_limit: UpstreamLimit::default(),
            upstream_deadline: Duration::from_secs(10),
            // A router merged into someone else's app adds no public routes it was not
            // asked for; the binary turns them on from its flags.
            ops: OpsRoutes::none(),
            answers_iframe_base_url: None,
        }
    }

    /// Replaces the tenant resolver.
    #[must_use]
    pub fn with_tenants(mut self, tenants: impl TenantResolver) -> Self {
        self.tenants = Arc::new(tenants);
        self
    }

    /// Mounts the session endpoint at `path` instead of [`DEFAULT_ENDPOINT`].
    #[must_use]
    pub fn with_session_path(mut self, path: impl Into<String>) -> Self {
        self.session_path = path.into();
        self
    }

    /// Accepts request bodies up to `bytes` (at least 64).
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Lets pages of these origins (`https://app.example.com`) call the endpoint too,
    /// with matching CORS. The endpoint's own origin is always allowed.
    #[must_use]
    pub fn with_allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins = origins.into_iter().map(Into::into).collect();
        self.origins_setting = ORIGINS_IN_CODE;
        self
    }

    /// The per-client rate limit; `None` turns it off (e.g. when a gateway in front
    /// already limits).
    #[must_use]
    pub fn with_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Where the rate limit keeps its buckets: in this process (the default), or in a
    /// store every replica shares (`RateLimitStore::Redis`, the `redis` feature).
    #[must_use]
    pub fn with_rate_limit_store(mut self, store: RateLimitStore) -> Self {
        self.rate_limit_store = store;
        self
    }

    /// Reads the client's address for rate limiting from this header (its last
    /// entry), as set by a reverse proxy you control, instead of the socket peer.
    /// Clients can send it too: set it only when every request passes that proxy, or
    /// name the proxy with [`Config::with_trusted_proxies`].
    #[must_use]
    pub fn with_client_ip_header(mut self, header: HeaderName) -> Self {
        self.client_ip.header = Some(header);
        self
    }

    /// Believes the client IP header only on connections from `proxies`; from any other
    /// peer, the peer itself is the client. (The trusted-header tenant takes them too:
    /// [`TrustedHeader::only_from`](crate::TrustedHeader::only_from).)
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.client_ip.proxies = Some(proxies);
        self
    }

    /// The global limit on concurrent calls to Infobip.
    #[must_use]
    pub fn with_upstream_limit(mut self, limit: UpstreamLimit) -> Self {
        self.upstream_limit = limit;
        self
    }

    /// How long one session request may spend on Infobip in all, retries included.
    /// Keep it below the component's `fetch_timeout` (15 s by default).
    #[must_use]
    pub fn with_upstream_deadline(mut self, deadline: Duration) -> Self {
        self.upstream_deadline = deadline;
        self
    }

    /// Where `/healthz`, `/readyz` and `/metrics` are served, if at all. None by default
    /// (the `moments-par` binary serves all three): `with_ops_routes(OpsRoutes::default())`
    /// turns all three on at their usual paths.
    #[must_use]
    pub fn with_ops_routes(mut self, ops: OpsRoutes) -> Self {
        self.ops = ops;
        self
    }

    /// Where the Answers frame lives, for the grants of Answers embeddings
    /// (`{base}/authorize?request_uri=…`). Infobip documents the Moments frame's address
    /// (`par.iframe_base_url`), not Answers'; without this, it is assumed to be the same
    /// host, `https://embeddings.infobip.com`.
    #[must_use]
    pub fn with_answers_iframe_base_url(mut self, base: Url) -> Self {
        self.answers_iframe_base_url = Some(base);
        self
    }

    /// Checks what can be checked before serving. Messages say what to fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (what, path) in std::iter::once(("the session path", self.session_path.as_str()))
            .chain(self.ops.paths().map(|p| ("an operations path", p)))
        {
            if !path.starts_with('/') || path.contains(['{', '}', '*', '?', '#']) {
                return Err(ConfigError::new(format!(
                    "{what} `{path}` must start with `/` and be a plain path"
                )));
            }
        }
        if self.ops.paths().any(|p| p == self.session_path) {
            return Err(ConfigError::new(format!(
                "the session path `{}` is also an operations path; pick another",
                self.session_path
            )));
        }
        for (what, url) in [
            ("the Infobip base URL", Some(&self.par.base_url)),
            ("the iframe base URL", Some(&self.par.iframe_base_url)),
            (
                "the Answers iframe base URL",
                self.answers_iframe_base_url.as_ref(),
            ),
        ]
        .into_iter()
        .filter_map(|(what, url)| Some((what, url?)))
        {
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(ConfigError::new(format!(
                    "{what} `{url}` must be an http(s) URL with a host"
                )));
            }
        }
        if self.body_limit < 64 {
            return Err(ConfigError::new("the body limit must be at least 64 bytes"));
        }
        crate::origin::OriginPolicy::new(&self.allowed_origins)?;
        if let Some(limit) = self.rate_limit
            && (limit.requests == 0 || limit.burst == 0 || limit.per.is_zero())
        {
            return Err(ConfigError::new(
                "the rate limit needs at least 1 request per non-zero period and a burst of at least 1 (or turn it off)",
            ));
        }
        if self.upstream_limit.concurrency == 0 {
            return Err(ConfigError::new(
                "the upstream concurrency must be at least 1",
            ));
        }
        let par = &self.par;
        if par.connect_timeout.is_zero() || par.request_timeout.is_zero() {
            return Err(ConfigError::new(
                "the upstream connect and request timeouts must be above zero",
            ));
        }
        if par.retry.attempts == 0 {
            return Err(ConfigError::new(
                "the upstream attempts must be at least 1 (1 means no retry)",
            ));
        }
        if self.upstream_deadline < par.request_timeout.min(Duration::from_millis(100)) {
            return Err(ConfigError::new(
                "the upstream deadline must leave room for at least one attempt (100 ms or more)",
            ));
        }
        Ok(())
    }
}
