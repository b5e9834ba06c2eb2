//! `ParClient`: the one place that talks to Infobip's `POST /embeddable/1/auth/par`.
//!
//! One pooled HTTP client (keep-alive, rustls), connect and per-attempt timeouts, a
//! `User-Agent` naming this crate, bounded retries with full-jitter backoff on what may
//! pass (connection errors, timeouts, 5xx, 429 within a `Retry-After` cap) and never on
//! other 4xx. Retrying is safe because a PAR call has no side effect but minting a URI.
//! Both Infobip error shapes are parsed for the log; the caller gets a typed [`ParError`].

use moments_protocol::{DEFAULT_EXPIRES_IN_SECS, ErrorCode, MAX_EXPIRES_IN_SECS, fingerprint};
use rand::Rng;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::time::{Duration, Instant};
use url::Url;

/// The scopes Embeddable Moments needs, per Infobip's integration guide.
pub const SCOPES: [&str; 3] = ["flow:manage", "flow:read", "flow:use"];

/// The PAR path under an Infobip base URL.
pub const PAR_PATH: &str = "/embeddable/1/auth/par";

/// Longest request URI we pass on; anything longer is not a PAR answer.
const MAX_REQUEST_URI_LEN: usize = 2048;

/// Longest upstream error text we keep for the log.
const MAX_LOGGED_TEXT: usize = 300;

/// Infobip's `embedding_id`: documented as a number, accepted as a string too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingId {
    /// A numeric id, sent as a JSON number.
    Number(u64),
    /// Any other id, sent as a JSON string.
    Text(String),
}

impl EmbeddingId {
    /// Digits become a number (as Infobip's examples send it); anything else stays text.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        Some(
            raw.parse::<u64>()
                .map_or_else(|_| Self::Text(raw.to_owned()), Self::Number),
        )
    }
}

impl fmt::Display for EmbeddingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => f.write_str(s),
        }
    }
}

/// What to ask Infobip for: one embedding, for one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParRequest {
    /// The embedding to open.
    pub embedding_id: EmbeddingId,
    /// Always [`SCOPES`].
    pub scopes: [&'static str; 3],
    /// The X application, for the "with X" case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// The X entity, for the "with X" case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

impl ParRequest {
    /// A request for `embedding_id` with the required scopes and no X tenant.
    pub fn new(embedding_id: EmbeddingId) -> Self {
        Self {
            embedding_id,
            scopes: SCOPES,
            application_id: None,
            entity_id: None,
        }
    }
}

/// A minted request URI and the frame URL that spends it.
#[derive(Clone, PartialEq, Eq)]
pub struct ParGrant {
    /// The single-use `request_uri`.
    pub request_uri: String,
    /// Seconds it stays valid, defaulted and clamped (see `moments_protocol`).
    pub expires_in: u32,
    /// `{iframe base}/authorize?request_uri=<escaped>`.
    pub iframe_url: String,
}

impl fmt::Debug for ParGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParGrant")
            .field("request_uri", &fingerprint(&self.request_uri))
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a PAR call failed, after any retries.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ParError {
    /// 401/403: the API key is wrong, revoked, or lacks a scope.
    #[error("Infobip refused the API key ({status}): {detail}")]
    Auth {
        /// The upstream status.
        status: u16,
        /// What Infobip said, parsed from either error shape.
        detail: UpstreamDetail,
    },
    /// Another 4xx: the request itself is wrong (e.g. an unknown embedding id).
    #[error("Infobip rejected the PAR request ({status}): {detail}")]
    Rejected {
        /// The upstream status.
        status: u16,
        /// What Infobip said.
        detail: UpstreamDetail,
    },
    /// 429 after the retries we were willing to spend.
    #[error("Infobip is rate limiting this account: {detail}")]
    RateLimited {
        /// Infobip's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        /// What Infobip said.
        detail: UpstreamDetail,
    },
    /// Connection refused or reset, timeout, or 5xx.
    #[error("Infobip is unavailable: {reason}")]
    Unavailable {
        /// What went wrong, for the log.
        reason: String,
    },
    /// A 2xx that is not a usable PAR answer.
    #[error("Infobip sent an unusable PAR answer: {reason}")]
    BadResponse {
        /// What was wrong with it, for the log.
        reason: String,
    },
}

impl ParError {
    /// The code the browser sees.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Auth { .. } => ErrorCode::UpstreamAuth,
            Self::Rejected { .. } => ErrorCode::UpstreamRejected,
            Self::RateLimited { .. } => ErrorCode::UpstreamRateLimited,
            Self::Unavailable { .. } => ErrorCode::UpstreamUnavailable,
            Self::BadResponse { .. } => ErrorCode::UpstreamBadResponse,
        }
    }

    /// How long the browser should wait before asking again, when we know.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn may_pass(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::RateLimited { .. })
    }
}

/// What Infobip said in an error body, from whichever shape it used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpstreamDetail {
    /// `serviceException.messageId` or `errorCode`.
    pub id: Option<String>,
    /// `serviceException.text` or `description` (or the raw body), truncated.
    pub text: String,
}

