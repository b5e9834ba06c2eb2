//! What crosses into the component from outside, parsed strictly: the backend's answers
//! and the frame's messages.
//!
//! The parsers read JSON through [`crate::json::JsonView`]: in the browser
//! over `JSON.parse` results, natively (tests, fuzzers) over `serde_json::Value`.
//! Malformed input never panics: an answer becomes a [`MomentsError`], a frame message
//! becomes `None` and is ignored.

use crate::error::MomentsError;
use crate::json::JsonView;
use moments_protocol::frame::{self, AuthorizeFailure};
use moments_protocol::{ErrorCode, MAX_EXPIRES_IN_SECS, SessionGrant};
use std::time::Duration;

/// Largest `moments:event` data (as JSON text) the component passes on; bigger is ignored.
pub const MAX_FRAME_MESSAGE_BYTES: usize = 16 * 1024;

/// Tallest height a frame may report, in CSS pixels; taller claims are ignored.
pub const MAX_REPORTED_HEIGHT: f64 = 100_000.0;

const MAX_EVENT_NAME_CHARS: usize = 100;
pub(crate) const MAX_ERROR_MESSAGE_CHARS: usize = 500;
const MAX_REQUEST_URI_CHARS: usize = 2048;
const MAX_IFRAME_URL_CHARS: usize = 4096;

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
    // `get`, not slicing: no panicking path (and no panic message) for any input.
    let scheme_end = url.find("://").unwrap_or(0);
    let scheme = url.get(..scheme_end).unwrap_or("");
    let rest = url.get(scheme_end + 3..).unwrap_or("");
    (scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http"))
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !url.chars().any(|c| c.is_control() || c == ' ')
}

/// Reads and validates a 2xx answer from the session endpoint.
pub fn parse_grant<J: JsonView>(body: &J) -> Result<Grant, MomentsError> {
    let malformed = |what: &str| MomentsError::MalformedResponse(what.to_owned());
    if !body.is_object() {
        return Err(malformed("not a JSON object"));
    }
    let request_uri = body
        .field("request_uri")
        .and_then(|v| v.string())
        .ok_or_else(|| malformed("no request_uri"))?;
    let iframe_url = body
        .field("iframe_url")
        .and_then(|v| v.string())
        .ok_or_else(|| malformed("no iframe_url"))?;
    let expires_in = body
        .field("expires_in")
        .and_then(|v| v.number())
        .filter(|n| n.is_finite() && n.fract() == 0.0 && *n >= 0.0)
        .ok_or_else(|| malformed("expires_in is not a whole number of seconds"))?;
    // Clamped first, so the conversion below cannot truncate.
    let expires_in = expires_in.min(f64::from(MAX_EXPIRES_IN_SECS));
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let expires_in = expires_in as u32;
    Grant::try_from(SessionGrant {
        request_uri,
        expires_in,
        iframe_url,
    })
}

/// Turns an error answer into a [`MomentsError`]: ours (`{"error":{…}}`) with its code
/// and message, anything else (or nothing) by its status.
pub fn parse_error_response<J: JsonView>(status: u16, body: Option<&J>) -> MomentsError {
    let ours = body.and_then(|b| b.field("error")).and_then(|error| {
        let code = ErrorCode::from_wire(&error.field("code")?.string()?)?;
        // A blank message is no message: fall through to the status sentence.
        let message = error
            .field("message")?
            .string()
            .filter(|m| !m.trim().is_empty())?;
        let retryable = error.field("retryable")?.boolean()?;
        Some((code, message, retryable))
    });
    if let Some((code, message, retryable)) = ours {
        return http_error(status, Some(code), &message, retryable);
    }
    MomentsError::Http {
        status,
        code: None,
        message: crate::text::with_decimal(
            "The server answered with status ",
            u64::from(status),
            ".",
        ),
        retryable: matches!(status, 408 | 429 | 500..=599),
    }
}

/// The component's error for a refusal from the backend, however it arrived (an HTTP
/// answer, a server function's error): the message cut to 500 characters.
pub(crate) fn http_error(
    status: u16,
    code: Option<ErrorCode>,
    message: &str,
    retryable: bool,
) -> MomentsError {
    MomentsError::Http {
        status,
        code,
        message: message.chars().take(MAX_ERROR_MESSAGE_CHARS).collect(),
        retryable,
    }
}

/// The longest `Retry-After` believed, in seconds (a day); longer ones are cut to it.
pub(crate) const MAX_RETRY_AFTER_SECS: u64 = 24 * 3600;

