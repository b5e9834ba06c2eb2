//! [`ConfigError`]: what every part of the configuration answers when it cannot work,
//! in a module of its own so the parts and the [`Config`](crate::Config) that gathers
//! them all import it, and none of them imports another for it.

/// A configuration mistake, with what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl ConfigError {
    /// A configuration error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