impl fmt::Display for UpstreamDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{id}: {}", self.text),
            None => f.write_str(&self.text),
        }
    }
}

impl UpstreamDetail {
    /// Parses either Infobip error shape, falling back to the raw body.
    ///
    /// - `{"requestError":{"serviceException":{"messageId","text","validationErrors"?}}}`
    /// - `{"errorCode","description","action"?,"violations"?,"resources"?}`
    pub fn parse(body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Classic {
            #[serde(rename = "requestError")]
            request_error: RequestError,
        }
        #[derive(Deserialize)]
        struct RequestError {
            #[serde(rename = "serviceException")]
            service_exception: ServiceException,
        }
        #[derive(Deserialize)]
        struct ServiceException {
            #[serde(rename = "messageId")]
            message_id: Option<String>,
            text: Option<String>,
            #[serde(rename = "validationErrors")]
            validation_errors: Option<Value>,
        }
        #[derive(Deserialize)]
        struct Modern {
            #[serde(rename = "errorCode")]
            error_code: String,
            description: Option<String>,
            action: Option<String>,
            violations: Option<Value>,
        }

        if let Ok(Classic { request_error }) = serde_json::from_slice::<Classic>(body) {
            let e = request_error.service_exception;
            let mut text = e.text.unwrap_or_default();
            if let Some(errors) = e.validation_errors {
                text = format!("{text} {errors}");
            }
            return Self {
                id: e.message_id,
                text: truncate(text.trim()),
            };
        }
        if let Ok(e) = serde_json::from_slice::<Modern>(body) {
            let mut text = e.description.unwrap_or_default();
            if let Some(action) = e.action {
                text = format!("{text} ({action})");
            }
            if let Some(violations) = e.violations {
                text = format!("{text} {violations}");
            }
            return Self {
                id: Some(e.error_code),
                text: truncate(text.trim()),
            };
        }
        Self {
            id: None,
            text: truncate(String::from_utf8_lossy(body).trim()),
        }
    }
}

fn truncate(text: &str) -> String {
    let mut end = text.len().min(MAX_LOGGED_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = text[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if end < text.len() {
        out.push('…');
    }
    out
}

/// How hard to try before giving up on Infobip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub attempts: u32,
    /// Backoff before the second attempt; doubles after each, up to `max_delay`.
    pub base_delay: Duration,
    /// The longest single backoff, and the longest `Retry-After` we wait out ourselves.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): a uniform
    /// wait in `[0, min(cap, base·2^n)]` spreads retries of many clients apart.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2_u32.saturating_pow(retry))
            .min(self.max_delay);
        ceiling.mul_f64(rand::rng().random_range(0.0..=1.0))
    }
}

