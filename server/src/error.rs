//! `AppError`: every way a session request can fail, as the browser will see it.
//!
//! Handlers return `Result<_, AppError>` and use `?`; the `From` impls decide which
//! code each failure gets. The message is written for a person and never carries the
//! API key, an upstream body or our internals: those go to the log, at most.

use crate::par_client::ParError;
use crate::tenant::TenantRejection;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use moments_protocol::{ErrorBody, ErrorCode, SessionFailure};
use std::time::Duration;

/// A failed session request: a code from the closed set and a sentence for a person.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AppError {
    /// Which error; decides the status and the retry policy.
    pub code: ErrorCode,
    /// What to tell the person, in one sentence.
    pub message: String,
    /// When asking again makes sense (sent as `Retry-After`, in whole seconds).
    pub retry_after: Option<Duration>,
}

impl AppError {
    /// An error with `code` and `message` and no `Retry-After`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same error, asking the client to wait `after` before trying again.
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// A `400 bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// A `500 internal`: a bug or a mistake in the setup, said to the person without
    /// details (those go to the log, where it happens).
    pub(crate) fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on the server. Please try again later.",
        )
    }

    /// The HTTP status of this refusal, through any transport.
    pub(crate) fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The headers this refusal is answered with, through any transport: never stored,
    /// when to retry, and which method to use instead.
    pub(crate) fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after_secs() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == ErrorCode::MethodNotAllowed {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        headers
    }
}

impl AppError {
    /// `Retry-After` in whole seconds, rounded up and at least 1 (a `0` for a 400 ms
    /// wait would invite an instant retry).
    fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
            .map(|after| (after.as_secs() + u64::from(after.subsec_nanos() > 0)).max(1))
    }
}

/// The same failure for another wire (a Leptos server function's): code, message,
/// retryability and `Retry-After`, as the REST answer carries them.
impl From<AppError> for SessionFailure {
    fn from(error: AppError) -> Self {
        let retry_after_secs = error.retry_after_secs();
        Self {
            error: ErrorBody::new(error.code, error.message).error,
            retry_after_secs,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let headers = self.headers();
        let mut response = (
            status,
            headers,
            Json(ErrorBody::new(self.code, self.message)),
        )
            .into_response();
        // Lets the metrics and trace layers count errors by code without parsing bodies.
        response.extensions_mut().insert(self.code);
        response
    }
}

impl From<ParError> for AppError {
    fn from(error: ParError) -> Self {
        let code = error.code();
        let message = match &error {
            ParError::Auth { .. } => {
                "The server's Infobip credentials were refused. An administrator must check the API key and its scopes."
            }
            ParError::Rejected { .. } => {
                "Infobip refused to open this embedding. An administrator must check the embedding configuration."
            }
            ParError::RateLimited { .. } => {
                "Infobip is busy right now. Please try again in a moment."
            }
            ParError::Unavailable { .. } => {
                "Infobip could not be reached. Please try again in a moment."
            }
            ParError::BadResponse { .. } => {
                "Infobip sent an unexpected answer. Please try again in a moment."
            }
        };
        let app = Self::new(code, message);
        match error.retry_after() {
            Some(after) => app.retry_after(after),
            None => app,
        }
    }
}

impl From<TenantRejection> for AppError {
    fn from(rejection: TenantRejection) -> Self {
        match rejection {
            TenantRejection::Unauthenticated(message) => {
                Self::new(ErrorCode::Unauthorized, message)
            }
            TenantRejection::Forbidden(message) => Self::new(ErrorCode::Forbidden, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let response = AppError::new(ErrorCode::RateLimited, "slow down")
            .retry_after(Duration::from_millis(1200))
            .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }
}
