//! The component's typed errors: [`MomentsError`].

use moments_protocol::ErrorCode;
use moments_protocol::frame::AuthorizeFailure;
use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
