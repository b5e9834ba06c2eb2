//! [`Cli`]: every option of the binary, with its environment variable and default.

use super::values::{self, LogFormat, NamedEmbedding, OpsPath, RateSetting};
use clap::Parser;
use http::HeaderName;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Mints single-use Infobip Embeddable Moments request URIs for the moments-embed
/// component. Every option can also be set by the environment variable shown.
/// Durations take a unit: 500ms, 2s, 1m. Logs go to stderr, filtered by RUST_LOG
/// (default: info).
#[derive(Clone, Debug, Parser)]
#[command(name = "moments-par", version, about, long_about = None)]
pub struct Cli {
    /// Address to listen on. Port 0 picks a free port.
    #[arg(long, env = "MOMENTS_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Path of the session endpoint.
    #[arg(long, env = "MOMENTS_SESSION_PATH", default_value = moments_protocol::DEFAULT_ENDPOINT)]
    pub session_path: String,

    /// Other origins whose pages may call the endpoint, with matching CORS
    /// (comma-separated, each as scheme://host or scheme://host:port). Its own origin
    /// always may.
    #[arg(long, env = "MOMENTS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MOMENTS_BODY_LIMIT", default_value_t = 4096)]
    pub body_limit: usize,

    /// Also serve this directory (a built trunk app, its `dist/`) at `/`, with security headers.
    #[arg(long, env = "MOMENTS_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,

    /// Path of the liveness check, or off.
    #[arg(long, env = "MOMENTS_HEALTHZ_PATH", default_value = "/healthz", value_parser = values::ops_path, help_heading = "Operations")]
    pub healthz_path: OpsPath,

    /// Path of the readiness check (`?upstream` also probes Infobip), or off.
    #[arg(long, env = "MOMENTS_READYZ_PATH", default_value = "/readyz", value_parser = values::ops_path, help_heading = "Operations")]
    pub readyz_path: OpsPath,

    /// Path of the Prometheus metrics, or off. They name no secret, but tell anyone
    /// who can reach them how busy the endpoint is: turn them off, or keep them from
    /// the internet at your proxy, where the port is public.
    #[arg(long, env = "MOMENTS_METRICS_PATH", default_value = "/metrics", value_parser = values::ops_path, help_heading = "Operations")]
    pub metrics_path: OpsPath,

    /// Log line format: text or json.
    #[arg(long, env = "MOMENTS_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// How long a shutdown (SIGINT, SIGTERM) waits for requests in flight.
    #[arg(long, env = "MOMENTS_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = values::duration)]
    pub shutdown_timeout: Duration,

