//! What crosses into the component from outside, parsed strictly: the backend's answers,
//! the frame's messages, and the component's typed errors.
//!
//! Everything here is pure (no web-sys), so the parsers run in native tests and fuzzers.
//! Malformed input never panics: an answer becomes a [`MomentsError`], a frame message
//! becomes `None` and is ignored.

use moments_protocol::frame::{self, AuthorizeFailure, FrameMessage};
use moments_protocol::{ErrorBody, ErrorCode, MAX_EXPIRES_IN_SECS, SessionGrant};
use serde_json::Value;
use std::time::Duration;

/// Largest frame message (as JSON text) the component reads; bigger ones are ignored.
pub const MAX_FRAME_MESSAGE_BYTES: usize = 16 * 1024;

/// Tallest height a frame may report, in CSS pixels; taller claims are ignored.
pub const MAX_REPORTED_HEIGHT: f64 = 100_000.0;

const MAX_EVENT_NAME_CHARS: usize = 100;
const MAX_ERROR_MESSAGE_CHARS: usize = 500;
const MAX_REQUEST_URI_CHARS: usize = 2048;
const MAX_IFRAME_URL_CHARS: usize = 4096;

/// Why the component could not show the frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MomentsError {
    /// The request to the backend failed before any answer (offline, refused, CORS).
    #[error("Could not reach the server ({0}).")]
    Network(String),
    /// The backend did not answer within the fetch timeout.
    #[error("The server did not answer within {} s.", .0.as_secs())]
    Timeout(Duration),
    /// The backend answered with an error status.
    #[error("{message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The companion's error code, when the body was one of ours.
        code: Option<ErrorCode>,
        /// A sentence to show a person.
        message: String,
        /// Whether asking again later may succeed.
        retryable: bool,
    },
    /// The backend answered 2xx with something that is not a session grant.
    #[error("The server sent an answer that is not a Moments session ({0}).")]
    MalformedResponse(String),
    /// The frame neither loaded nor said it was ready in time.
    #[error("The Moments frame did not finish loading within {} s.", .0.as_secs())]
    FrameTimeout(Duration),
    /// The frame refused its `request_uri` (unknown, reused or expired).
    #[error("The Moments frame refused its sign-in link ({}).", .reason.as_str())]
    Authorize {
        /// Why.
        reason: AuthorizeFailure,
        /// What the frame said.
        message: String,
    },
    /// The host page's Content-Security-Policy blocked the frame.
    #[error(
        "This page's Content-Security-Policy blocks the Moments frame ({directive}); allow {blocked_uri} in frame-src."
    )]
    CspBlocked {
        /// The violated directive, e.g. `frame-src`.
        directive: String,
        /// What was blocked.
        blocked_uri: String,
    },
}

impl MomentsError {
    /// Whether trying again (with a fresh `request_uri`) may succeed by itself.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Network(_)
            | Self::Timeout(_)
            | Self::MalformedResponse(_)
            | Self::FrameTimeout(_) => true,
            Self::Http { retryable, .. } => *retryable,
            // A reused or expired URI is cured by a fresh one; an unknown one means the
            // frame and the backend disagree about the account: a fresh one fails the same.
            Self::Authorize { reason, .. } => *reason != AuthorizeFailure::Unknown,
            Self::CspBlocked { .. } => false,
        }
    }

    /// A short machine name for the kind of error, e.g. `"http"`, for CSS and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Network(_) => "network",
            Self::Timeout(_) => "timeout",
            Self::Http { .. } => "http",
            Self::MalformedResponse(_) => "malformed_response",
            Self::FrameTimeout(_) => "frame_timeout",
            Self::Authorize { .. } => "authorize",
            Self::CspBlocked { .. } => "csp_blocked",
        }
    }
}