/// Parses `Retry-After` as delta-seconds. HTTP-dates are ignored on purpose: they need
/// the wall clock, which this component never trusts (a skewed clock would mean a
/// retry storm or a stall).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(MAX_RETRY_AFTER_SECS)))
}

/// What one message from the frame means to the component: the output of a
/// [`FrameAdapter`](crate::FrameAdapter).
///
/// Whatever produced it, a signal is held to [`FrameSignal::validated`] before the
/// component acts on it.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameSignal {
    /// The frame is rendered and usable (`moments:ready`).
    Ready,
    /// The frame's content height in CSS pixels (`moments:resize`): finite, `0..=`
    /// [`MAX_REPORTED_HEIGHT`].
    Resize(f64),
    /// The frame's session ended; it needs a fresh `request_uri` (`moments:session-expired`).
    SessionExpired,
    /// A user action inside the frame (`moments:event`), passed on to the host.
    Event {
        /// What happened, e.g. `use_case.activated`: 1 to 100 ASCII letters, digits and
        /// `. _ - :`.
        name: String,
        /// The details, as JSON text (`null` if none), at most
        /// [`MAX_FRAME_MESSAGE_BYTES`].
        data: String,
    },
    /// The frame refused its `request_uri` (`moments:error`).
    Refused {
        /// Why.
        reason: AuthorizeFailure,
        /// What it said, at most 500 characters.
        message: String,
    },
}

impl FrameSignal {
    /// The signal if it is within the component's limits, else `None` (and the message
    /// is ignored): a height that is negative, not finite or taller than
    /// [`MAX_REPORTED_HEIGHT`]; an event name that is empty, too long or has other
    /// characters; event data over [`MAX_FRAME_MESSAGE_BYTES`]; an error message over
    /// 500 characters. The same rules hold for every adapter, ours or a host's.
    pub fn validated(self) -> Option<Self> {
        let valid = match &self {
            Self::Ready | Self::SessionExpired => true,
            Self::Resize(height) => {
                height.is_finite() && (0.0..=MAX_REPORTED_HEIGHT).contains(height)
            }
            Self::Event { name, data } => {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b':'))
                    // ASCII only (just checked): its length is its count of characters.
                    && name.len() <= MAX_EVENT_NAME_CHARS
                    && data.len() <= MAX_FRAME_MESSAGE_BYTES
            }
            Self::Refused { message, .. } => {
                crate::text::chars_at_most(message, MAX_ERROR_MESSAGE_CHARS)
            }
        };
        valid.then_some(self)
    }
}

/// Reads one message (`event.data`) in this project's `moments:*` convention, the one
/// the sandbox speaks (see `moments_protocol::frame`), and validates it.
///
/// `None` for anything that is not exactly one of these messages: unknown type, missing
/// or ill-typed fields, or outside [`FrameSignal::validated`]'s limits. The caller has
/// already checked the message's origin and source window.
pub fn parse_frame_message<J: JsonView>(message: &J) -> Option<FrameSignal> {
    if !message.is_object() {
        return None;
    }
    let kind = message.field("type")?.string()?;
    let signal = match kind.as_str() {
        frame::READY => FrameSignal::Ready,
        frame::SESSION_EXPIRED => FrameSignal::SessionExpired,
        frame::RESIZE => FrameSignal::Resize(message.field("height")?.number()?),
        frame::EVENT => FrameSignal::Event {
            name: message.field("name")?.string()?,
            data: match message.field("data") {
                None => "null".to_owned(),
                Some(data) => data.to_json()?,
            },
        },
        frame::ERROR => {
            if message.field("code")?.string()? != "invalid_request_uri" {
                return None;
            }
            let reason = AuthorizeFailure::from_wire(&message.field("reason")?.string()?)?;
            let message = match message.field("message") {
                None => String::new(),
                Some(text) => text.string()?,
            };
            FrameSignal::Refused { reason, message }
        }
        _ => return None,
    };
    signal.validated()
}

#[cfg(test)]
mod tests {
    use super::*;
    use moments_protocol::ErrorBody;
    use serde_json::{Value, json};

    fn grant(uri: &str, expires_in: &Value, url: &str) -> Result<Grant, MomentsError> {
        parse_grant(&json!({ "request_uri": uri, "expires_in": expires_in, "iframe_url": url }))
    }

