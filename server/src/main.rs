//! `moments-par`: the companion server for the moments-embed component.
//!
//! ```text
//! # Against the local Infobip simulator (no account needed):
//! cargo run -p moments-par -- --sandbox
//! # Against Infobip:
//! INFOBIP_BASE_URL=https://xxxx.api.infobip.com INFOBIP_API_KEY=... \
//!   MOMENTS_EMBEDDING_ID=42 cargo run -p moments-par --release
//! ```
//! `--help` lists every option with its environment variable and default. SIGINT or
//! SIGTERM stops accepting connections and lets requests in flight finish (up to
//! `--shutdown-timeout`). Exit status: 0 after a clean stop, 1 if requests were still
//! running at the timeout, 2 if it could not start.

// The binary's allocator, not the library's (a host merging the Router keeps its own).
// A proxy allocates and frees small buffers per request; under `make bench` glibc's
// malloc was ~16% of CPU and mimalloc gave ~35% more throughput and a lower p99.
// `no_thp`: without it transparent huge pages took peak RSS from 14 MB to 21 MB.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use moments_par::cli::{BatchedWriter, Cli, Flush, LogFormat, PlainFields, PlainText, start};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Held to the end of `main`: dropping it writes out what is still pending.
    let _log_writer = match init_logging(cli.log_format) {
        Ok(flush) => flush,
        Err(error) => {
            // No logger to say it with: straight to stderr.
            let message = format!("cannot start: no thread for the log writer: {error}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
            return ExitCode::from(2);
        }
    };
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
    match tokio::time::timeout(cli.shutdown_timeout, server.shutdown()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(_) => {
            tracing::warn!(
                "requests were still running after the shutdown timeout; stopping anyway"
            );
            ExitCode::from(1)
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`), as text or JSON, in batches
/// (see [`BatchedWriter`]: one `write(2)` per 20 ms under load, warnings at once).
fn init_logging(format: LogFormat) -> std::io::Result<Flush<std::io::Stderr>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, flush) = BatchedWriter::new(std::io::stderr())?;
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    match format {
        // In colour for a person at a terminal; elsewhere the same line without colour,
        // by the shorter path of `PlainText` (the access line is written per request).
        LogFormat::Text if std::io::IsTerminal::is_terminal(&std::io::stderr()) => {
            builder.with_ansi(true).init();
        }
        LogFormat::Text => builder
            .with_ansi(false)
            .fmt_fields(PlainFields)
            .event_format(PlainText)
            .init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    Ok(flush)
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