/// Timeouts and identity for the upstream connection.
#[derive(Clone, Debug)]
pub struct ParClientConfig {
    /// Infobip's personal base URL, e.g. `https://xxxx.api.infobip.com`.
    pub base_url: Url,
    /// The API key; held as a secret, never logged.
    pub api_key: SecretString,
    /// Where the frame lives: `https://embeddings.infobip.com`.
    pub iframe_base_url: Url,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-attempt timeout, body included (a slow body is a timeout, not a hang).
    pub request_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

/// The Infobip PAR client. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct ParClient {
    http: reqwest::Client,
    endpoint: Url,
    authorization: HeaderValue,
    iframe_base_url: Url,
    retry: RetryPolicy,
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
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION"),
                " (+",
                env!("CARGO_PKG_REPOSITORY"),
                ")"
            ))
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ParClientBuildError::Http(e.to_string()))?;
        let endpoint = join(&config.base_url, PAR_PATH);
        Ok(Self {
            http,
            endpoint,
            authorization,
            iframe_base_url: config.iframe_base_url.clone(),
            retry: config.retry,
        })
    }

    /// Mints a request URI, retrying what may pass within the policy.
    pub async fn push(&self, request: &ParRequest) -> Result<ParGrant, ParError> {
        let started = Instant::now();
        let mut retry = 0;
        loop {
            let outcome = self.attempt(request).await;
            let error = match outcome {
                Ok(grant) => return Ok(grant),
                Err(error) => error,
            };
            retry += 1;
            if !error.may_pass() || retry >= self.retry.attempts {
                return Err(error);
            }
            let wait = match error.retry_after() {
                // Infobip asked for more patience than we have: let the browser wait instead.
                Some(after) if after > self.retry.max_delay => return Err(error),
                Some(after) => after,
                None => self.retry.backoff(retry - 1),
            };
            tracing::warn!(
                %error,
                retry,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "PAR call failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, request: &ParRequest) -> Result<ParGrant, ParError> {
        let body = serde_json::to_vec(request).map_err(|e| ParError::BadResponse {
            reason: format!("cannot encode the PAR body: {e}"),
        })?;
        let response = self
            .http
            .post(self.endpoint.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await
            .map_err(|e| ParError::Unavailable {
                reason: describe_transport_error(&e),
            })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(|e| ParError::Unavailable {
            reason: describe_transport_error(&e),
        })?;
        match status {
            200..=299 => self.grant(&body),
            401 | 403 => Err(ParError::Auth {
                status,
                detail: UpstreamDetail::parse(&body),
            }),
            429 => Err(ParError::RateLimited {
                retry_after,
                detail: UpstreamDetail::parse(&body),
            }),
            400..=499 => Err(ParError::Rejected {
                status,
                detail: UpstreamDetail::parse(&body),
            }),
            _ => Err(ParError::Unavailable {
                reason: format!("status {status}: {}", UpstreamDetail::parse(&body)),
            }),
        }
    }

    fn grant(&self, body: &[u8]) -> Result<ParGrant, ParError> {
        #[derive(Deserialize)]
        struct Answer {
            request_uri: Option<String>,
            expires_in: Option<Value>,
        }
        let answer: Answer = serde_json::from_slice(body).map_err(|e| ParError::BadResponse {
            reason: format!("not JSON: {e}"),
        })?;
        let request_uri = answer
            .request_uri
            .filter(|uri| {
                !uri.is_empty()
                    && uri.len() <= MAX_REQUEST_URI_LEN
                    && !uri.chars().any(char::is_control)
            })
            .ok_or_else(|| ParError::BadResponse {
                reason: "no usable request_uri".to_owned(),
            })?;
        let expires_in = match answer.expires_in {
            None | Some(Value::Null) => DEFAULT_EXPIRES_IN_SECS,
            Some(Value::Number(n)) => n
                .as_u64()
                .map(|secs| u32::try_from(secs).unwrap_or(u32::MAX))
                .ok_or_else(|| ParError::BadResponse {
                    reason: format!("expires_in is not a whole number: {n}"),
                })?,
            Some(other) => {
                return Err(ParError::BadResponse {
                    reason: format!("expires_in is not a number: {other}"),
                });
            }
        };
        if expires_in == 0 {
            return Err(ParError::BadResponse {
                reason: "expires_in is 0: the URI is dead on arrival".to_owned(),
            });
        }
        let mut iframe_url = join(&self.iframe_base_url, "/authorize");
        iframe_url
            .query_pairs_mut()
            .append_pair("request_uri", &request_uri);
        Ok(ParGrant {
            iframe_url: iframe_url.into(),
            request_uri,
            expires_in: expires_in.min(MAX_EXPIRES_IN_SECS),
        })
    }
}

/// `base` + `path`, keeping any path prefix `base` has (`https://h/prefix` + `/x`).
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_infobip_error_shapes_parse() {
        let classic = br#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}"#;
        assert_eq!(
            UpstreamDetail::parse(classic),
            UpstreamDetail {
                id: Some("UNAUTHORIZED".into()),
                text: "Invalid login details".into()
            }
        );
        let modern =
            br#"{"errorCode":"E429","description":"Too many requests","action":"Slow down"}"#;
        let detail = UpstreamDetail::parse(modern);
        assert_eq!(detail.id.as_deref(), Some("E429"));
        assert_eq!(detail.text, "Too many requests (Slow down)");
        let raw = UpstreamDetail::parse(b"<html>502 Bad Gateway</html>");
        assert_eq!(raw.id, None);
        assert_eq!(raw.text, "<html>502 Bad Gateway</html>");
    }

    #[test]
    fn long_raw_bodies_are_truncated_on_a_char_boundary() {
        let body = "é".repeat(400);
        let detail = UpstreamDetail::parse(body.as_bytes());
        assert!(detail.text.len() <= MAX_LOGGED_TEXT + '…'.len_utf8());
        assert!(detail.text.ends_with('…'));
    }

    #[test]
    fn embedding_ids_keep_infobips_number_form() {
        assert_eq!(EmbeddingId::parse("42"), Some(EmbeddingId::Number(42)));
        assert_eq!(
            EmbeddingId::parse("wizard-a"),
            Some(EmbeddingId::Text("wizard-a".into()))
        );
        assert_eq!(EmbeddingId::parse("  "), None);
        let body = serde_json::to_value(ParRequest::new(EmbeddingId::Number(42))).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"embedding_id": 42, "scopes": ["flow:manage", "flow:read", "flow:use"]})
        );
    }

    #[test]
    fn join_keeps_a_base_path_prefix() {
        let base = Url::parse("https://xyz.api.infobip.com/").unwrap();
        assert_eq!(
            join(&base, PAR_PATH).as_str(),
            "https://xyz.api.infobip.com/embeddable/1/auth/par"
        );
        let prefixed = Url::parse("http://127.0.0.1:9/infobip/").unwrap();
        assert_eq!(
            join(&prefixed, "/authorize").as_str(),
            "http://127.0.0.1:9/infobip/authorize"
        );
    }

    #[test]
    fn backoff_is_bounded_by_the_cap() {
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
        };
        for retry in 0..40 {
            assert!(policy.backoff(retry) <= Duration::from_millis(800));
        }
    }
}