/// A validated session grant, ready for the state machine.
#[derive(Clone, PartialEq, Eq)]
pub struct Grant {
    /// The single-use `request_uri`.
    pub request_uri: String,
    /// The frame URL that spends it (http or https, absolute).
    pub iframe_url: String,
    /// How long `request_uri` stays valid, counted from when the answer arrived.
    pub expires_in: Duration,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field(
                "request_uri",
                &moments_protocol::fingerprint(&self.request_uri),
            )
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl TryFrom<SessionGrant> for Grant {
    type Error = MomentsError;

    fn try_from(grant: SessionGrant) -> Result<Self, MomentsError> {
        let bad = |what: &str| Err(MomentsError::MalformedResponse(what.to_owned()));
        if grant.request_uri.is_empty() || grant.request_uri.len() > MAX_REQUEST_URI_CHARS {
            return bad("request_uri is empty or too long");
        }
        if grant.expires_in == 0 {
            return bad("expires_in is 0");
        }
        if grant.iframe_url.len() > MAX_IFRAME_URL_CHARS || !is_http_url(&grant.iframe_url) {
            // Anything else (javascript:, data:, relative) must never become a frame src.
            return bad("iframe_url is not an absolute http(s) URL");
        }
        Ok(Self {
            request_uri: grant.request_uri,
            iframe_url: grant.iframe_url,
            expires_in: Duration::from_secs(u64::from(grant.expires_in.min(MAX_EXPIRES_IN_SECS))),
        })
    }
}

fn is_http_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    !rest.is_empty() && !rest.starts_with('/') && !url.chars().any(|c| c.is_control() || c == ' ')
}

/// Parses and validates a 2xx body from the session endpoint.
pub fn parse_grant(body: &str) -> Result<Grant, MomentsError> {
    let grant: SessionGrant = serde_json::from_str(body)
        .map_err(|e| MomentsError::MalformedResponse(format!("not a session grant: {e}")))?;
    Grant::try_from(grant)
}

/// Turns an error answer into a [`MomentsError`]: ours (`{"error":{…}}`) with its code and
/// message, anything else by its status.
pub fn parse_error_response(status: u16, body: &str) -> MomentsError {
    if let Ok(ErrorBody { error }) = serde_json::from_str::<ErrorBody>(body) {
        let message: String = error
            .message
            .chars()
            .take(MAX_ERROR_MESSAGE_CHARS)
            .collect();
        return MomentsError::Http {
            status,
            code: Some(error.code),
            message,
            retryable: error.retryable,
        };
    }
    let retryable = matches!(status, 408 | 429 | 500..=599);
    MomentsError::Http {
        status,
        code: None,
        message: format!("The server answered with status {status}."),
        retryable,
    }
}

/// Parses `Retry-After` as delta-seconds. HTTP-dates are ignored on purpose: they need
/// the wall clock, which this component never trusts (a skewed clock would mean a
/// retry storm or a stall).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(24 * 3600)))
}

