//! The `moments-par` binary's options and start-up, as a library so tests start exactly
//! what the binary starts.

mod options;
mod start;
mod values;

pub use crate::settings::Settings;
pub use crate::settings::values::{NamedEmbedding, OpsPath, RateSetting};
pub use options::Cli;
#[cfg(feature = "sandbox")]
pub use start::SANDBOX_ANSWERS_EMBEDDING;
pub use start::{RunningServer, StartError, start};
pub use values::LogFormat;
