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
// A proxy allocates and frees small buffers per request, where mimalloc is markedly
// faster than glibc's malloc (`bench/README.md`). `no_thp` keeps transparent huge pages
// from inflating the resident size of a small process.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use moments_par::cli::{Cli, LogFormat, start};
use std::process::ExitCode;
use tracing::Level;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Held to the end of `main`: dropping it writes out the lines still queued.
    let _log_writer = init_logging(cli.log_format);
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

/// Logs to stderr, filtered by `RUST_LOG` (default `info`), as text or JSON. Lines are
/// written by a thread of their own, so no request waits on a slow stderr (a pipe to a
/// busy log shipper).
fn init_logging(format: LogFormat) -> WorkerGuard {
    // Levels by target (`info,tower_http=warn`) with `Targets`: `EnvFilter`'s span and
    // field directives would bring a regex engine into the binary for a syntax a
    // deployment hardly needs (the sizes are in `bench/README.md`).
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO));
    // Not lossy: when the queue is full a request waits for room rather than its access
    // line being dropped unseen; the access line is how a person's report is found.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("moments-par-log")
        .finish(std::io::stderr());
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    let logs = tracing_subscriber::registry().with(filter);
    match format {
        // Never in colour, at a terminal too: without tracing-subscriber's `ansi` feature
        // the formatter spends less on every line, and a log is read from files and
        // shippers. Said explicitly for a build where another crate turns the feature on.
        LogFormat::Text => logs.with(lines.with_ansi(false)).init(),
        LogFormat::Json => logs
            .with(lines.json().with_current_span(true).with_span_list(false))
            .init(),
    }
    guard
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
