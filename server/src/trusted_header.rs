//! The trusted-header resolver: an auth proxy in front of the companion (oauth2-proxy,
//! an API gateway, your own edge) authenticates the user and names their organisation
//! in a header; a TOML file maps that name to the Infobip tenant.
//!
//! Only safe when every request reaches the companion through that proxy, and the
//! proxy overwrites the header (clients can send it too). Name the proxy with
//! [`TrustedHeader::only_from`] (`--trusted-proxies`) and the companion checks the first
//! half itself: the header of any other peer is refused. The companion then never needs
//! to know how users sign in.
//!
//! The file:
//! ```toml
//! # Names the browser may ask for (besides any given on the command line).
//! [embeddings]
//! campaigns = 42           # Moments, by embedding id ("moments:42" says the same)
//! reminders = 43
//! chatbot = "answers"      # Answers: the chatbot builder, no id
//!
//! # One table per header value.
//! [tenants.acme]
//! application_id = "my-platform"   # X application (optional)
//! entity_id = "acme"               # X entity (optional)
//! embeddings = ["campaigns"]       # optional; all of them when left out
//! ```

use crate::config_error::ConfigError;
use crate::embeddings::Embedding;
use crate::par_client::EmbeddingId;
use crate::tenant::{EmbeddingAccess, Tenant, TenantRejection, TenantResolver};
use crate::trusted_proxies::TrustedProxies;
use axum::extract::ConnectInfo;
use http::HeaderName;
use http::request::Parts;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The contents of a tenants file: embeddings by name and tenants by header value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantsFile {
    /// Extra embeddings for the allowlist, by name: a number or an id is Moments' (as
    /// is `"moments:<id>"`), `"answers"` is Answers.
    pub embeddings: BTreeMap<String, Embedding>,
    /// Tenants, by the header value that selects them.
    pub tenants: BTreeMap<String, Tenant>,
}

impl TenantsFile {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(format!(
                "cannot read the tenants file {}: {e}",
                path.display()
            ))
        })?;
        Self::parse(&text)
            .map_err(|e| ConfigError::new(format!("tenants file {}: {e}", path.display())))
    }

    /// Parses the TOML text of a tenants file (see the module docs).
    ///
    /// ```
    /// use moments_par::{Embedding, EmbeddingId, TenantsFile};
    /// let file = TenantsFile::parse(r#"
    ///     [embeddings]
    ///     campaigns = 42
    ///     chatbot = "answers"
    ///     [tenants.acme]
    ///     entity_id = "acme"
    /// "#)?;
    /// assert_eq!(file.embeddings["campaigns"], EmbeddingId::Number(42));
    /// assert_eq!(file.embeddings["chatbot"], Embedding::Answers);
    /// assert_eq!(file.tenants["acme"].entity_id.as_deref(), Some("acme"));
    /// # Ok::<(), moments_par::ConfigError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            embeddings: BTreeMap<String, RawId>,
            #[serde(default)]
            tenants: BTreeMap<String, Entry>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum RawId {
            Number(u64),
            Text(String),
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Entry {
            application_id: Option<String>,
            entity_id: Option<String>,
            embeddings: Option<BTreeSet<String>>,
        }

        let file: File = toml::from_str(text).map_err(|e| ConfigError::new(e.to_string()))?;
        let mut embeddings = BTreeMap::new();
        for (name, raw) in file.embeddings {
            let embedding = match raw {
                RawId::Number(n) => Embedding::Moments(EmbeddingId::Number(n)),
                RawId::Text(text) if text.trim().is_empty() => {
                    return Err(ConfigError::new(format!(
                        "embedding `{name}` has an empty id"
                    )));
                }
                RawId::Text(text) => {
                    crate::settings::values::embedding(&text).map_err(|problem| {
                        ConfigError::new(format!("embedding `{name}`: {problem}"))
                    })?
                }
            };
            embeddings.insert(name, embedding);
        }
        let non_empty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let tenants = file
            .tenants
            .into_iter()
            .map(|(key, entry)| {
                let tenant = Tenant {
                    key: key.clone(),
                    application_id: non_empty(entry.application_id),
                    entity_id: non_empty(entry.entity_id),
                    embeddings: entry
                        .embeddings
                        .map_or(EmbeddingAccess::All, EmbeddingAccess::Only),
                };
                (key, tenant)
            })
            .collect();
        Ok(Self {
            embeddings,
            tenants,
        })
    }
}

