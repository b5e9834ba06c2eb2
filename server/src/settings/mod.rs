//! [`Settings`]: the companion's settings as text, read by the `moments-par` binary
//! (flags and environment variables, through clap) and by
//! [`Config::from_env`](crate::Config::from_env) (environment variables only), and turned
//! into a [`Config`] by the one conversion both share. Each setting is declared once
//! here: its variable, its default ([`defaults`]) and its parser ([`values`]).

pub(crate) mod values;

use crate::config::Config;
use crate::config_error::ConfigError;
use crate::embeddings::{DEFAULT_EMBEDDING_NAME, Embedding, Embeddings};
use crate::ops::OpsRoutes;
use crate::par_client::{ParClientConfig, RetryPolicy};
use crate::tenant::{EmbeddingAccess, SingleTenant, Tenant};
use crate::trusted_header::{TenantsFile, TrustedHeader};
use crate::trusted_proxies::TrustedProxies;
use crate::upstream_gate::UpstreamLimit;
use http::HeaderName;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;
use values::{NamedEmbedding, OpsPath, RateSetting};

/// The defaults, as text: clap and [`Settings::from_env`] parse the same string with the
/// same parser, so a default cannot differ between them.
pub(crate) mod defaults {
    pub(crate) const SESSION_PATH: &str = moments_protocol::DEFAULT_ENDPOINT;
    pub(crate) const BODY_LIMIT: &str = "4096";
    pub(crate) const HEALTHZ_PATH: &str = "/healthz";
    pub(crate) const READYZ_PATH: &str = "/readyz";
    pub(crate) const METRICS_PATH: &str = "/metrics";
    pub(crate) const INFOBIP_BASE_URL: &str = "https://api.infobip.com";
    pub(crate) const IFRAME_BASE_URL: &str = "https://embeddings.infobip.com";
    /// Assumed: Infobip documents Moments' frame address, not Answers'.
    pub(crate) const ANSWERS_IFRAME_BASE_URL: &str = "https://embeddings.infobip.com";
    pub(crate) const UPSTREAM_CONNECT_TIMEOUT: &str = "2s";
    pub(crate) const UPSTREAM_TIMEOUT: &str = "5s";
    pub(crate) const UPSTREAM_ATTEMPTS: &str = "3";
    pub(crate) const UPSTREAM_DEADLINE: &str = "10s";
    pub(crate) const UPSTREAM_CONCURRENCY: &str = "32";
    pub(crate) const UPSTREAM_QUEUE_TIMEOUT: &str = "1s";
    pub(crate) const RATE_LIMIT: &str = "60/min";
    pub(crate) const RATE_LIMIT_BURST: &str = "20";
    #[cfg(feature = "redis")]
    pub(crate) const RATE_LIMIT_STORE_TIMEOUT: &str = "50ms";
    #[cfg(feature = "redis")]
    pub(crate) const RATE_LIMIT_STORE_FAILURE: &str = "open";
    #[cfg(feature = "redis")]
    pub(crate) const RATE_LIMIT_STORE_REQUIRED: &str = "false";
}

