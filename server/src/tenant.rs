//! Who is asking: mapping the host's own authenticated user to an Infobip tenant.
//!
//! The browser never names a tenant. A [`TenantResolver`] reads what the host's auth
//! already established (a header set by an auth proxy, an extension set by the host's
//! middleware, a cookie) and answers with the [`Tenant`]: the X `application_id` and
//! `entity_id` to mint a URI for, and which embeddings this user may open.
//!
//! The trait is synchronous on purpose: do async work (session lookups, database calls)
//! in your auth middleware, as axum apps already do, and leave the result in a request
//! extension for the resolver to map. That keeps the trait object-safe and the hot path
//! free of boxing.

use http::request::Parts;
use std::collections::BTreeSet;
use std::fmt;

/// The key of [`Tenant::account`]: the account itself, shared by every user.
pub(crate) const ACCOUNT_KEY: &str = "account";

/// The Infobip tenant a request acts for.
#[derive(Clone, PartialEq, Eq)]
pub struct Tenant {
    /// A stable key for this client (rate limiting, logs). Not sent upstream.
    ///
    /// `"account"` (what [`Tenant::account`] uses) means "everyone": the rate limit then
    /// tells clients apart by address alone, and does not limit when it has none.
    pub key: String,
    /// The X application, for the "with X" case.
    pub application_id: Option<String>,
    /// The X entity, for the "with X" case.
    pub entity_id: Option<String>,
    /// Which embeddings (by allowlist name) this tenant may open.
    pub embeddings: EmbeddingAccess,
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant")
            .field("key", &self.key)
            .field("application_id", &self.application_id)
            .field("entity_id", &self.entity_id)
            .finish_non_exhaustive()
    }
}

impl Tenant {
    /// The account itself, without an X tenant, allowed every embedding.
    pub fn account() -> Self {
        Self {
            key: ACCOUNT_KEY.to_owned(),
            application_id: None,
            entity_id: None,
            embeddings: EmbeddingAccess::All,
        }
    }
}

/// Which embeddings a tenant may open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EmbeddingAccess {
    /// Every embedding in the server's allowlist.
    #[default]
    All,
    /// Only these allowlist names.
    Only(BTreeSet<String>),
}

impl EmbeddingAccess {
    /// Whether `name` may be opened.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(names) => names.contains(name),
        }
    }
}

/// Why a request has no tenant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TenantRejection {
    /// Nobody is signed in (answered `401 unauthorized`).
    #[error("{0}")]
    Unauthenticated(String),
    /// Someone is signed in but may not use Moments (answered `403 forbidden`).
    #[error("{0}")]
    Forbidden(String),
}

/// Maps a request to its tenant. Implement this to plug in your own auth.
///
/// ## Usage
/// ```
/// use moments_par::{EmbeddingAccess, Tenant, TenantRejection, TenantResolver};
///
/// /// Set by the host's own auth middleware.
/// #[derive(Clone)]
/// struct SignedInUser { org_id: String }
///
/// struct FromUser;
///
/// impl TenantResolver for FromUser {
///     fn resolve(&self, request: &http::request::Parts) -> Result<Tenant, TenantRejection> {
///         let user = request.extensions.get::<SignedInUser>().ok_or_else(|| {
///             TenantRejection::Unauthenticated("Please sign in first.".into())
///         })?;
///         Ok(Tenant {
///             key: user.org_id.clone(),
///             application_id: Some("my-platform".into()),
///             entity_id: Some(user.org_id.clone()),
///             embeddings: EmbeddingAccess::All,
///         })
///     }
/// }
/// ```
pub trait TenantResolver: Send + Sync + 'static {
    /// The tenant for this request, or why there is none.
    fn resolve(&self, request: &Parts) -> Result<Tenant, TenantRejection>;
}

/// Every request acts for one fixed tenant: for hosts whose whole deployment is one
/// Infobip tenant, or that authenticate upstream of this server.
#[derive(Clone, Debug)]
pub struct SingleTenant(pub Tenant);

impl TenantResolver for SingleTenant {
    fn resolve(&self, _request: &Parts) -> Result<Tenant, TenantRejection> {
        Ok(self.0.clone())
    }
}
