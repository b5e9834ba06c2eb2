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
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let par = ParClientConfig {
//!     base_url: "https://xxxx.api.infobip.com".parse()?,
//!     api_key: std::env::var("INFOBIP_API_KEY")?.into(),
//!     iframe_base_url: "https://embeddings.infobip.com".parse()?,
//!     connect_timeout: Duration::from_secs(2),
//!     request_timeout: Duration::from_secs(8),
//!     retry: RetryPolicy::default(),
//! };
//! let config = Config::new(par, Embeddings::single(EmbeddingId::Number(42)));
//! let app = axum::Router::new()
//!     // ... your routes ...
//!     .merge(moments_par::router(config)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

pub mod cli;
mod config;
mod error;
mod par_client;
mod session;
mod tenant;

pub use config::{Config, ConfigError, DEFAULT_EMBEDDING_NAME, Embeddings};
pub use error::AppError;
pub use par_client::{
    EmbeddingId, PAR_PATH, ParClient, ParClientBuildError, ParClientConfig, ParError, ParGrant,
    ParRequest, RetryPolicy, SCOPES, UpstreamDetail,
};
pub use tenant::{EmbeddingAccess, SingleTenant, Tenant, TenantRejection, TenantResolver};

use axum::Router;
use axum::routing::{get, post};
use moments_protocol::ErrorCode;
use std::sync::Arc;

/// The session endpoint (and `/healthz`) as a `Router` to serve or merge.
///
/// Fails when `config` does not validate or the HTTP client cannot be built; the
/// error says what to fix.
pub fn router(config: Config) -> Result<Router, ConfigError> {
    config.validate()?;
    let par = ParClient::new(&config.par).map_err(|e| ConfigError::new(e.to_string()))?;
    let state = session::SessionState {
        par,
        embeddings: Arc::new(config.embeddings),
        tenants: config.tenants,
        body_limit: config.body_limit,
    };
    let session_route = post(session::create_session).fallback(method_not_allowed);
    Ok(Router::new()
        .route(&config.session_path, session_route)
        .with_state(state)
        .route("/healthz", get(|| async { "ok\n" })))
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        "This endpoint only answers POST.",
    )
}
