//! `Config`: everything the session endpoint needs, validated once at start.

use crate::par_client::{EmbeddingId, ParClientConfig};
use crate::tenant::{SingleTenant, Tenant, TenantResolver};
use moments_protocol::DEFAULT_ENDPOINT;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The allowlist of embeddings the browser may ask for, by name.
///
/// The browser sends a name (`{"embedding":"campaigns"}`) or nothing (the default);
/// only the server knows Infobip's `embedding_id`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embeddings {
    default: String,
    by_name: BTreeMap<String, EmbeddingId>,
}

/// The name the single embedding gets when configured as a bare id.
pub const DEFAULT_EMBEDDING_NAME: &str = "default";

impl Embeddings {
    /// One embedding, named [`DEFAULT_EMBEDDING_NAME`].
    pub fn single(id: EmbeddingId) -> Self {
        Self {
            default: DEFAULT_EMBEDDING_NAME.to_owned(),
            by_name: BTreeMap::from([(DEFAULT_EMBEDDING_NAME.to_owned(), id)]),
        }
    }

    /// Several named embeddings; `default` must be one of them.
    pub fn named(
        default: impl Into<String>,
        by_name: BTreeMap<String, EmbeddingId>,
    ) -> Result<Self, ConfigError> {
        let default = default.into();
        if !by_name.contains_key(&default) {
            return Err(ConfigError::new(format!(
                "the default embedding `{default}` is not in the embedding list ({})",
                by_name.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(Self { default, by_name })
    }

    /// The name used when the browser names none.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// The id for `name`, if allowed.
    pub fn get(&self, name: &str) -> Option<&EmbeddingId> {
        self.by_name.get(name)
    }

    /// Every allowed name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// The session endpoint's configuration.
#[derive(Clone)]
pub struct Config {
    /// Upstream: Infobip base URL, key, frame URL, timeouts, retries.
    pub par: ParClientConfig,
    /// Which embeddings the browser may open.
    pub embeddings: Embeddings,
    /// Who is asking.
    pub tenants: Arc<dyn TenantResolver>,
    /// Where the endpoint is mounted; default [`DEFAULT_ENDPOINT`].
    pub session_path: String,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("par", &self.par)
            .field("embeddings", &self.embeddings)
            .field("session_path", &self.session_path)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration for one tenant (the account itself) with defaults elsewhere.
    pub fn new(par: ParClientConfig, embeddings: Embeddings) -> Self {
        Self {
            par,
            embeddings,
            tenants: Arc::new(SingleTenant(Tenant::account())),
            session_path: DEFAULT_ENDPOINT.to_owned(),
            body_limit: 4 * 1024,
        }
    }

    /// Replaces the tenant resolver.
    #[must_use]
    pub fn with_tenants(mut self, tenants: impl TenantResolver) -> Self {
        self.tenants = Arc::new(tenants);
        self
    }

    /// Checks what can be checked before serving. Messages say what to fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.session_path.starts_with('/') {
            return Err(ConfigError::new(format!(
                "the session path `{}` must start with `/`",
                self.session_path
            )));
        }
        for (what, url) in [
            ("the Infobip base URL", &self.par.base_url),
            ("the iframe base URL", &self.par.iframe_base_url),
        ] {
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(ConfigError::new(format!(
                    "{what} `{url}` must be an http(s) URL with a host"
                )));
            }
        }
        if self.body_limit < 64 {
            return Err(ConfigError::new("the body limit must be at least 64 bytes"));
        }
        Ok(())
    }
}

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
