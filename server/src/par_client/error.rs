//! What can go wrong talking to Infobip: [`ParError`], and [`UpstreamDetail`], what
//! Infobip said about it, parsed from either of its error shapes.

use moments_protocol::ErrorCode;
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// Longest upstream error text we keep for the log.
pub(crate) const MAX_LOGGED_TEXT: usize = 300;

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

    /// Whether another attempt may pass: outages and throttling do, the rest fail the
    /// same way again (a malformed 2xx included: it is a bug upstream, not a blip).
    pub(crate) fn may_pass(&self) -> bool {
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
    ///
    /// ```
    /// use moments_par::UpstreamDetail;
    /// let detail = UpstreamDetail::parse(br#"{"errorCode":"E401","description":"Bad key"}"#);
    /// assert_eq!(detail.to_string(), "E401: Bad key");
    /// ```
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

/// At most [`MAX_LOGGED_TEXT`] bytes, cut on a char boundary, control characters
/// blanked so an upstream body cannot forge log lines.
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
    fn control_characters_cannot_forge_log_lines() {
        let detail = UpstreamDetail::parse(b"oops\nlevel=INFO forged line\r");
        assert!(!detail.text.contains('\n') && !detail.text.contains('\r'));
    }
}
