//! How a shared store for the rate limit is configured: where it is, how long a check may
//! take, and what happens when it fails (the `redis` feature).

use std::time::Duration;

/// A Redis (or Valkey) the replicas share their buckets in, and what to do when it
/// fails (the `redis` feature).
#[derive(Clone, Debug)]
pub struct RedisStore {
    /// `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. Its password
    /// never appears in logs or debug output.
    pub url: StoreUrl,
    /// How long one check may take, connecting included; past it, `on_failure` decides.
    /// Default 50 ms.
    pub timeout: Duration,
    /// What a check does when the store fails or is slow. Default: serve.
    pub on_failure: StoreFailure,
    /// Whether `/readyz` answers 503 while the store is unreachable (taking the replica
    /// out of the load balancer). Default `false`: it reports the store's state in its
    /// body and stays ready, since every replica shares the one store and pulling them
    /// all out would turn a limiter outage into a full one.
    pub required_for_readiness: bool,
}

impl RedisStore {
    /// The store at `url`, with a 50 ms timeout, failing open, and not required for
    /// readiness.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: StoreUrl(url.into()),
            timeout: Duration::from_millis(50),
            on_failure: StoreFailure::Open,
            required_for_readiness: false,
        }
    }
}

/// A store's URL: kept whole, shown without its password.
#[derive(Clone)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// The URL itself, password included: for connecting, never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("[redacted]"));
                write!(f, "{url}")
            }
            Ok(url) => write!(f, "{url}"),
            Err(_) => f.write_str("[not a URL]"),
        }
    }
}

/// What a rate-limit check does when its shared store fails or does not answer in time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreFailure {
    /// Serve the request unlimited (logged, and counted in `/metrics`). The default: the
    /// upstream gate and Infobip's own limits still bound the load, and a limiter outage
    /// does not become an outage of every embed.
    #[default]
    Open,
    /// Refuse the request with `503 unavailable` and `Retry-After: 1`, for deployments
    /// that treat the limit as a hard quota.
    Closed,
}
