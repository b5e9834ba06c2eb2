//! [`Cli`]: every option of the binary, with its environment variable and default: the
//! process's own here, the companion's in [`Settings`] (which
//! [`Config::from_env`](crate::Config::from_env) reads too).

use super::values::LogFormat;
use crate::settings::Settings;
use crate::settings::values;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Mints single-use Infobip Embeddable Moments (and Answers) request URIs for the
/// moments-embed component. Every option can also be set by the environment variable shown.
/// Durations take a unit: 500ms, 2s, 1m. Logs go to stderr, filtered by RUST_LOG
/// (default: info).
#[derive(Clone, Debug, Parser)]
#[command(name = "moments-par", version, about, long_about = None)]
pub struct Cli {
    /// Address to listen on. Port 0 picks a free port.
    #[arg(long, env = "MOMENTS_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Also serve this directory (a built trunk app, its `dist/`) at `/`, with security headers.
    #[arg(long, env = "MOMENTS_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,

    /// Log line format: text or json.
    #[arg(long, env = "MOMENTS_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// How long a shutdown (SIGINT, SIGTERM) waits for requests in flight.
    #[arg(long, env = "MOMENTS_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = values::duration)]
    pub shutdown_timeout: Duration,

    /// The companion's own settings.
    #[command(flatten)]
    pub companion: Settings,

    /// Start the local Infobip simulator and use it instead of Infobip. For demos and
    /// tests only: no key needed, nothing leaves this machine. Without configured
    /// embeddings, allows `default` (Moments) and `chatbot` (Answers). No environment
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

    /// The host name the simulator's frame is served under (with --sandbox), on its
    /// port: a page served from 127.0.0.1 then meets the frame on another site, as it
    /// meets Infobip's. 127.0.0.1 puts page and frame on one site.
    #[cfg(feature = "sandbox")]
    #[arg(
        long,
        env = "MOMENTS_SANDBOX_FRAME_HOST",
        default_value = "localhost",
        help_heading = "Sandbox"
    )]
    pub sandbox_frame_host: String,
}