    /// Your Infobip account's personal base URL.
    #[arg(
        long,
        env = "INFOBIP_BASE_URL",
        default_value = "https://api.infobip.com",
        help_heading = "Infobip"
    )]
    pub infobip_base_url: Url,

    /// Infobip API key with account-management:manage, flow:manage, flow:read, flow:use.
    /// Required (unless --sandbox). Prefer the environment variable: command lines are
    /// visible to other users.
    #[arg(long, env = "INFOBIP_API_KEY", hide_env_values = true, value_parser = values::secret, help_heading = "Infobip")]
    pub infobip_api_key: Option<SecretString>,

    /// Where the Moments frame lives (also the CSP frame-src of --static-dir).
    #[arg(
        long,
        env = "MOMENTS_IFRAME_BASE_URL",
        default_value = "https://embeddings.infobip.com",
        help_heading = "Infobip"
    )]
    pub iframe_base_url: Url,

    /// Connect timeout (TCP and TLS) for calls to Infobip.
    #[arg(long, env = "MOMENTS_UPSTREAM_CONNECT_TIMEOUT", default_value = "2s", value_parser = values::duration, help_heading = "Infobip")]
    pub upstream_connect_timeout: Duration,

    /// Timeout of one call to Infobip, response body included.
    #[arg(long, env = "MOMENTS_UPSTREAM_TIMEOUT", default_value = "5s", value_parser = values::duration, help_heading = "Infobip")]
    pub upstream_timeout: Duration,

    /// Attempts per session request, the first included (1 = no retry). Only
    /// connection errors, timeouts, 5xx and 429 are retried.
    #[arg(
        long,
        env = "MOMENTS_UPSTREAM_ATTEMPTS",
        default_value_t = 3,
        help_heading = "Infobip"
    )]
    pub upstream_attempts: u32,

    /// Time one session request may spend on Infobip in all, retries included. Keep
    /// it below the component's fetch timeout (15s).
    #[arg(long, env = "MOMENTS_UPSTREAM_DEADLINE", default_value = "10s", value_parser = values::duration, help_heading = "Infobip")]
    pub upstream_deadline: Duration,

    /// Calls to Infobip in flight at most (per process).
    #[arg(
        long,
        env = "MOMENTS_UPSTREAM_CONCURRENCY",
        default_value_t = 32,
        help_heading = "Infobip"
    )]
    pub upstream_concurrency: usize,

    /// How long a request waits for a free upstream slot before a 503.
    #[arg(long, env = "MOMENTS_UPSTREAM_QUEUE_TIMEOUT", default_value = "1s", value_parser = values::duration, help_heading = "Infobip")]
    pub upstream_queue_timeout: Duration,

    /// The embedding to open when the browser names none (from your Infobip account
    /// manager). Allowlisted under the name `default`.
    #[arg(long, env = "MOMENTS_EMBEDDING_ID", help_heading = "Embeddings")]
    pub embedding_id: Option<String>,

    /// Named embeddings the browser may ask for, comma-separated: campaigns=42,reminders=43.
    /// Without --embedding-id the first one is the default.
    #[arg(long, env = "MOMENTS_EMBEDDINGS", value_delimiter = ',', value_parser = values::named_embedding, help_heading = "Embeddings")]
    pub embeddings: Vec<NamedEmbedding>,

    /// The name opened when the browser names none (overrides the rules above).
    #[arg(long, env = "MOMENTS_DEFAULT_EMBEDDING", help_heading = "Embeddings")]
    pub default_embedding: Option<String>,

    /// X application id every session is minted for (single-tenant mode).
    #[arg(long, env = "MOMENTS_APPLICATION_ID", help_heading = "Tenants")]
    pub application_id: Option<String>,

    /// X entity id every session is minted for (single-tenant mode).
    #[arg(long, env = "MOMENTS_ENTITY_ID", help_heading = "Tenants")]
    pub entity_id: Option<String>,

    /// Trusted-header mode: the header your auth proxy sets to the user's tenant name.
    /// Needs --tenants-file. Only safe when every request passes that proxy.
    #[arg(long, env = "MOMENTS_TENANT_HEADER", value_parser = values::header_name, help_heading = "Tenants")]
    pub tenant_header: Option<HeaderName>,

    /// TOML file mapping tenant names to X application/entity ids and allowed
    /// embeddings (and naming more embeddings). Needs --tenant-header.
    #[arg(long, env = "MOMENTS_TENANTS_FILE", help_heading = "Tenants")]
    pub tenants_file: Option<PathBuf>,

    /// The proxies in front of this server (addresses or networks, e.g.
    /// 10.0.0.0/8,fd00::/8): --tenant-header and --client-ip-header are believed only
    /// on connections from them. From any other peer the tenant header is refused (401)
    /// and the client IP header ignored.
    #[arg(long, env = "MOMENTS_TRUSTED_PROXIES", value_delimiter = ',', value_parser = values::trusted_proxy, help_heading = "Tenants")]
    pub trusted_proxies: Vec<String>,

    /// Session requests per client: N/s, N/min or N/h, or off.
    #[arg(long, env = "MOMENTS_RATE_LIMIT", default_value = "60/min", value_parser = values::rate, help_heading = "Rate limiting")]
    pub rate_limit: RateSetting,

    /// Requests a client may make at once after a quiet spell.
    #[arg(
        long,
        env = "MOMENTS_RATE_LIMIT_BURST",
        default_value_t = 20,
        help_heading = "Rate limiting"
    )]
    pub rate_limit_burst: u32,

    /// Take the client address from this header's last entry (e.g. x-forwarded-for,
    /// x-real-ip) instead of the socket. Only behind a proxy you control that sets it.
    #[arg(long, env = "MOMENTS_CLIENT_IP_HEADER", value_parser = values::header_name, help_heading = "Rate limiting")]
    pub client_ip_header: Option<HeaderName>,

    /// Keep the rate limit's buckets in this Redis (redis://host:port, rediss:// for
    /// TLS), shared by every replica, instead of in this process.
    #[cfg(feature = "redis")]
    #[arg(long, env = "MOMENTS_RATE_LIMIT_STORE", help_heading = "Rate limiting")]
    pub rate_limit_store: Option<String>,

    /// How long one check of the shared store may take, connecting included.
    #[cfg(feature = "redis")]
    #[arg(long, env = "MOMENTS_RATE_LIMIT_STORE_TIMEOUT", default_value = "50ms", value_parser = values::duration, help_heading = "Rate limiting")]
    pub rate_limit_store_timeout: Duration,

    /// When the shared store fails or is slow: serve the request unlimited (open) or
    /// refuse it with 503 unavailable (closed).
    #[cfg(feature = "redis")]
    #[arg(long, env = "MOMENTS_RATE_LIMIT_STORE_FAILURE", default_value = "open", value_parser = values::store_failure, help_heading = "Rate limiting")]
    pub rate_limit_store_failure: crate::StoreFailure,

    /// Answer /readyz with 503 while the shared store is unreachable (off: report its
    /// state in the body and stay ready).
    #[cfg(feature = "redis")]
    #[arg(
        long,
        env = "MOMENTS_RATE_LIMIT_STORE_REQUIRED",
        help_heading = "Rate limiting"
    )]
    pub rate_limit_store_required: bool,

    /// Start the local Infobip simulator and use it instead of Infobip. For demos and
    /// tests only: no key needed, nothing leaves this machine. No environment
    /// variable on purpose: only an explicit flag starts it.
    #[cfg(feature = "sandbox")]
    #[arg(long, help_heading = "Sandbox")]
    pub sandbox: bool,

    /// Where the simulator listens (with --sandbox). Port 0 picks a free port.
    #[cfg(feature = "sandbox")]
    #[arg(
        long,
        env = "MOMENTS_SANDBOX_LISTEN",
        default_value = "127.0.0.1:8788",
        help_heading = "Sandbox"
    )]
    pub sandbox_listen: SocketAddr,
}
