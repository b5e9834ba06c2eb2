//! The `moments-par` binary's options and start-up, as a library so tests start exactly
//! what the binary starts.

mod config;
mod log_format;
mod log_writer;
mod options;
mod start;
mod values;

pub use log_format::{PlainFields, PlainText};
pub use log_writer::{BatchedWriter, Flush, HIGH_WATER, INTERVAL};
pub use options::Cli;
pub use start::{RunningServer, StartError, start};
pub use values::{LogFormat, NamedEmbedding, OpsPath, RateSetting};
