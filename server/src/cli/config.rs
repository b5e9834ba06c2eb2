//! From options to a [`Config`]: which embeddings, which tenants, which limits. Every
//! refusal names the option (and its environment variable) to change.

use super::options::Cli;
use crate::config::Config;
use crate::config_error::ConfigError;
use crate::embeddings::{DEFAULT_EMBEDDING_NAME, Embeddings};
use crate::ops::OpsRoutes;
use crate::par_client::{EmbeddingId, ParClientConfig, RetryPolicy};
use crate::tenant::{EmbeddingAccess, SingleTenant, Tenant};
use crate::trusted_header::{TenantsFile, TrustedHeader};
use crate::trusted_proxies::TrustedProxies;
use crate::upstream_gate::UpstreamLimit;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use url::Url;

/// Where session requests go: Infobip, or the sandbox standing in for it.
pub(crate) struct Upstream {
    pub(crate) base_url: Url,
    pub(crate) api_key: SecretString,
    pub(crate) iframe_base_url: Url,
    /// The embedding to use when none is configured (the sandbox's).
    pub(crate) fallback_embedding: Option<String>,
}

impl Cli {
    /// The endpoint configuration these options describe, against `sandbox` when the
    /// simulator replaces Infobip.
    pub(crate) fn config(&self, sandbox: Option<Upstream>) -> Result<Config, ConfigError> {
        let upstream = match sandbox {
            Some(upstream) => upstream,
            None => Upstream {
                base_url: self.infobip_base_url.clone(),
                api_key: self.api_key()?,
                iframe_base_url: self.iframe_base_url.clone(),
                fallback_embedding: None,
            },
        };
        let file = self
            .tenants_file
            .as_deref()
            .map(TenantsFile::load)
            .transpose()?;
        let embeddings = self.embeddings(file.as_ref(), upstream.fallback_embedding)?;
        let par = ParClientConfig {
            base_url: upstream.base_url,
            api_key: upstream.api_key,
            iframe_base_url: upstream.iframe_base_url,
            connect_timeout: self.upstream_connect_timeout,
            request_timeout: self.upstream_timeout,
            retry: RetryPolicy {
                attempts: self.upstream_attempts,
                ..RetryPolicy::default()
            },
        };
        let mut config = Config::new(par, embeddings.clone())
            .with_session_path(self.session_path.clone())
            .with_body_limit(self.body_limit)
            .with_allowed_origins(self.allowed_origins.iter().filter(|o| !o.trim().is_empty()))
            .with_rate_limit(self.rate_limit.with_burst(self.rate_limit_burst))
            .with_upstream_limit(UpstreamLimit {
                concurrency: self.upstream_concurrency,
                queue_timeout: self.upstream_queue_timeout,
            })
            .with_upstream_deadline(self.upstream_deadline)
            .with_ops_routes(OpsRoutes {
                healthz: self.healthz_path.0.clone(),
                readyz: self.readyz_path.0.clone(),
                metrics: self.metrics_path.0.clone(),
            });
        if let Some(header) = &self.client_ip_header {
            config = config.with_client_ip_header(header.clone());
        }
        let proxies = self.trusted_proxies()?;
        if let Some(proxies) = &proxies {
            config = config.with_trusted_proxies(proxies.clone());
        }
        #[cfg(feature = "redis")]
        if let Some(url) = &self.rate_limit_store {
            let mut store = crate::RedisStore::new(url.clone());
            store.timeout = self.rate_limit_store_timeout;
            store.on_failure = self.rate_limit_store_failure;
            store.required_for_readiness = self.rate_limit_store_required;
            config = config.with_rate_limit_store(crate::RateLimitStore::Redis(store));
        }
        config = match (&self.tenant_header, file) {
            (Some(header), Some(file)) => {
                let resolver = self.trusted_header(header.clone(), file, &embeddings)?;
                config.with_tenants(match proxies {
                    Some(proxies) => resolver.only_from(proxies),
                    None => resolver,
                })
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "--tenant-header needs a tenants file mapping header values to tenants: set MOMENTS_TENANTS_FILE",
                ));
            }
            (None, Some(file)) if !file.tenants.is_empty() => {
                return Err(ConfigError::new(
                    "the tenants file lists tenants, but no header selects them: set MOMENTS_TENANT_HEADER to the header your auth proxy sets",
                ));
            }
            (None, _) => config.with_tenants(SingleTenant(Tenant {
                application_id: self.application_id.clone(),
                entity_id: self.entity_id.clone(),
                ..Tenant::account()
            })),
        };
        config.validate()?;
        Ok(config)
    }

    /// `--trusted-proxies`, if any: only with a header to believe, and a warning when a
    /// header is believed from anyone.
    fn trusted_proxies(&self) -> Result<Option<TrustedProxies>, ConfigError> {
        let headers = self.tenant_header.is_some() || self.client_ip_header.is_some();
        if self.trusted_proxies.is_empty() {
            if headers {
                tracing::warn!(
                    "MOMENTS_TENANT_HEADER or MOMENTS_CLIENT_IP_HEADER is believed from any client that reaches this server: make sure only your proxy can, or name it in MOMENTS_TRUSTED_PROXIES"
                );
            }
            return Ok(None);
        }
        if !headers {
            return Err(ConfigError::new(
                "MOMENTS_TRUSTED_PROXIES only says whose MOMENTS_TENANT_HEADER or MOMENTS_CLIENT_IP_HEADER to believe: set one of those, or leave it out",
            ));
        }
        TrustedProxies::parse(&self.trusted_proxies).map(Some)
    }

    fn api_key(&self) -> Result<SecretString, ConfigError> {
        self.infobip_api_key
            .clone()
            .filter(|key| !key.expose_secret().is_empty())
            .ok_or_else(|| {
                ConfigError::new(
                    "no Infobip API key: set INFOBIP_API_KEY (a key with the scopes account-management:manage, flow:manage, flow:read, flow:use), or run with --sandbox to use the local simulator",
                )
            })
    }

    /// The allowlist: `--embedding-id` (as `default`), `--embeddings`, the tenants
    /// file's `[embeddings]`; a name given twice is a mistake, not an override.
    fn embeddings(
        &self,
        file: Option<&TenantsFile>,
        fallback: Option<String>,
    ) -> Result<Embeddings, ConfigError> {
        let configured = self.embedding_id.is_some()
            || !self.embeddings.is_empty()
            || file.is_some_and(|f| !f.embeddings.is_empty());
        let single = self
            .embedding_id
            .clone()
            .or(fallback.filter(|_| !configured));
        let mut by_name = BTreeMap::new();
        let mut add = |name: &str, id: EmbeddingId, from: &str| match by_name
            .insert(name.to_owned(), id)
        {
            Some(_) => Err(ConfigError::new(format!(
                "the embedding name `{name}` is given twice (again in {from}); give each name once"
            ))),
            None => Ok(()),
        };
        if let Some(raw) = &single {
            let id = EmbeddingId::parse(raw)
                .ok_or_else(|| ConfigError::new("MOMENTS_EMBEDDING_ID is empty"))?;
            add(DEFAULT_EMBEDDING_NAME, id, "MOMENTS_EMBEDDING_ID")?;
        }
        for named in &self.embeddings {
            add(&named.name, named.id.clone(), "MOMENTS_EMBEDDINGS")?;
        }
        for (name, id) in file.map(|f| &f.embeddings).into_iter().flatten() {
            add(name, id.clone(), "the tenants file")?;
        }
        let default = match (&self.default_embedding, &single, self.embeddings.first()) {
            (Some(name), _, _) => name.clone(),
            (None, Some(_), _) => DEFAULT_EMBEDDING_NAME.to_owned(),
            (None, None, Some(first)) => first.name.clone(),
            (None, None, None) if by_name.len() == 1 => by_name.keys().cloned().collect(),
            (None, None, None) if by_name.is_empty() => {
                return Err(ConfigError::new(
                    "no embedding id: set MOMENTS_EMBEDDING_ID (your Infobip account manager gives it to you), or name several with MOMENTS_EMBEDDINGS=campaigns=42,reminders=43",
                ));
            }
            (None, None, None) => {
                return Err(ConfigError::new(format!(
                    "several embeddings and no default: set MOMENTS_DEFAULT_EMBEDDING to one of {}",
                    by_name.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        };
        Embeddings::named(default, by_name)
            .map_err(|e| ConfigError::new(format!("{e} (see MOMENTS_DEFAULT_EMBEDDING)")))
    }

    fn trusted_header(
        &self,
        header: http::HeaderName,
        file: TenantsFile,
        embeddings: &Embeddings,
    ) -> Result<TrustedHeader, ConfigError> {
        if self.application_id.is_some() || self.entity_id.is_some() {
            return Err(ConfigError::new(
                "MOMENTS_APPLICATION_ID and MOMENTS_ENTITY_ID are for single-tenant mode; with MOMENTS_TENANT_HEADER put each tenant's ids in the tenants file",
            ));
        }
        if file.tenants.is_empty() {
            return Err(ConfigError::new(
                "the tenants file lists no tenants: add a [tenants.<header value>] table per tenant",
            ));
        }
        let mut resolver = TrustedHeader::new(header);
        for (value, tenant) in file.tenants {
            if let EmbeddingAccess::Only(names) = &tenant.embeddings
                && let Some(unknown) = names.iter().find(|n| embeddings.get(n).is_none())
            {
                return Err(ConfigError::new(format!(
                    "tenant `{value}` may open `{unknown}`, which is not an embedding: add it to [embeddings] in the tenants file or to MOMENTS_EMBEDDINGS"
                )));
            }
            resolver = resolver.with_tenant(value, tenant);
        }
        Ok(resolver)
    }
}
