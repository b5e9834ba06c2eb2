//! `moments-sandbox`: the Infobip Embeddable Moments and Answers simulator on its own.
//!
//! ```text
//! cargo run -p moments-sandbox -- --listen 127.0.0.1:8788
//! ```
//! Then point a companion at it: `INFOBIP_BASE_URL=http://127.0.0.1:8788
//! INFOBIP_API_KEY=sandbox-api-key MOMENTS_IFRAME_BASE_URL=http://127.0.0.1:8788
//! ANSWERS_IFRAME_BASE_URL=http://127.0.0.1:8788/answers`.
//! Usually you do not need this: `moments-par --sandbox` starts one in-process.

use clap::Parser;
use moments_sandbox::{DEFAULT_API_KEY, DEFAULT_EMBEDDING_ID, Sandbox, SandboxConfig};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// A local simulator of Infobip Embeddable Moments and Answers (PAR API, authorize,
/// Campaign wizard, chatbot builder).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SANDBOX_LISTEN", default_value = "127.0.0.1:8788")]
    listen: SocketAddr,
    /// The API key PAR calls must present as `Authorization: App <key>`.
    #[arg(long, env = "SANDBOX_API_KEY", default_value = DEFAULT_API_KEY, hide_env_values = true)]
    api_key: String,
    /// The scopes that key holds (comma-separated): PAR calls for a product whose
    /// scopes it lacks are refused with 403. Default: every scope of Moments and Answers.
    #[arg(long, env = "SANDBOX_KEY_SCOPES", value_delimiter = ',')]
    key_scopes: Option<Vec<String>>,
    /// Embedding ids that exist on the simulated account (repeat or comma-separate).
    #[arg(long = "embedding-id", env = "SANDBOX_EMBEDDING_IDS", value_delimiter = ',', default_value = DEFAULT_EMBEDDING_ID)]
    embedding_ids: Vec<String>,
    /// Seconds an issued request_uri stays valid.
    #[arg(long, env = "SANDBOX_REQUEST_URI_TTL", default_value_t = 60)]
    request_uri_ttl: u64,
    /// Seconds a frame session lasts after authorize.
    #[arg(long, env = "SANDBOX_SESSION_TTL", default_value_t = 1800)]
    session_ttl: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let defaults = SandboxConfig::default();
    let config = SandboxConfig {
        api_key: cli.api_key,
        key_scopes: cli.key_scopes.unwrap_or(defaults.key_scopes),
        embedding_ids: cli.embedding_ids,
        request_uri_ttl: Duration::from_secs(cli.request_uri_ttl),
        session_ttl: Duration::from_secs(cli.session_ttl),
    };
    let running = match Sandbox::new(config).bind(cli.listen).await {
        Ok(running) => running,
        Err(error) => {
            tracing::error!(%error, listen = %cli.listen, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(url = running.base_url(), "sandbox ready; Ctrl-C stops it");
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    ExitCode::SUCCESS
}