/// Every setting of the companion itself (not of the process serving it), with its
/// environment variable and default.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Settings {
    /// Path of the session endpoint.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_SESSION_PATH",
            default_value = defaults::SESSION_PATH,
            value_parser = values::text,
        )
    )]
    pub session_path: String,

    /// Other origins whose pages may call the endpoint, with matching CORS
    /// (comma-separated, each as scheme://host or scheme://host:port). Its own origin
    /// always may.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_ALLOWED_ORIGINS",
            value_delimiter = ',',
            value_parser = values::text,
        )
    )]
    pub allowed_origins: Vec<String>,

    /// Largest accepted request body, in bytes.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_BODY_LIMIT",
            default_value = defaults::BODY_LIMIT,
            value_parser = values::number::<usize>,
        )
    )]
    pub body_limit: usize,

    /// Path of the liveness check, or off.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_HEALTHZ_PATH",
            default_value = defaults::HEALTHZ_PATH,
            value_parser = values::ops_path,
            help_heading = "Operations",
        )
    )]
    pub healthz_path: OpsPath,

    /// Path of the readiness check (`?upstream` also probes Infobip), or off.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_READYZ_PATH",
            default_value = defaults::READYZ_PATH,
            value_parser = values::ops_path,
            help_heading = "Operations",
        )
    )]
    pub readyz_path: OpsPath,

    /// Path of the Prometheus metrics, or off. They name no secret, but tell anyone
    /// who can reach them how busy the endpoint is: turn them off, or keep them from
    /// the internet at your proxy, where the port is public.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_METRICS_PATH",
            default_value = defaults::METRICS_PATH,
            value_parser = values::ops_path,
            help_heading = "Operations",
        )
    )]
    pub metrics_path: OpsPath,

    /// Your Infobip account's personal base URL.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "INFOBIP_BASE_URL",
            default_value = defaults::INFOBIP_BASE_URL,
            value_parser = values::url,
            help_heading = "Infobip",
        )
    )]
    pub infobip_base_url: Url,

    /// Infobip API key with account-management:manage, flow:manage, flow:read, flow:use
    /// (and answers:manage, voice-message:manage for Answers embeddings). Required
    /// (unless --sandbox). Prefer the environment variable: command lines are visible to
    /// other users.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "INFOBIP_API_KEY",
            hide_env_values = true,
            value_parser = values::secret,
            help_heading = "Infobip",
        )
    )]
    pub infobip_api_key: Option<SecretString>,

    /// Where the Moments frame lives (also the CSP frame-src of --static-dir).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_IFRAME_BASE_URL",
            default_value = defaults::IFRAME_BASE_URL,
            value_parser = values::url,
            help_heading = "Infobip",
        )
    )]
    pub iframe_base_url: Url,

    /// Where the Answers frame lives (also in the CSP frame-src of --static-dir, when an
    /// embedding opens Answers). Infobip does not document it: assumed the same as
    /// Moments'.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "ANSWERS_IFRAME_BASE_URL",
            default_value = defaults::ANSWERS_IFRAME_BASE_URL,
            value_parser = values::url,
            help_heading = "Infobip",
        )
    )]
    pub answers_iframe_base_url: Url,

    /// Connect timeout (TCP and TLS) for calls to Infobip.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_UPSTREAM_CONNECT_TIMEOUT",
            default_value = defaults::UPSTREAM_CONNECT_TIMEOUT,
            value_parser = values::duration,
            help_heading = "Infobip",
        )
    )]
    pub upstream_connect_timeout: Duration,

    /// Timeout of one call to Infobip, response body included.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_UPSTREAM_TIMEOUT",
            default_value = defaults::UPSTREAM_TIMEOUT,
            value_parser = values::duration,
            help_heading = "Infobip",
        )
    )]
    pub upstream_timeout: Duration,

    /// Attempts per session request, the first included (1 = no retry). Only
    /// connection errors, timeouts, 5xx and 429 are retried.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_UPSTREAM_ATTEMPTS",
            default_value = defaults::UPSTREAM_ATTEMPTS,
            value_parser = values::number::<u32>,
            help_heading = "Infobip",
        )
    )]
    pub upstream_attempts: u32,

    /// Time one session request may spend on Infobip in all, retries included. Keep
    /// it below the component's fetch timeout (15s).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_UPSTREAM_DEADLINE",
            default_value = defaults::UPSTREAM_DEADLINE,
            value_parser = values::duration,
            help_heading = "Infobip",
        )
    )]
    pub upstream_deadline: Duration,

    /// Calls to Infobip in flight at most (per process).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_UPSTREAM_CONCURRENCY",
            default_value = defaults::UPSTREAM_CONCURRENCY,
            value_parser = values::number::<usize>,
            help_heading = "Infobip",
        )
    )]
    pub upstream_concurrency: usize,

    /// How long a request waits for a free upstream slot before a 503.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_UPSTREAM_QUEUE_TIMEOUT",
            default_value = defaults::UPSTREAM_QUEUE_TIMEOUT,
            value_parser = values::duration,
            help_heading = "Infobip",
        )
    )]
    pub upstream_queue_timeout: Duration,

    /// The Moments embedding to open when the browser names none (from your Infobip
    /// account manager). Allowlisted under the name `default`.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_EMBEDDING_ID",
            value_parser = values::text,
            help_heading = "Embeddings",
        )
    )]
    pub embedding_id: Option<String>,

    /// Named embeddings the browser may ask for, comma-separated: campaigns=42,reminders=43.
    /// name=answers is an Answers embedding (the chatbot builder; no id). Without
    /// --embedding-id the first one is the default.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_EMBEDDINGS",
            value_delimiter = ',',
            value_parser = values::named_embedding,
            help_heading = "Embeddings",
        )
    )]
    pub embeddings: Vec<NamedEmbedding>,

    /// The name opened when the browser names none (overrides the rules above).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_DEFAULT_EMBEDDING",
            value_parser = values::text,
            help_heading = "Embeddings",
        )
    )]
    pub default_embedding: Option<String>,

    /// X application id every session is minted for (single-tenant mode).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_APPLICATION_ID",
            value_parser = values::text,
            help_heading = "Tenants",
        )
    )]
    pub application_id: Option<String>,

    /// X entity id every session is minted for (single-tenant mode).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_ENTITY_ID",
            value_parser = values::text,
            help_heading = "Tenants",
        )
    )]
    pub entity_id: Option<String>,

    /// Trusted-header mode: the header your auth proxy sets to the user's tenant name.
    /// Needs --tenants-file. Only safe when every request passes that proxy (name it
    /// with --trusted-proxies).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_TENANT_HEADER",
            value_parser = values::header_name,
            help_heading = "Tenants",
        )
    )]
    pub tenant_header: Option<HeaderName>,

    /// TOML file mapping tenant names to X application/entity ids and allowed
    /// embeddings (and naming more embeddings). Needs --tenant-header.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "MOMENTS_TENANTS_FILE", help_heading = "Tenants")
    )]
    pub tenants_file: Option<PathBuf>,

    /// The proxies in front of this server (addresses or networks, e.g.
    /// 10.0.0.0/8,fd00::/8): --tenant-header and --client-ip-header are believed only
    /// on connections from them. From any other peer the tenant header is refused (401)
    /// and the client IP header ignored.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_TRUSTED_PROXIES",
            value_delimiter = ',',
            value_parser = values::trusted_proxy,
            help_heading = "Tenants",
        )
    )]
    pub trusted_proxies: Vec<String>,

    /// Session requests per client: N/s, N/min or N/h, or off.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_RATE_LIMIT",
            default_value = defaults::RATE_LIMIT,
            value_parser = values::rate,
            help_heading = "Rate limiting",
        )
    )]
    pub rate_limit: RateSetting,

    /// Requests a client may make at once after a quiet spell.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_RATE_LIMIT_BURST",
            default_value = defaults::RATE_LIMIT_BURST,
            value_parser = values::number::<u32>,
            help_heading = "Rate limiting",
        )
    )]
    pub rate_limit_burst: u32,

    /// Take the client address from this header's last entry (e.g. x-forwarded-for,
    /// x-real-ip) instead of the socket. Only behind a proxy you control that sets it
    /// (name it with --trusted-proxies).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_CLIENT_IP_HEADER",
            value_parser = values::header_name,
            help_heading = "Rate limiting",
        )
    )]
    pub client_ip_header: Option<HeaderName>,

    /// Keep the rate limit's buckets in this Redis (redis://host:port, rediss:// for
    /// TLS), shared by every replica, instead of in this process.
    #[cfg(feature = "redis")]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_RATE_LIMIT_STORE",
            value_parser = values::text,
            help_heading = "Rate limiting",
        )
    )]
    pub rate_limit_store: Option<String>,

    /// How long one check of the shared store may take, connecting included.
    #[cfg(feature = "redis")]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_RATE_LIMIT_STORE_TIMEOUT",
            default_value = defaults::RATE_LIMIT_STORE_TIMEOUT,
            value_parser = values::duration,
            help_heading = "Rate limiting",
        )
    )]
    pub rate_limit_store_timeout: Duration,

    /// When the shared store fails or is slow: serve the request unlimited (open) or
    /// refuse it with 503 unavailable (closed).
    #[cfg(feature = "redis")]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_RATE_LIMIT_STORE_FAILURE",
            default_value = defaults::RATE_LIMIT_STORE_FAILURE,
            value_parser = values::store_failure,
            help_heading = "Rate limiting",
        )
    )]
    pub rate_limit_store_failure: crate::StoreFailure,

    /// Answer /readyz with 503 while the shared store is unreachable (off: report its
    /// state in the body and stay ready).
    #[cfg(feature = "redis")]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "MOMENTS_RATE_LIMIT_STORE_REQUIRED",
            value_parser = values::flag,
            help_heading = "Rate limiting",
        )
    )]
    pub rate_limit_store_required: bool,
}