/// Resolves the tenant from a header an auth proxy sets (see the module docs).
///
/// ```
/// use moments_par::{Tenant, TenantResolver, TrustedHeader};
/// use http::HeaderName;
///
/// let resolver = TrustedHeader::new(HeaderName::from_static("x-org"))
///     .with_tenant("acme", Tenant { entity_id: Some("acme".into()), ..Tenant::account() });
/// let request = http::Request::post("/").header("x-org", "acme").body(()).unwrap();
/// let tenant = resolver.resolve(&request.into_parts().0).unwrap();
/// assert_eq!(tenant.key, "acme");
/// ```
#[derive(Clone, Debug)]
pub struct TrustedHeader {
    header: HeaderName,
    tenants: HashMap<String, Tenant>,
    proxies: Option<TrustedProxies>,
    /// Whether a refusal by `proxies` was logged yet.
    warned: Arc<AtomicBool>,
}

impl TrustedHeader {
    /// A resolver reading `header`, with no tenants yet.
    pub fn new(header: HeaderName) -> Self {
        Self {
            header,
            tenants: HashMap::new(),
            proxies: None,
            warned: Arc::default(),
        }
    }

    /// Believes the header only on connections from `proxies` (the auth proxy's
    /// addresses): a request from any other peer, or with no peer address known, is
    /// answered `401 unauthorized`, whatever it claims.
    #[must_use]
    pub fn only_from(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = Some(proxies);
        self
    }

    /// Adds the tenant selected by the header value `value`; its key becomes `value`.
    #[must_use]
    pub fn with_tenant(mut self, value: impl Into<String>, mut tenant: Tenant) -> Self {
        let value = value.into();
        tenant.key.clone_from(&value);
        self.tenants.insert(value, tenant);
        self
    }

    /// Every tenant, for checks at start-up.
    pub fn tenants(&self) -> impl Iterator<Item = &Tenant> {
        self.tenants.values()
    }
}

