//! Messages the Moments frame posts to the host page.
//!
//! Every message is a JSON-shaped object with a `type` field from the constants below.
//! The host accepts a message only when `event.origin` is the frame URL's origin **and**
//! `event.source` is that frame's window; the component's `protocol` module adds strict
//! validation (bounded sizes, finite heights) on top of these types.

use serde::{Deserialize, Serialize};

/// `{"type":"moments:ready"}`: the frame has rendered and is usable.
pub const READY: &str = "moments:ready";
/// `{"type":"moments:resize","height":<px>}`: the frame's content height changed.
pub const RESIZE: &str = "moments:resize";
/// `{"type":"moments:session-expired"}`: the frame's session ended; it needs a new one.
pub const SESSION_EXPIRED: &str = "moments:session-expired";
/// `{"type":"moments:event","name":…,"data":…}`: something the user did inside the frame.
pub const EVENT: &str = "moments:event";
/// `{"type":"moments:error","code":…,"reason":…,"message":…}`: the frame could not start.
pub const ERROR: &str = "moments:error";

/// One message from the frame, as it travels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FrameMessage {
    /// See [`READY`].
    #[serde(rename = "moments:ready")]
    Ready,
    /// See [`RESIZE`].
    #[serde(rename = "moments:resize")]
    Resize {
        /// Content height in CSS pixels.
        height: f64,
    },
    /// See [`SESSION_EXPIRED`].
    #[serde(rename = "moments:session-expired")]
    SessionExpired,
    /// See [`EVENT`].
    #[serde(rename = "moments:event")]
    Event {
        /// What happened, e.g. `"use_case.activated"`.
        name: String,
        /// Details; `null` when there are none.
        #[serde(default)]
        data: serde_json::Value,
    },
    /// See [`ERROR`].
    #[serde(rename = "moments:error")]
    Error {
        /// Always `"invalid_request_uri"` for authorize failures (RFC 9126 §2.2).
        code: String,
        /// Why the `request_uri` was refused.
        reason: AuthorizeFailure,
        /// A sentence a person understands.
        #[serde(default)]
        message: String,
    },
}

/// Why the authorize endpoint refused a `request_uri`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizeFailure {
    /// Never issued, or issued for another client.
    Unknown,
    /// Already used once: a `request_uri` is single use.
    Reused,
    /// Issued, but its `expires_in` has passed.
    Expired,
}

impl AuthorizeFailure {
    /// Every reason, in wire order.
    pub const ALL: [Self; 3] = [Self::Unknown, Self::Reused, Self::Expired];

    /// The wire name, e.g. `"reused"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Reused => "reused",
            Self::Expired => "expired",
        }
    }

    /// The reason named `name` on the wire, if there is one.
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_failure_names_are_the_serde_names() {
        for reason in AuthorizeFailure::ALL {
            let json = serde_json::to_value(reason).unwrap();
            assert_eq!(json, reason.as_str());
            assert_eq!(AuthorizeFailure::from_wire(reason.as_str()), Some(reason));
        }
        assert_eq!(AuthorizeFailure::from_wire("Reused"), None);
    }

    #[test]
    fn wire_shapes_match_the_documented_constants() {
        let cases = [
            (FrameMessage::Ready, READY),
            (FrameMessage::Resize { height: 10.0 }, RESIZE),
            (FrameMessage::SessionExpired, SESSION_EXPIRED),
            (
                FrameMessage::Event {
                    name: "x".into(),
                    data: serde_json::Value::Null,
                },
                EVENT,
            ),
            (
                FrameMessage::Error {
                    code: "invalid_request_uri".into(),
                    reason: AuthorizeFailure::Reused,
                    message: String::new(),
                },
                ERROR,
            ),
        ];
        for (message, tag) in cases {
            let json = serde_json::to_value(&message).unwrap();
            assert_eq!(json["type"], tag, "{message:?}");
            let back: FrameMessage = serde_json::from_value(json).unwrap();
            assert_eq!(back, message);
        }
    }
}