/// Parses and validates one frame message from its JSON text.
///
/// `None` for anything that is not exactly one of our messages: unknown type, missing or
/// ill-typed fields, a non-finite or absurd height, oversized text. The caller has
/// already checked the message's origin and source window.
pub fn parse_frame_message(json: &str) -> Option<FrameMessage> {
    if json.len() > MAX_FRAME_MESSAGE_BYTES {
        return None;
    }
    let value: Value = serde_json::from_str(json).ok()?;
    // Cheap pre-check, so the common foreign messages (other libraries, browser
    // extensions) are dropped before serde builds anything.
    let kind = value.get("type")?.as_str()?;
    if ![
        frame::READY,
        frame::RESIZE,
        frame::SESSION_EXPIRED,
        frame::EVENT,
        frame::ERROR,
    ]
    .contains(&kind)
    {
        return None;
    }
    let message: FrameMessage = serde_json::from_value(value).ok()?;
    let valid = match &message {
        FrameMessage::Ready | FrameMessage::SessionExpired => true,
        FrameMessage::Resize { height } => {
            height.is_finite() && (0.0..=MAX_REPORTED_HEIGHT).contains(height)
        }
        FrameMessage::Event { name, .. } => {
            !name.is_empty()
                && name.chars().count() <= MAX_EVENT_NAME_CHARS
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
        }
        FrameMessage::Error { code, message, .. } => {
            code == "invalid_request_uri" && message.chars().count() <= MAX_ERROR_MESSAGE_CHARS
        }
    };
    valid.then_some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant_json(uri: &str, expires_in: u32, url: &str) -> String {
        serde_json::json!({ "request_uri": uri, "expires_in": expires_in, "iframe_url": url })
            .to_string()
    }

    #[test]
    fn a_good_grant_parses() {
        let grant = parse_grant(&grant_json(
            "urn:ietf:params:oauth:request_uri:abc",
            60,
            "https://embeddings.infobip.com/authorize?request_uri=urn%3Aabc",
        ))
        .unwrap();
        assert_eq!(grant.expires_in, Duration::from_secs(60));
    }

    #[test]
    fn unsafe_or_broken_grants_are_malformed() {
        for (uri, expires_in, url) in [
            ("", 60, "https://x/authorize"),
            ("u", 0, "https://x/authorize"),
            ("u", 60, "javascript:alert(1)"),
            ("u", 60, "data:text/html,hi"),
            ("u", 60, "/authorize?request_uri=u"),
            ("u", 60, "https:///path"),
            ("u", 60, "https://x/a b"),
        ] {
            let error = parse_grant(&grant_json(uri, expires_in, url)).unwrap_err();
            assert_eq!(error.kind(), "malformed_response", "{uri:?} {url:?}");
            assert!(error.retryable());
        }
        assert!(parse_grant("{").is_err());
        assert!(parse_grant(r#"{"request_uri":"u","iframe_url":"https://x"}"#).is_err());
    }

    #[test]
    fn long_lifetimes_are_clamped() {
        let grant = parse_grant(&grant_json("u", 86_400, "https://x/a")).unwrap();
        assert_eq!(grant.expires_in, Duration::from_secs(600));
    }

    #[test]
    fn error_bodies_keep_the_servers_code_and_message() {
        let body = serde_json::to_string(&ErrorBody::new(
            ErrorCode::UpstreamAuth,
            "The server's Infobip credentials were refused.",
        ))
        .unwrap();
        let error = parse_error_response(502, &body);
        assert_eq!(
            error,
            MomentsError::Http {
                status: 502,
                code: Some(ErrorCode::UpstreamAuth),
                message: "The server's Infobip credentials were refused.".into(),
                retryable: false,
            }
        );
        assert_eq!(
            error.to_string(),
            "The server's Infobip credentials were refused."
        );
        let foreign = parse_error_response(503, "<html>Service Unavailable</html>");
        assert!(foreign.retryable());
        assert!(!parse_error_response(404, "").retryable());
    }

    #[test]
    fn retry_after_takes_seconds_only() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn frame_messages_are_validated() {
        assert_eq!(
            parse_frame_message(r#"{"type":"moments:ready"}"#),
            Some(FrameMessage::Ready)
        );
        assert_eq!(
            parse_frame_message(r#"{"type":"moments:resize","height":640.5}"#),
            Some(FrameMessage::Resize { height: 640.5 })
        );
        for rejected in [
            r#"{"type":"moments:resize","height":-1}"#,
            r#"{"type":"moments:resize","height":1e9}"#,
            r#"{"type":"moments:resize","height":"640"}"#,
            r#"{"type":"moments:resize"}"#,
            r#"{"type":"moments:event","name":""}"#,
            r#"{"type":"moments:event","name":"<script>"}"#,
            r#"{"type":"moments:error","code":"other","reason":"expired"}"#,
            r#"{"type":"moments:error","code":"invalid_request_uri","reason":"bogus"}"#,
            r#"{"type":"webpackOk"}"#,
            r#"{"type":42}"#,
            "[1,2,3]",
            "not json",
        ] {
            assert_eq!(parse_frame_message(rejected), None, "{rejected}");
        }
        let huge = format!(
            r#"{{"type":"moments:event","name":"x","data":"{}"}}"#,
            "a".repeat(MAX_FRAME_MESSAGE_BYTES)
        );
        assert_eq!(parse_frame_message(&huge), None);
    }

    #[test]
    fn only_fixable_errors_are_retryable() {
        let refused = |reason| MomentsError::Authorize {
            reason,
            message: String::new(),
        };
        assert!(refused(AuthorizeFailure::Expired).retryable());
        assert!(refused(AuthorizeFailure::Reused).retryable());
        assert!(!refused(AuthorizeFailure::Unknown).retryable());
        assert!(
            !MomentsError::CspBlocked {
                directive: "frame-src".into(),
                blocked_uri: "https://x".into()
            }
            .retryable()
        );
    }
}
