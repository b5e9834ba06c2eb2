//! `moments-par`: the companion server for the moments-embed component.
//!
//! ```text
//! # Against the local Infobip simulator (no account needed):
//! cargo run -p moments-par -- --sandbox
//! # Against Infobip:
//! INFOBIP_BASE_URL=https://xxxx.api.infobip.com INFOBIP_API_KEY=... \
//!   MOMENTS_EMBEDDING_ID=42 cargo run -p moments-par --release
//! ```
//! `--help` lists every option with its environment variable and default.

use clap::Parser;
use moments_par::cli::{Cli, start};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let server = match start(&cli).await {
        Ok(server) => server,
        Err(error) => {
            tracing::error!("cannot start: {error}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(url = server.url(), "moments-par listening");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM (what container runtimes and process managers send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
