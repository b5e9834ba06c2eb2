//! `ParClient`: the one place that talks to Infobip's `POST /embeddable/1/auth/par`.
//!
//! One pooled HTTP client (keep-alive, rustls), connect and per-attempt timeouts, a
//! `User-Agent` naming this crate, bounded retries with full-jitter backoff on what may
//! pass (connection errors, timeouts, 5xx, 429 within a `Retry-After` cap) and never on
//! other 4xx, all inside an overall deadline. Retrying is safe because a PAR call has no
//! side effect but minting a URI. Both Infobip error shapes are parsed for the log; the
//! caller gets a typed [`ParError`].

mod error;
mod request;
mod retry;

pub use crate::embeddings::EmbeddingId;
pub use error::{ParError, UpstreamDetail};
pub use request::{ParGrant, ParRequest};
pub use retry::RetryPolicy;

use crate::metrics::Metrics;
use moments_protocol::Product;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// The PAR path under an Infobip base URL.
pub const PAR_PATH: &str = "/embeddable/1/auth/par";

/// Where Infobip's frames live, as the Moments guide documents it; assumed for Answers
/// too, whose frame address Infobip does not document.
const INFOBIP_FRAME_ORIGIN: &str = "https://embeddings.infobip.com";

/// What the client tells Infobip it is (and where to read about it).
const USER_AGENT: &str = concat!(
    env!("CARGO_PKG_NAME"),
    "/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// Timeouts and identity for the upstream connection.
#[derive(Clone, Debug)]
pub struct ParClientConfig {
    /// Infobip's personal base URL, e.g. `https://xxxx.api.infobip.com`.
    pub base_url: Url,
    /// The API key; held as a secret, never logged.
    pub api_key: SecretString,
    /// Where the Moments frame lives: `https://embeddings.infobip.com`. (The Answers
    /// frame's: [`ParClient::with_answers_iframe_base_url`].)
    pub iframe_base_url: Url,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-attempt timeout, body included (a slow body is a timeout, not a hang).
    pub request_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

/// Where one product's frame lives, worked out once from its base URL.
#[derive(Clone, Debug)]
struct Frame {
    /// Its origin, for a page's `frame-src`.
    origin: String,
    /// `{base}/authorize?request_uri=`: a grant's frame URL is this plus the escaped URI.
    authorize_prefix: String,
}

impl Frame {
    fn at(base: &Url) -> Self {
        Self {
            origin: base.origin().ascii_serialization(),
            authorize_prefix: request::authorize_prefix(base),
        }
    }
}

/// The Infobip PAR client. Cheap to clone (one reference count): clones share one
/// connection pool and one configuration.
#[derive(Clone, Debug)]
pub struct ParClient(Arc<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    http: reqwest::Client,
    endpoint: Url,
    base_url: Url,
    authorization: HeaderValue,
    api_key: SecretString,
    /// Where Moments' frame lives (`iframe_base_url`).
    moments_frame: Frame,
    /// Where Answers' frame lives: Infobip's frame host unless told otherwise.
    answers_frame: Frame,
    request_timeout: Duration,
    retry: RetryPolicy,
    metrics: Option<Arc<Metrics>>,
}

impl ParClient {
    /// Builds the client. Fails only if the key cannot be a header value or TLS
    /// cannot initialise.
    pub fn new(config: &ParClientConfig) -> Result<Self, ParClientBuildError> {
        let mut authorization =
            HeaderValue::from_str(&format!("App {}", config.api_key.expose_secret()))
                .map_err(|_| ParClientBuildError::KeyNotAHeader)?;
        // Marks the header so hyper/reqwest redact it in debug output and HTTP/2 never
        // puts it in a compression table.
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // Infobip's load balancers keep idle connections for about a minute; a
            // shorter idle timeout on our side avoids writing into a closing socket.
            .pool_idle_timeout(Duration::from_secs(50))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ParClientBuildError::Http(e.to_string()))?;
        Ok(Self(Arc::new(Inner {
            http,
            endpoint: request::join(&config.base_url, PAR_PATH),
            base_url: config.base_url.clone(),
            authorization,
            api_key: config.api_key.clone(),
            moments_frame: Frame::at(&config.iframe_base_url),
            answers_frame: Frame {
                origin: INFOBIP_FRAME_ORIGIN.to_owned(),
                authorize_prefix: format!("{INFOBIP_FRAME_ORIGIN}/authorize?request_uri="),
            },
            request_timeout: config.request_timeout,
            retry: config.retry,
            metrics: None,
        })))
    }

    /// Grants for Answers embeddings point at the Answers frame under `base` (its
    /// `/authorize`) instead of `https://embeddings.infobip.com`, the address assumed
    /// when none is given (Infobip documents Moments' frame address, not Answers').
    #[must_use]
    pub fn with_answers_iframe_base_url(mut self, base: &Url) -> Self {
        Arc::make_mut(&mut self.0).answers_frame = Frame::at(base);
        self
    }

    /// `product`'s frame.
    fn frame(&self, product: Product) -> &Frame {
        match product {
            Product::Moments => &self.0.moments_frame,
            Product::Answers => &self.0.answers_frame,
        }
    }

    /// The origin of `product`'s frame, which the grants' frame URLs name
    /// (`https://embeddings.infobip.com`): what a page's `frame-src` must allow.
    pub fn frame_origin(&self, product: Product) -> &str {
        &self.frame(product).origin
    }

    /// Counts every attempt (outcome, latency) in `metrics`.
    pub(crate) fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        Arc::make_mut(&mut self.0).metrics = Some(metrics);
        self
    }

    /// Mints a request URI for `request`'s embedding (with its product's scopes), and
    /// the frame URL of that product that spends it, retrying what may pass within the
    /// policy.
    ///
    /// Takes at most about `attempts × request_timeout` plus the backoffs; use
    /// [`push_before`](Self::push_before) to bound it by a deadline.
    pub async fn push(&self, request: &ParRequest) -> Result<ParGrant, ParError> {
        let worst = self
            .0
            .request_timeout
            .saturating_add(self.0.retry.max_delay)
            .saturating_mul(self.0.retry.attempts.max(1));
        self.push_before(request, Instant::now() + worst).await
    }

    /// Mints a request URI, retrying what may pass, and gives up at `deadline`: no
    /// attempt runs past it and no backoff is started that would end after it.
    pub async fn push_before(
        &self,
        request: &ParRequest,
        deadline: Instant,
    ) -> Result<ParGrant, ParError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let timeout = remaining.min(self.0.request_timeout);
            let attempt_started = Instant::now();
            let outcome = if timeout.is_zero() {
                Err(ParError::Unavailable {
                    reason: "timed out: no time left before the deadline".to_owned(),
                })
            } else {
                self.attempt(request, timeout).await
            };
            if let Some(metrics) = &self.0.metrics {
                let result = outcome.as_ref().map(|_| ()).map_err(ParError::code);
                metrics.upstream_attempt(result, attempt_started.elapsed());
            }
            let error = match outcome {
                Ok(grant) => return Ok(grant),
                Err(error) => error,
            };
            if !error.may_pass() || attempt >= self.0.retry.attempts {
                return Err(error);
            }
            let wait = match error.retry_after() {
                // Infobip asked for more patience than we have: let the browser wait instead.
                Some(after) if after > self.0.retry.max_delay => return Err(error),
                Some(after) => after,
                None => self.0.retry.backoff(attempt - 1),
            };
            if Instant::now() + wait >= deadline {
                return Err(error);
            }
            tracing::warn!(
                %error,
                attempt,
                wait_ms = millis(wait),
                elapsed_ms = millis(started.elapsed()),
                "PAR call failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, request: &ParRequest, timeout: Duration) -> Result<ParGrant, ParError> {
        let body = serde_json::to_vec(request).map_err(|e| ParError::BadResponse {
            reason: format!("cannot encode the PAR body: {e}"),
        })?;
        let response = self
            .0
            .http
            .post(self.0.endpoint.clone())
            .header(AUTHORIZATION, self.0.authorization.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .timeout(timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| ParError::Unavailable {
                reason: describe_transport_error(&e),
            })?;
        let status = response.status().as_u16();
        let retry_after = retry::retry_after(response.headers());
        let body = response.bytes().await.map_err(|e| ParError::Unavailable {
            reason: describe_transport_error(&e),
        })?;
        if (200..300).contains(&status) {
            return request::read_grant(&body, &self.frame(request.product()).authorize_prefix);
        }
        if (300..400).contains(&status) {
            // Redirects are not followed (the key must not travel to another host):
            // the base URL is wrong, typically http for https or a portal URL.
            return Err(ParError::BadResponse {
                reason: format!(
                    "status {status} (a redirect): check INFOBIP_BASE_URL, your account's https://xxxx.api.infobip.com"
                ),
            });
        }
        let detail = self.detail(&body);
        Err(match status {
            401 | 403 => ParError::Auth { status, detail },
            429 => ParError::RateLimited {
                retry_after,
                detail,
            },
            400..=499 => ParError::Rejected { status, detail },
            _ => ParError::Unavailable {
                reason: format!("status {status}: {detail}"),
            },
        })
    }

    /// What an error body says, with our own key blanked out should an upstream (or a
    /// proxy in front of it) ever echo the request back: error details go to the log.
    fn detail(&self, body: &[u8]) -> UpstreamDetail {
        let key = self.0.api_key.expose_secret();
        let text = String::from_utf8_lossy(body);
        if !key.is_empty() && text.contains(key) {
            UpstreamDetail::parse(text.replace(key, "[redacted]").as_bytes())
        } else {
            UpstreamDetail::parse(body)
        }
    }

    /// Whether Infobip's host answers HTTP at all (any status counts), within `timeout`.
    /// Sends no key: this is about DNS, TCP, TLS and routing, not about credentials.
    pub(crate) async fn probe(&self, timeout: Duration) -> Result<(), String> {
        self.0
            .http
            .head(self.0.base_url.clone())
            .timeout(timeout)
            .send()
            .await
            .map(drop)
            .map_err(|e| describe_transport_error(&e))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A transport error, described without its URL (which is ours, but noise in a log line).
fn describe_transport_error(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "broken response body"
    } else {
        "transport error"
    };
    let mut source = std::error::Error::source(error);
    let mut chain = String::new();
    while let Some(cause) = source {
        chain = format!("{chain}: {cause}");
        source = cause.source();
    }
    format!("{kind}{chain}")
}

/// Why a [`ParClient`] could not be built.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ParClientBuildError {
    /// The key has characters a header cannot carry (the key itself is not shown).
    #[error("the Infobip API key contains characters that cannot be sent in a header")]
    KeyNotAHeader,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}