/// Where session requests go: Infobip, or the sandbox standing in for it.
pub(crate) struct Upstream {
    pub(crate) base_url: Url,
    pub(crate) api_key: SecretString,
    pub(crate) iframe_base_url: Url,
    pub(crate) answers_iframe_base_url: Url,
    /// The embeddings to allow when none is configured (the sandbox's): a Moments id,
    /// the default, and the name of an Answers embedding beside it.
    pub(crate) fallback_embedding: Option<String>,
    pub(crate) fallback_answers: Option<String>,
}

// Declared here rather than beside `Config`'s other constructors: it is the settings'
// reader, and `config` does not depend on it.
impl Config {
    /// The configuration the `moments-par` binary reads from its environment variables
    /// (`INFOBIP_BASE_URL`, `INFOBIP_API_KEY`, `MOMENTS_IFRAME_BASE_URL`,
    /// `MOMENTS_EMBEDDING_ID`, `MOMENTS_ALLOWED_ORIGINS`, …: every setting of the
    /// companion itself, with the binary's defaults; `moments-par --help` lists them),
    /// checked as the binary checks them. The error names the variable to fix.
    ///
    /// What configures a process rather than the companion (its listen address, log
    /// format, static files, shutdown timeout) is the host's own, and not read. The
    /// operations routes are on, as in the binary, unless their variables say `off`:
    /// `MOMENTS_HEALTHZ_PATH`, `MOMENTS_READYZ_PATH`, `MOMENTS_METRICS_PATH`.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let service = moments_par::SessionService::new(moments_par::Config::from_env()?)?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Settings::from_env()?.config(None)
    }
}