impl TenantResolver for TrustedHeader {
    fn resolve(&self, request: &Parts) -> Result<Tenant, TenantRejection> {
        let not_signed_in = || {
            TenantRejection::Unauthenticated(
                "You are not signed in (or your sign-in did not reach this server). Please sign in and try again.".into(),
            )
        };
        if let Some(proxies) = &self.proxies
            && proxies.peer_of(request).is_none()
        {
            // Said to the operator once (each refusal also has its 401 access line):
            // anyone who reaches the port could otherwise write a line per request.
            if !self.warned.swap(true, Ordering::Relaxed) {
                match request.extensions.get::<ConnectInfo<SocketAddr>>() {
                    Some(ConnectInfo(peer)) => tracing::warn!(
                        peer = %peer.ip(),
                        "a session request that did not come from a trusted proxy: refused (the proxies are MOMENTS_TRUSTED_PROXIES, or TrustedHeader::only_from; said once)"
                    ),
                    // Not a stranger: no peer is known at all, so every request is refused.
                    None => tracing::warn!(
                        "a session request with no peer address: refused, since the tenant header is believed only from the trusted proxies and no peer can be one; serve the app with into_make_service_with_connect_info::<SocketAddr>() (said once)"
                    ),
                }
            }
            return Err(not_signed_in());
        }
        let mut values = request.headers.get_all(&self.header).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(not_signed_in());
        };
        value
            .to_str()
            .ok()
            .and_then(|name| self.tenants.get(name))
            .cloned()
            .ok_or_else(|| {
                TenantRejection::Forbidden(
                    "Your organisation is not set up for Infobip Moments. Ask an administrator to add it.".into(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> TrustedHeader {
        let file = TenantsFile::parse(
            r#"
            [embeddings]
            campaigns = 42
            reminders = "rem-7"
            [tenants.acme]
            application_id = "platform"
            entity_id = "acme"
            embeddings = ["campaigns"]
            [tenants.globex]
            "#,
        )
        .unwrap();
        assert_eq!(
            file.embeddings["reminders"],
            EmbeddingId::Text("rem-7".into())
        );
        file.tenants.into_iter().fold(
            TrustedHeader::new(HeaderName::from_static("x-org")),
            |r, (k, t)| r.with_tenant(k, t),
        )
    }

    fn with(values: &[&str]) -> Parts {
        let mut builder = http::Request::post("/");
        for value in values {
            builder = builder.header("x-org", *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_header_value_selects_the_tenant() {
        let acme = resolver().resolve(&with(&["acme"])).unwrap();
        assert_eq!(acme.entity_id.as_deref(), Some("acme"));
        assert!(acme.embeddings.allows("campaigns") && !acme.embeddings.allows("reminders"));
        let globex = resolver().resolve(&with(&["globex"])).unwrap();
        assert_eq!((globex.application_id, globex.entity_id), (None, None));
        assert!(globex.embeddings.allows("reminders"));
    }

    #[test]
    fn missing_unknown_or_doubled_headers_are_refused() {
        let r = resolver();
        assert!(matches!(
            r.resolve(&with(&[])),
            Err(TenantRejection::Unauthenticated(_))
        ));
        assert!(matches!(
            r.resolve(&with(&["initech"])),
            Err(TenantRejection::Forbidden(_))
        ));
        assert!(r.resolve(&with(&["acme", "globex"])).is_err());
    }

    #[test]
    fn with_trusted_proxies_only_their_header_counts() {
        let r = resolver().only_from(TrustedProxies::parse(["10.0.0.0/8"]).unwrap());
        let from = |peer: &str| {
            let mut request = with(&["acme"]);
            request
                .extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            request
        };
        assert_eq!(r.resolve(&from("10.0.0.2:5000")).unwrap().key, "acme");
        for refused in [from("192.0.2.9:5000"), with(&["acme"])] {
            assert!(matches!(
                r.resolve(&refused),
                Err(TenantRejection::Unauthenticated(_))
            ));
        }
    }

    #[test]
    fn a_refused_tenant_header_is_logged_once_not_per_request() {
        let r = resolver().only_from(TrustedProxies::parse(["10.0.0.0/8"]).unwrap());
        let mut stranger = with(&["acme"]);
        stranger
            .extensions
            .insert(ConnectInfo("192.0.2.9:5000".parse::<SocketAddr>().unwrap()));
        let logs = crate::test_log::captured(|| {
            for _ in 0..3 {
                assert!(r.resolve(&stranger).is_err());
            }
        });
        assert_eq!(
            logs.matches("did not come from a trusted proxy").count(),
            1,
            "{logs}"
        );
        assert!(logs.contains("peer=192.0.2.9"), "{logs}");
    }

    #[test]
    fn without_a_peer_address_the_warning_says_to_serve_with_connect_info() {
        let r = resolver().only_from(TrustedProxies::parse(["10.0.0.0/8"]).unwrap());
        let logs = crate::test_log::captured(|| {
            assert!(r.resolve(&with(&["acme"])).is_err());
        });
        assert!(
            logs.contains("no peer address")
                && logs.contains("into_make_service_with_connect_info::<SocketAddr>()"),
            "{logs}"
        );
        assert!(
            !logs.contains("did not come from a trusted proxy"),
            "not a stranger: {logs}"
        );
    }

    #[test]
    fn typos_in_the_file_are_errors_that_say_where() {
        let error = TenantsFile::parse("[tenants.acme]\nentityid = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("entityid"), "{error}");
        assert!(TenantsFile::parse("[embeddings]\na = \"\"\n").is_err());
    }

    #[test]
    fn an_embedding_of_the_file_says_its_product_as_the_options_do() {
        let file = TenantsFile::parse(
            "[embeddings]\ncampaigns = 42\nwizard = \"moments:w-1\"\nchatbot = \"answers\"\n",
        )
        .unwrap();
        assert_eq!(file.embeddings["campaigns"], EmbeddingId::Number(42));
        assert_eq!(file.embeddings["wizard"], EmbeddingId::Text("w-1".into()));
        assert_eq!(file.embeddings["chatbot"], Embedding::Answers);
        for (text, says) in [
            (
                "[embeddings]\nchatbot = \"answers:7\"\n",
                "embedding `chatbot`: an Answers embedding has no id",
            ),
            (
                "[embeddings]\nchatbot = \"answer:7\"\n",
                "embedding `chatbot`: unknown product `answer`",
            ),
        ] {
            let error = TenantsFile::parse(text).unwrap_err().to_string();
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
