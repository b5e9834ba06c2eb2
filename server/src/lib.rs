//! `moments-par`: the companion server for `moments-embed`.
//!
//! It serves the one endpoint the `<MomentsEmbed/>` component calls,
//! `POST /api/moments/session`, and answers it by calling Infobip's
//! `POST /embeddable/1/auth/par` with your secret API key. The browser gets a
//! single-use `request_uri` and the frame URL that spends it; the key never leaves
//! this process, and the browser never chooses the tenant.
//!
//! Use it as the `moments-par` binary, or merge [`router`] into your own axum app.
//!
//! ## Usage
//! ```no_run
//! use moments_par::{Config, EmbeddingId, Embeddings, ParClientConfig, RetryPolicy};
//! use std::net::SocketAddr;
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let par = ParClientConfig {
//!     base_url: "https://xxxx.api.infobip.com".parse()?,
//!     api_key: std::env::var("INFOBIP_API_KEY")?.into(),
//!     iframe_base_url: "https://embeddings.infobip.com".parse()?,
//!     connect_timeout: Duration::from_secs(2),
//!     request_timeout: Duration::from_secs(5),
//!     retry: RetryPolicy::default(),
//! };
//! let config = Config::new(par, Embeddings::single(EmbeddingId::Number(42)));
//! let app = axum::Router::new()
//!     // ... your routes ...
//!     .merge(moments_par::router(config)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // With the peer address, the rate limit tells clients apart (else: by tenant only).
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//! [`Config::from_env`] builds the same from the binary's environment variables
//! (`INFOBIP_BASE_URL`, `INFOBIP_API_KEY`, `MOMENTS_EMBEDDING_ID`, …). With the `leptos`
//! feature, a Leptos server function mints sessions through `leptos::create_session`.
//!
//! ## Moments and Answers
//! Each allowed embedding opens one of Infobip's embeddable products ([`Embedding`]):
//! Moments' Campaign wizard (by `embedding_id`, scopes `flow:manage`, `flow:read`,
//! `flow:use`) or Answers' chatbot builder (no `embedding_id`, scopes `answers:manage`,
//! `voice-message:manage`). The server chooses it per embedding; the browser only names
//! an embedding, never a product or a scope. The Answers frame's address is a setting
//! of its own ([`Config::with_answers_iframe_base_url`]), assumed to be Moments'
//! (`https://embeddings.infobip.com`) unless set, since Infobip does not document it.
//!
//! ## What a session request goes through
//! The origin check (same-origin, or a listed origin with CORS: a CSRF defence), the
//! [`TenantResolver`] (who is asking; the browser never names a tenant), the per-client
//! [`RateLimit`], JSON within the body limit, the embedding allowlist ([`Embeddings`]),
//! a slot in the [`UpstreamLimit`], then one PAR call with bounded retries inside a
//! deadline ([`ParClient`]). Every refusal is an [`AppError`]: a status and a code from
//! the closed set in `moments_protocol::ErrorCode`, with a sentence for a person.
//! Every request gets a request id, a trace span and its Prometheus counts; the
//! operations endpoints are `/healthz`, `/readyz` and `/metrics` ([`OpsRoutes`]).
//!
//! ## Features
//! None by default: a host merging the [`router`] compiles the companion and nothing
//! of the binary. `cli` adds the `moments-par` binary and its `cli` module
//! (options, logging, mimalloc, `--static-dir` serving); `sandbox` adds `--sandbox`,
//! the in-process Infobip simulator (never in a production build by accident); `redis`
//! the rate limit's shared store; `leptos` the `leptos` module, for a Leptos server
//! function answered and logged as the endpoint is.

// The README's examples compile as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

mod app;
#[cfg(feature = "cli")]
pub mod cli;
mod config;
mod config_error;
mod embeddings;
mod error;
#[cfg(feature = "leptos")]
pub mod leptos;
mod metrics;
mod ops;
mod origin;
mod par_client;
mod rate_limit;
mod request_id;
mod service;
mod session;
mod settings;
#[cfg(feature = "cli")]
mod static_files;
mod tenant;
#[cfg(test)]
mod test_log;
mod trusted_header;
mod trusted_proxies;
mod upstream_gate;

pub use config::Config;
pub use config_error::ConfigError;
pub use embeddings::{DEFAULT_EMBEDDING_NAME, Embedding, Embeddings};
pub use error::AppError;
pub use moments_protocol::SessionFailure;
pub use ops::OpsRoutes;
pub use par_client::{
    EmbeddingId, PAR_PATH, ParClient, ParClientBuildError, ParClientConfig, ParError, ParGrant,
    ParRequest, RetryPolicy, UpstreamDetail,
};
pub use rate_limit::{RateLimit, RateLimitStore};
#[cfg(feature = "redis")]
pub use rate_limit::{RedisStore, StoreFailure, StoreUrl};
pub use service::SessionService;
pub use session::parse_session_request;
pub use tenant::{EmbeddingAccess, SingleTenant, Tenant, TenantRejection, TenantResolver};
pub use trusted_header::{TenantsFile, TrustedHeader};
pub use trusted_proxies::TrustedProxies;
pub use upstream_gate::UpstreamLimit;

use axum::Router;

/// The session endpoint (and the operations endpoints the config turns on; none unless
/// asked for, see [`OpsRoutes`]) as a `Router` to serve or merge, with its layers:
/// request ids, a trace span per request, metrics, a timeout backstop.
///
/// Merging into a router that still needs its state (a Leptos app's, before
/// `.with_state(leptos_options)`) takes [`SessionService::router`], which is generic over
/// the state; this one merges after `with_state`. Fails when `config` does not validate
/// or the HTTP client cannot be built; the error says what to fix.
///
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()` so the rate
/// limit can tell clients apart by address (without it, by tenant only).
pub fn router(config: Config) -> Result<Router, ConfigError> {
    Ok(SessionService::new(config)?.router())
}