    #[test]
    fn a_good_grant_parses() {
        let grant = grant(
            "urn:ietf:params:oauth:request_uri:abc",
            &json!(60),
            "https://embeddings.infobip.com/authorize?request_uri=urn%3Aabc",
        )
        .unwrap();
        assert_eq!(grant.expires_in, Duration::from_secs(60));
    }

    #[test]
    fn unsafe_or_broken_grants_are_malformed() {
        for (uri, expires_in, url) in [
            ("", json!(60), "https://x/authorize"),
            ("u", json!(0), "https://x/authorize"),
            ("u", json!(1.5), "https://x/authorize"),
            ("u", json!(-1), "https://x/authorize"),
            ("u", json!("60"), "https://x/authorize"),
            ("u", json!(60), "javascript:alert(1)"),
            ("u", json!(60), "data:text/html,hi"),
            ("u", json!(60), "/authorize?request_uri=u"),
            ("u", json!(60), "https:///path"),
            ("u", json!(60), "https://x/a b"),
        ] {
            let error = grant(uri, &expires_in, url).unwrap_err();
            assert_eq!(
                error.kind(),
                "malformed_response",
                "{uri:?} {expires_in} {url:?}"
            );
            assert!(error.retryable());
        }
        assert!(parse_grant(&json!([1, 2])).is_err());
        assert!(parse_grant(&json!({ "request_uri": "u", "iframe_url": "https://x" })).is_err());
    }

    #[test]
    fn long_lifetimes_are_clamped() {
        let grant = grant("u", &json!(86_400), "https://x/a").unwrap();
        assert_eq!(grant.expires_in, Duration::from_secs(600));
        let huge = grant_huge();
        assert_eq!(huge.expires_in, Duration::from_secs(600));
    }

    fn grant_huge() -> Grant {
        grant("u", &json!(1e300), "https://x/a").unwrap()
    }

    #[test]
    fn error_bodies_keep_the_servers_code_and_message() {
        let body = serde_json::to_value(ErrorBody::new(
            ErrorCode::UpstreamAuth,
            "The server's Infobip credentials were refused.",
        ))
        .unwrap();
        let error = parse_error_response(502, Some(&body));
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
        let foreign = parse_error_response(503, Some(&json!({ "message": "nginx" })));
        assert!(foreign.retryable());
        assert!(!parse_error_response::<Value>(404, None).retryable());
        let unknown_code =
            json!({ "error": { "code": "teapot", "message": "x", "retryable": true } });
        assert_eq!(
            parse_error_response(418, Some(&unknown_code)).to_string(),
            "The server answered with status 418."
        );
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
            parse_frame_message(&json!({ "type": "moments:ready" })),
            Some(FrameSignal::Ready)
        );
        assert_eq!(
            parse_frame_message(&json!({ "type": "moments:resize", "height": 640.5 })),
            Some(FrameSignal::Resize(640.5))
        );
        assert_eq!(
            parse_frame_message(
                &json!({ "type": "moments:event", "name": "use_case.activated", "data": { "id": 7 } })
            ),
            Some(FrameSignal::Event {
                name: "use_case.activated".into(),
                data: r#"{"id":7}"#.into()
            })
        );
        assert_eq!(
            parse_frame_message(
                &json!({ "type": "moments:error", "code": "invalid_request_uri", "reason": "reused" })
            ),
            Some(FrameSignal::Refused {
                reason: AuthorizeFailure::Reused,
                message: String::new()
            })
        );
        for rejected in [
            json!({ "type": "moments:resize", "height": -1 }),
            json!({ "type": "moments:resize", "height": 1e9 }),
            json!({ "type": "moments:resize", "height": "640" }),
            json!({ "type": "moments:resize" }),
            json!({ "type": "moments:event", "name": "" }),
            json!({ "type": "moments:event", "name": "<script>" }),
            json!({ "type": "moments:event", "name": "x", "data": "a".repeat(MAX_FRAME_MESSAGE_BYTES) }),
            json!({ "type": "moments:error", "code": "other", "reason": "expired" }),
            json!({ "type": "moments:error", "code": "invalid_request_uri", "reason": "bogus" }),
            json!({ "type": "moments:error", "code": "invalid_request_uri", "reason": "expired", "message": 5 }),
            json!({ "type": "webpackOk" }),
            json!({ "type": 42 }),
            json!([1, 2, 3]),
            json!("moments:ready"),
            Value::Null,
        ] {
            assert_eq!(parse_frame_message(&rejected), None, "{rejected}");
        }
    }
}