impl Settings {
    /// The settings in this process's environment.
    pub(crate) fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&|name| std::env::var_os(name))
    }

    /// The settings in the variables `var` looks up, each parsed as clap parses it: a
    /// variable that is set (empty too) is parsed, one that is not takes the default; a
    /// list is split at commas. The error names the variable.
    pub(crate) fn from_vars(var: &dyn Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let env = Environment(var);
        Ok(Self {
            session_path: env.value(
                "MOMENTS_SESSION_PATH",
                defaults::SESSION_PATH,
                values::text,
            )?,
            allowed_origins: env.list("MOMENTS_ALLOWED_ORIGINS", values::text)?,
            body_limit: env.value("MOMENTS_BODY_LIMIT", defaults::BODY_LIMIT, values::number)?,
            healthz_path: env.value(
                "MOMENTS_HEALTHZ_PATH",
                defaults::HEALTHZ_PATH,
                values::ops_path,
            )?,
            readyz_path: env.value(
                "MOMENTS_READYZ_PATH",
                defaults::READYZ_PATH,
                values::ops_path,
            )?,
            metrics_path: env.value(
                "MOMENTS_METRICS_PATH",
                defaults::METRICS_PATH,
                values::ops_path,
            )?,
            infobip_base_url: env.value(
                "INFOBIP_BASE_URL",
                defaults::INFOBIP_BASE_URL,
                values::url,
            )?,
            infobip_api_key: env.optional("INFOBIP_API_KEY", values::secret)?,
            iframe_base_url: env.value(
                "MOMENTS_IFRAME_BASE_URL",
                defaults::IFRAME_BASE_URL,
                values::url,
            )?,
            answers_iframe_base_url: env.value(
                "ANSWERS_IFRAME_BASE_URL",
                defaults::ANSWERS_IFRAME_BASE_URL,
                values::url,
            )?,
            upstream_connect_timeout: env.value(
                "MOMENTS_UPSTREAM_CONNECT_TIMEOUT",
                defaults::UPSTREAM_CONNECT_TIMEOUT,
                values::duration,
            )?,
            upstream_timeout: env.value(
                "MOMENTS_UPSTREAM_TIMEOUT",
                defaults::UPSTREAM_TIMEOUT,
                values::duration,
            )?,
            upstream_attempts: env.value(
                "MOMENTS_UPSTREAM_ATTEMPTS",
                defaults::UPSTREAM_ATTEMPTS,
                values::number,
            )?,
            upstream_deadline: env.value(
                "MOMENTS_UPSTREAM_DEADLINE",
                defaults::UPSTREAM_DEADLINE,
                values::duration,
            )?,
            upstream_concurrency: env.value(
                "MOMENTS_UPSTREAM_CONCURRENCY",
                defaults::UPSTREAM_CONCURRENCY,
                values::number,
            )?,
            upstream_queue_timeout: env.value(
                "MOMENTS_UPSTREAM_QUEUE_TIMEOUT",
                defaults::UPSTREAM_QUEUE_TIMEOUT,
                values::duration,
            )?,
            embedding_id: env.optional("MOMENTS_EMBEDDING_ID", values::text)?,
            embeddings: env.list("MOMENTS_EMBEDDINGS", values::named_embedding)?,
            default_embedding: env.optional("MOMENTS_DEFAULT_EMBEDDING", values::text)?,
            application_id: env.optional("MOMENTS_APPLICATION_ID", values::text)?,
            entity_id: env.optional("MOMENTS_ENTITY_ID", values::text)?,
            tenant_header: env.optional("MOMENTS_TENANT_HEADER", values::header_name)?,
            // A path need not be UTF-8, as clap takes it.
            tenants_file: var("MOMENTS_TENANTS_FILE").map(PathBuf::from),
            trusted_proxies: env.list("MOMENTS_TRUSTED_PROXIES", values::trusted_proxy)?,
            rate_limit: env.value("MOMENTS_RATE_LIMIT", defaults::RATE_LIMIT, values::rate)?,
            rate_limit_burst: env.value(
                "MOMENTS_RATE_LIMIT_BURST",
                defaults::RATE_LIMIT_BURST,
                values::number,
            )?,
            client_ip_header: env.optional("MOMENTS_CLIENT_IP_HEADER", values::header_name)?,
            #[cfg(feature = "redis")]
            rate_limit_store: env.optional("MOMENTS_RATE_LIMIT_STORE", values::text)?,
            #[cfg(feature = "redis")]
            rate_limit_store_timeout: env.value(
                "MOMENTS_RATE_LIMIT_STORE_TIMEOUT",
                defaults::RATE_LIMIT_STORE_TIMEOUT,
                values::duration,
            )?,
            #[cfg(feature = "redis")]
            rate_limit_store_failure: env.value(
                "MOMENTS_RATE_LIMIT_STORE_FAILURE",
                defaults::RATE_LIMIT_STORE_FAILURE,
                values::store_failure,
            )?,
            #[cfg(feature = "redis")]
            rate_limit_store_required: env.value(
                "MOMENTS_RATE_LIMIT_STORE_REQUIRED",
                defaults::RATE_LIMIT_STORE_REQUIRED,
                values::flag,
            )?,
        })
    }

    /// The endpoint configuration these settings describe, against `sandbox` when the
    /// simulator replaces Infobip. Every refusal names the setting (by its environment
    /// variable) to change.
    pub(crate) fn config(&self, sandbox: Option<Upstream>) -> Result<Config, ConfigError> {
        let upstream = match sandbox {
            Some(upstream) => upstream,
            None => Upstream {
                base_url: self.infobip_base_url.clone(),
                api_key: self.api_key()?,
                iframe_base_url: self.iframe_base_url.clone(),
                answers_iframe_base_url: self.answers_iframe_base_url.clone(),
                fallback_embedding: None,
                fallback_answers: None,
            },
        };
        let file = self
            .tenants_file
            .as_deref()
            .map(TenantsFile::load)
            .transpose()?;
        let embeddings = self.embeddings(
            file.as_ref(),
            upstream.fallback_embedding,
            upstream.fallback_answers,
        )?;
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
            .with_answers_iframe_base_url(upstream.answers_iframe_base_url)
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
        config.origins_setting = "MOMENTS_ALLOWED_ORIGINS";
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
                    "the tenant header (MOMENTS_TENANT_HEADER) needs a tenants file mapping header values to tenants: set MOMENTS_TENANTS_FILE",
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

    /// `MOMENTS_TRUSTED_PROXIES`, if any (empty entries skipped): only with a header to
    /// believe, and a warning when a header is believed from anyone.
    fn trusted_proxies(&self) -> Result<Option<TrustedProxies>, ConfigError> {
        let headers = self.tenant_header.is_some() || self.client_ip_header.is_some();
        let listed: Vec<&str> = self
            .trusted_proxies
            .iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .collect();
        if listed.is_empty() {
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
        TrustedProxies::parse(listed).map(Some)
    }

    fn api_key(&self) -> Result<SecretString, ConfigError> {
        self.infobip_api_key
            .clone()
            .filter(|key| !key.expose_secret().is_empty())
            .ok_or_else(|| {
                ConfigError::new(
                    "no Infobip API key: set INFOBIP_API_KEY (a key with the scopes account-management:manage, flow:manage, flow:read, flow:use, and answers:manage, voice-message:manage for Answers embeddings), or run with --sandbox to use the local simulator",
                )
            })
    }

    /// The allowlist: `MOMENTS_EMBEDDING_ID` (as `default`), `MOMENTS_EMBEDDINGS`, the
    /// tenants file's `[embeddings]`; a name given twice is a mistake, not an override.
    /// With none of them, the fallbacks (the sandbox's): a Moments `default`, and an
    /// Answers embedding named `fallback_answers`.
    fn embeddings(
        &self,
        file: Option<&TenantsFile>,
        fallback: Option<String>,
        fallback_answers: Option<String>,
    ) -> Result<Embeddings, ConfigError> {
        let configured = self.embedding_id.is_some()
            || !self.embeddings.is_empty()
            || file.is_some_and(|f| !f.embeddings.is_empty());
        let single = self
            .embedding_id
            .clone()
            .or(fallback.filter(|_| !configured));
        let mut by_name = BTreeMap::new();
        let mut add = |name: &str, embedding: Embedding, from: &str| match by_name
            .insert(name.to_owned(), embedding)
        {
            Some(_) => Err(ConfigError::new(format!(
                "the embedding name `{name}` is given twice (again in {from}); give each name once"
            ))),
            None => Ok(()),
        };
        if let Some(raw) = &single {
            if raw.trim().is_empty() {
                return Err(ConfigError::new("MOMENTS_EMBEDDING_ID is empty"));
            }
            let embedding = values::embedding(raw)
                .map_err(|problem| ConfigError::new(format!("MOMENTS_EMBEDDING_ID: {problem}")))?;
            if embedding == Embedding::Answers {
                return Err(ConfigError::new(
                    "MOMENTS_EMBEDDING_ID is a Moments embedding id; to open Answers by default, name an Answers embedding in MOMENTS_EMBEDDINGS (chatbot=answers) and set MOMENTS_DEFAULT_EMBEDDING=chatbot",
                ));
            }
            add(DEFAULT_EMBEDDING_NAME, embedding, "MOMENTS_EMBEDDING_ID")?;
        }
        if let Some(name) = fallback_answers.filter(|_| !configured) {
            add(&name, Embedding::Answers, "the sandbox's embeddings")?;
        }
        for named in &self.embeddings {
            add(&named.name, named.embedding.clone(), "MOMENTS_EMBEDDINGS")?;
        }
        for (name, embedding) in file.map(|f| &f.embeddings).into_iter().flatten() {
            add(name, embedding.clone(), "the tenants file")?;
        }
        let default = match (&self.default_embedding, &single, self.embeddings.first()) {
            (Some(name), _, _) => name.clone(),
            (None, Some(_), _) => DEFAULT_EMBEDDING_NAME.to_owned(),
            (None, None, Some(first)) => first.name.clone(),
            (None, None, None) if by_name.len() == 1 => by_name.keys().cloned().collect(),
            (None, None, None) if by_name.is_empty() => {
                return Err(ConfigError::new(
                    "no embedding id: set MOMENTS_EMBEDDING_ID (your Infobip account manager gives it to you), or name several with MOMENTS_EMBEDDINGS=campaigns=42,reminders=43 (chatbot=answers for Answers)",
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
        header: HeaderName,
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
                && let Some(unknown) = names.iter().find(|n| embeddings.embedding(n).is_none())
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

/// Variables by name, read as clap reads them.
struct Environment<'a>(&'a dyn Fn(&str) -> Option<OsString>);

impl Environment<'_> {
    /// The variable's text, when it is set.
    fn text(&self, name: &str) -> Result<Option<String>, ConfigError> {
        (self.0)(name)
            .map(|raw| {
                raw.into_string()
                    .map_err(|_| ConfigError::new(format!("{name} is not valid UTF-8")))
            })
            .transpose()
    }

    /// The variable's value, or `default`'s.
    fn value<T, E: Display>(
        &self,
        name: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, ConfigError> {
        let raw = self.text(name)?;
        parse(raw.as_deref().unwrap_or(default)).map_err(|error| invalid(name, &error))
    }

    /// The variable's value, when it is set.
    fn optional<T, E: Display>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ConfigError> {
        self.text(name)?
            .map(|raw| parse(&raw).map_err(|error| invalid(name, &error)))
            .transpose()
    }

    /// The variable's comma-separated values, none when it is not set.
    fn list<T, E: Display>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Vec<T>, ConfigError> {
        self.text(name)?.map_or_else(
            || Ok(Vec::new()),
            |raw| {
                raw.split(',')
                    .map(|entry| parse(entry).map_err(|error| invalid(name, &error)))
                    .collect()
            },
        )
    }
}

fn invalid(name: &str, error: &dyn Display) -> ConfigError {
    ConfigError::new(format!("{name}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The configuration `vars` describe, read as `Config::from_env` reads the process's.
    fn from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), OsString::from(value)))
            .collect();
        Settings::from_vars(&|name| vars.get(name).cloned())?.config(None)
    }

    fn error(vars: &[(&str, &str)]) -> String {
        from(vars).expect_err("refused").to_string()
    }

    const KEY: (&str, &str) = ("INFOBIP_API_KEY", "k");
    const ID: (&str, &str) = ("MOMENTS_EMBEDDING_ID", "42");

    #[test]
    fn a_value_that_does_not_parse_is_refused_naming_its_variable() {
        for (vars, expected) in [
            (
                [KEY, ID, ("MOMENTS_RATE_LIMIT", "60/day")],
                "MOMENTS_RATE_LIMIT: `60/day` is not a rate; write e.g. 60/min",
            ),
            (
                [KEY, ID, ("MOMENTS_BODY_LIMIT", "4k")],
                "MOMENTS_BODY_LIMIT: `4k` is not a whole number",
            ),
            (
                [KEY, ID, ("MOMENTS_UPSTREAM_TIMEOUT", "2 weeks")],
                "MOMENTS_UPSTREAM_TIMEOUT: unknown unit `weeks`",
            ),
            (
                [KEY, ID, ("INFOBIP_BASE_URL", "xxxx.api.infobip.com")],
                "INFOBIP_BASE_URL: `xxxx.api.infobip.com` is not a URL",
            ),
            (
                [KEY, ID, ("MOMENTS_CLIENT_IP_HEADER", "x forwarded")],
                "MOMENTS_CLIENT_IP_HEADER: `x forwarded` is not a valid HTTP header name",
            ),
            (
                [KEY, ID, ("MOMENTS_RATE_LIMIT_STORE_FAILURE", "sometimes")],
                "MOMENTS_RATE_LIMIT_STORE_FAILURE: `sometimes`: open (serve unlimited) or closed",
            ),
        ] {
            let error = error(&vars);
            assert!(
                error.starts_with(expected),
                "`{error}` should say `{expected}`"
            );
        }
    }

    #[test]
    fn a_bad_entry_of_a_list_is_refused_by_name() {
        let proxy = error(&[
            KEY,
            ID,
            ("MOMENTS_CLIENT_IP_HEADER", "x-forwarded-for"),
            ("MOMENTS_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal"),
        ]);
        assert_eq!(
            proxy,
            "MOMENTS_TRUSTED_PROXIES: trusted proxy `proxy.internal` is not an IP address: give an address (10.0.0.7) or a network (10.0.0.0/8)"
        );
        let named = error(&[KEY, ("MOMENTS_EMBEDDINGS", "campaigns=42,reminders")]);
        assert!(
            named.starts_with("MOMENTS_EMBEDDINGS: `reminders` is not name=id"),
            "{named}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_value_that_is_not_utf8_is_refused_naming_its_variable() {
        use std::os::unix::ffi::OsStringExt;
        let vars = |name: &str| match name {
            "INFOBIP_API_KEY" => Some(OsString::from("k")),
            "MOMENTS_EMBEDDING_ID" => Some(OsString::from_vec(vec![b'4', 0xff])),
            _ => None,
        };
        let error = Settings::from_vars(&vars).unwrap_err().to_string();
        assert_eq!(error, "MOMENTS_EMBEDDING_ID is not valid UTF-8");
    }

    #[test]
    fn settings_that_cannot_work_together_are_refused_as_by_the_binary() {
        for (vars, expected) in [
            (&[ID][..], "set INFOBIP_API_KEY"),
            (&[KEY][..], "set MOMENTS_EMBEDDING_ID"),
            (
                &[KEY, ("MOMENTS_EMBEDDING_ID", " ")][..],
                "MOMENTS_EMBEDDING_ID is empty",
            ),
            (
                &[KEY, ID, ("MOMENTS_TENANT_HEADER", "x-org")][..],
                "set MOMENTS_TENANTS_FILE",
            ),
            (
                &[KEY, ID, ("MOMENTS_TRUSTED_PROXIES", "10.0.0.0/8")][..],
                "set one of those, or leave it out",
            ),
            (
                &[KEY, ID, ("MOMENTS_METRICS_PATH", "metrics")][..],
                "`metrics` must start with `/`",
            ),
            (
                &[KEY, ID, ("MOMENTS_ALLOWED_ORIGINS", "app.example.com")][..],
                "scheme://host[:port]",
            ),
            (
                &[KEY, ID, ("MOMENTS_TENANTS_FILE", "/nonexistent.toml")][..],
                "cannot read the tenants file /nonexistent.toml",
            ),
        ] {
            let error = error(vars);
            assert!(
                error.contains(expected),
                "{vars:?}: `{error}` should say `{expected}`"
            );
        }
    }

    #[test]
    fn an_embedding_says_its_product_and_answers_gets_its_own_frame() {
        let config = from(&[
            KEY,
            ("MOMENTS_EMBEDDINGS", "campaigns=42, chatbot = answers"),
        ])
        .unwrap();
        assert_eq!(config.embeddings.default_name(), "campaigns");
        assert_eq!(
            config.embeddings.embedding("campaigns"),
            Some(&Embedding::Moments(crate::EmbeddingId::Number(42)))
        );
        assert_eq!(
            config.embeddings.embedding("chatbot"),
            Some(&Embedding::Answers)
        );
        assert_eq!(
            config.answers_iframe_base_url.as_ref().map(Url::as_str),
            Some("https://embeddings.infobip.com/"),
            "assumed to be Moments' host unless set"
        );
        let moved = from(&[
            KEY,
            ("MOMENTS_EMBEDDINGS", "chatbot=answers"),
            ("ANSWERS_IFRAME_BASE_URL", "https://answers.example/frame"),
        ])
        .unwrap();
        assert_eq!(moved.embeddings.default_name(), "chatbot", "Answers alone");
        assert_eq!(
            moved.answers_iframe_base_url.as_ref().map(Url::as_str),
            Some("https://answers.example/frame")
        );
        let explicit = from(&[KEY, ("MOMENTS_EMBEDDING_ID", "moments:42")]).unwrap();
        assert_eq!(
            explicit.embeddings.get(DEFAULT_EMBEDDING_NAME),
            Some(&crate::EmbeddingId::Number(42))
        );
    }

    #[test]
    fn a_product_that_cannot_be_is_refused_naming_the_variable() {
        for (vars, expected) in [
            (
                &[KEY, ("MOMENTS_EMBEDDINGS", "chatbot=answers:42")][..],
                "MOMENTS_EMBEDDINGS: `chatbot=answers:42`: an Answers embedding has no id",
            ),
            (
                &[KEY, ("MOMENTS_EMBEDDINGS", "chatbot=answer:42")][..],
                "MOMENTS_EMBEDDINGS: `chatbot=answer:42`: unknown product `answer`",
            ),
            (
                &[KEY, ("MOMENTS_EMBEDDINGS", "campaigns=moments")][..],
                "MOMENTS_EMBEDDINGS: `campaigns=moments`: a Moments embedding needs its id",
            ),
            (
                &[KEY, ("MOMENTS_EMBEDDING_ID", "answers")][..],
                "MOMENTS_EMBEDDING_ID is a Moments embedding id",
            ),
            (
                &[KEY, ("MOMENTS_EMBEDDING_ID", "answers:1")][..],
                "MOMENTS_EMBEDDING_ID: an Answers embedding has no id",
            ),
            (
                &[
                    KEY,
                    ("MOMENTS_EMBEDDINGS", "campaigns=42,chatbot=answers"),
                    ("MOMENTS_DEFAULT_EMBEDDING", "bot"),
                ][..],
                "the default embedding `bot` is not in the embedding list (campaigns, chatbot) (see MOMENTS_DEFAULT_EMBEDDING)",
            ),
            (
                &[
                    KEY,
                    ("MOMENTS_EMBEDDINGS", "chatbot=answers"),
                    ("ANSWERS_IFRAME_BASE_URL", "embeddings.infobip.com"),
                ][..],
                "ANSWERS_IFRAME_BASE_URL: `embeddings.infobip.com` is not a URL",
            ),
            (
                &[
                    KEY,
                    ("MOMENTS_EMBEDDINGS", "chatbot=answers"),
                    ("ANSWERS_IFRAME_BASE_URL", "ftp://frames.example"),
                ][..],
                "the Answers iframe base URL `ftp://frames.example/` must be an http(s) URL with a host",
            ),
        ] {
            let error = error(vars);
            assert!(
                error.starts_with(expected),
                "{vars:?}: `{error}` should say `{expected}`"
            );
        }
    }

    #[test]
    fn the_tenants_file_names_answers_embeddings_too() {
        let dir = std::env::temp_dir().join(format!("moments-par-answers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tenants = dir.join("tenants.toml");
        let file = ("MOMENTS_TENANTS_FILE", tenants.to_str().unwrap());
        let header = ("MOMENTS_TENANT_HEADER", "x-org");
        std::fs::write(
            &tenants,
            "[embeddings]\ncampaigns = 42\nchatbot = \"answers\"\n[tenants.acme]\nembeddings = [\"chatbot\"]\n",
        )
        .unwrap();
        let config = from(&[
            KEY,
            file,
            header,
            ("MOMENTS_DEFAULT_EMBEDDING", "campaigns"),
        ])
        .unwrap();
        assert_eq!(
            config.embeddings.embedding("chatbot"),
            Some(&Embedding::Answers)
        );
        std::fs::write(&tenants, "[embeddings]\nchatbot = \"answers:3\"\n").unwrap();
        let refused = error(&[KEY, file]);
        assert!(
            refused.contains("embedding `chatbot`: an Answers embedding has no id"),
            "{refused}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The command line says the same as the variables, and clap names the flag.
    #[cfg(feature = "cli")]
    #[test]
    fn the_command_line_names_each_embeddings_product() {
        use clap::Parser;
        let parse = |args: &[&str]| {
            let mut argv = vec!["moments-par", "--infobip-api-key", "k"];
            argv.extend_from_slice(args);
            crate::cli::Cli::try_parse_from(argv)
                .map_err(|e| e.to_string())
                .and_then(|cli| cli.companion.config(None).map_err(|e| e.to_string()))
        };
        let config = parse(&[
            "--embeddings",
            "campaigns=42,chatbot=answers",
            "--answers-iframe-base-url",
            "https://answers.example",
        ])
        .unwrap();
        assert_eq!(
            config.embeddings.embedding("chatbot"),
            Some(&Embedding::Answers)
        );
        assert_eq!(
            config.answers_iframe_base_url.as_ref().map(Url::as_str),
            Some("https://answers.example/")
        );
        let error = parse(&["--embeddings", "chatbot=answers:42"]).unwrap_err();
        assert!(
            error.contains("--embeddings") && error.contains("an Answers embedding has no id"),
            "{error}"
        );
        let error = parse(&["--embedding-id", "answers"]).unwrap_err();
        assert!(
            error.contains("MOMENTS_EMBEDDING_ID is a Moments embedding id"),
            "{error}"
        );
    }

    #[test]
    fn empty_proxy_entries_are_skipped_as_empty_origins_are() {
        let trailing = from(&[
            KEY,
            ID,
            ("MOMENTS_CLIENT_IP_HEADER", "x-forwarded-for"),
            ("MOMENTS_TRUSTED_PROXIES", "10.0.0.0/8,"),
            ("MOMENTS_ALLOWED_ORIGINS", "https://app.example.com,"),
        ])
        .unwrap();
        assert_eq!(
            format!("{:?}", trailing.client_ip.proxies),
            "Some([10.0.0.0/8])"
        );
        assert_eq!(trailing.allowed_origins, ["https://app.example.com"]);
        let empty = from(&[KEY, ID, ("MOMENTS_TRUSTED_PROXIES", "")]).unwrap();
        assert!(empty.client_ip.proxies.is_none(), "as if not set");
        let spaces = from(&[KEY, ID, ("MOMENTS_TRUSTED_PROXIES", " , ")]).unwrap();
        assert!(spaces.client_ip.proxies.is_none());
    }

    #[test]
    fn a_header_believed_from_any_peer_is_warned_about_at_start() {
        for header in ["MOMENTS_CLIENT_IP_HEADER", "MOMENTS_TENANT_HEADER"] {
            let dir = std::env::temp_dir().join(format!(
                "moments-par-believed-{}-{header}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let tenants = dir.join("tenants.toml");
            std::fs::write(&tenants, "[tenants.acme]\n").unwrap();
            let file = ("MOMENTS_TENANTS_FILE", tenants.to_str().unwrap());
            let warned = |proxies: &str| {
                let mut vars = vec![
                    KEY,
                    ID,
                    (header, "x-org"),
                    ("MOMENTS_TRUSTED_PROXIES", proxies),
                ];
                if header == "MOMENTS_TENANT_HEADER" {
                    vars.push(file);
                }
                crate::test_log::captured(|| {
                    from(&vars).unwrap();
                })
            };
            let anyone = warned("");
            assert!(
                anyone.contains("WARN")
                    && anyone.contains("is believed from any client that reaches this server"),
                "{header}: {anyone}"
            );
            assert!(
                !warned("10.0.0.0/8").contains("believed from any client"),
                "{header}, with its proxy named"
            );
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn a_refusal_names_the_variable_that_lists_the_origins() {
        let config = from(&[KEY, ID]).unwrap();
        assert_eq!(config.origins_setting, "MOMENTS_ALLOWED_ORIGINS");
        let in_code = config.with_allowed_origins(["https://a.test"]);
        assert_eq!(in_code.origins_setting, "Config::with_allowed_origins");
    }

    #[cfg(all(feature = "cli", feature = "redis"))]
    #[test]
    fn a_switch_is_a_bare_flag_on_the_command_line() {
        use clap::Parser;
        let parse = |args: &[&str]| {
            crate::cli::Cli::try_parse_from(args)
                .unwrap()
                .companion
                .rate_limit_store_required
        };
        assert!(parse(&["moments-par", "--rate-limit-store-required"]));
        assert!(!parse(&["moments-par"]));
    }

    /// The binary (clap, from its environment) and `Config::from_env` agree on every
    /// variable: run in a child process of this test binary, since a test cannot set its
    /// own environment (`set_var` is unsafe).
    #[cfg(feature = "cli")]
    #[test]
    fn the_binary_and_from_env_read_the_same_variables_alike() {
        use crate::cli::Cli;
        use clap::Parser;
        use std::process::Command;

        const CHILD: &str = "MOMENTS_PAR_SETTINGS_CHILD";
        const NAME: &str = "settings::tests::the_binary_and_from_env_read_the_same_variables_alike";
        if std::env::var_os(CHILD).is_some() {
            let via_cli = Cli::try_parse_from(["moments-par"])
                .map_err(|e| ConfigError::new(e.to_string()))
                .and_then(|cli| cli.companion.config(None));
            let via_env = Config::from_env();
            let described = [via_cli, via_env].map(|config| match config {
                Ok(config) => {
                    // From a listed proxy, so the tenant header counts.
                    let proxy: std::net::SocketAddr = "10.0.0.5:4000".parse().unwrap();
                    let request = http::Request::post("/")
                        .header("x-org", "acme")
                        .extension(axum::extract::ConnectInfo(proxy))
                        .body(())
                        .unwrap()
                        .into_parts()
                        .0;
                    format!(
                        "{config:?} key={} origins={} tenant={:?}",
                        config.par.api_key.expose_secret(),
                        config.origins_setting,
                        config.tenants.resolve(&request),
                    )
                }
                Err(error) => format!("error: {error}"),
            });
            assert!(!described[0].starts_with("error"), "{}", described[0]);
            assert_eq!(described[0], described[1]);
            return;
        }

        let dir = std::env::temp_dir().join(format!("moments-par-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tenants = dir.join("tenants.toml");
        std::fs::write(
            &tenants,
            "[embeddings]\nreminders = 44\nbot = \"answers\"\n[tenants.acme]\nentity_id = \"acme\"\nembeddings = [\"campaigns\"]\n",
        )
        .unwrap();
        let every_variable: Vec<(&str, &str)> = vec![
            ("MOMENTS_SESSION_PATH", "/moments/session"),
            (
                "MOMENTS_ALLOWED_ORIGINS",
                "https://a.test,https://b.test:8443,",
            ),
            ("MOMENTS_BODY_LIMIT", "2048"),
            ("MOMENTS_HEALTHZ_PATH", "off"),
            ("MOMENTS_READYZ_PATH", "/internal/ready"),
            ("MOMENTS_METRICS_PATH", "/internal/metrics"),
            ("INFOBIP_BASE_URL", "https://xxxx.api.infobip.com"),
            ("INFOBIP_API_KEY", " the-key "),
            ("MOMENTS_IFRAME_BASE_URL", "https://frames.example/embed/"),
            ("ANSWERS_IFRAME_BASE_URL", "https://answers.example/frame"),
            ("MOMENTS_UPSTREAM_CONNECT_TIMEOUT", "700ms"),
            ("MOMENTS_UPSTREAM_TIMEOUT", "4s"),
            ("MOMENTS_UPSTREAM_ATTEMPTS", "2"),
            ("MOMENTS_UPSTREAM_DEADLINE", "8s"),
            ("MOMENTS_UPSTREAM_CONCURRENCY", "7"),
            ("MOMENTS_UPSTREAM_QUEUE_TIMEOUT", "300ms"),
            ("MOMENTS_EMBEDDING_ID", "42"),
            (
                "MOMENTS_EMBEDDINGS",
                "campaigns=43, inbox = text-id,chatbot=answers",
            ),
            ("MOMENTS_DEFAULT_EMBEDDING", "campaigns"),
            ("MOMENTS_TENANT_HEADER", "x-org"),
            ("MOMENTS_TENANTS_FILE", tenants.to_str().unwrap()),
            ("MOMENTS_TRUSTED_PROXIES", "10.0.0.0/8,fd00::/8,"),
            ("MOMENTS_RATE_LIMIT", "5/s"),
            ("MOMENTS_RATE_LIMIT_BURST", "9"),
            ("MOMENTS_CLIENT_IP_HEADER", "x-real-ip"),
            ("MOMENTS_RATE_LIMIT_STORE", "redis://:pw@127.0.0.1:6390/2"),
            ("MOMENTS_RATE_LIMIT_STORE_TIMEOUT", "75ms"),
            ("MOMENTS_RATE_LIMIT_STORE_FAILURE", "closed"),
            ("MOMENTS_RATE_LIMIT_STORE_REQUIRED", "true"),
        ];
        // The defaults, and the single-tenant ids.
        let the_least: Vec<(&str, &str)> = vec![
            ("INFOBIP_API_KEY", "k"),
            ("MOMENTS_EMBEDDING_ID", "42"),
            ("MOMENTS_APPLICATION_ID", "platform"),
            ("MOMENTS_ENTITY_ID", "acme"),
        ];
        // Set but empty: lists with nothing in them.
        let empty: Vec<(&str, &str)> = vec![
            ("INFOBIP_API_KEY", "k"),
            ("MOMENTS_EMBEDDING_ID", "42"),
            ("MOMENTS_ALLOWED_ORIGINS", ""),
            ("MOMENTS_TRUSTED_PROXIES", ""),
        ];
        for vars in [every_variable, the_least, empty] {
            let child = Command::new(std::env::current_exe().unwrap())
                .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
                .env_clear()
                .envs(vars.iter().copied())
                .env(CHILD, "1")
                .output()
                .unwrap();
            let output = String::from_utf8_lossy(&child.stdout).into_owned()
                + &String::from_utf8_lossy(&child.stderr);
            assert!(child.status.success(), "{vars:?}:\n{output}");
            assert!(
                output.contains("1 passed"),
                "the child ran the test: {output}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
