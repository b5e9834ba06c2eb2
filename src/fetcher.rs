//! How the component gets a session grant: by default a `POST` to the host's endpoint,
//! or a host-supplied [`Fetcher`] for hosts with their own transport or auth.

use crate::protocol::MomentsError;
#[cfg(not(feature = "ssr"))]
use crate::protocol::{parse_error_response, parse_retry_after};
use moments_protocol::{SessionGrant, SessionRequest};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use web_sys::AbortSignal;

/// One request for a grant, handed to a [`Fetcher`].
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// The body to send (`{"embedding": …}`).
    pub body: SessionRequest,
    /// Aborted when the component no longer wants the answer (unmount, timeout).
    pub signal: AbortSignal,
}

/// Why a fetch failed, and when to try again if the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchFailure {
    /// What went wrong.
    pub error: MomentsError,
    /// The server's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

impl From<MomentsError> for FetchFailure {
    fn from(error: MomentsError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// The future a [`Fetcher`] returns. Browser futures are not `Send`; neither is this.
pub type FetchFuture = Pin<Box<dyn Future<Output = Result<SessionGrant, FetchFailure>>>>;

/// A custom way to obtain a [`SessionGrant`], replacing the default `POST`.
///
/// ## Usage
/// ```
/// use moments_embed::{FetchFailure, FetchRequest, Fetcher, MomentsError};
///
/// let fetcher = Fetcher::new(|request: FetchRequest| {
///     Box::pin(async move {
///         // Call your own API client here, passing `request.signal` on.
///         let _ = request;
///         Err(FetchFailure::from(MomentsError::Network("not wired up".into())))
///     })
/// });
/// ```
#[derive(Clone)]
pub struct Fetcher(Arc<dyn Fn(FetchRequest) -> FetchFuture + Send + Sync>);

impl Fetcher {
    /// Wraps `fetch`.
    pub fn new(fetch: impl Fn(FetchRequest) -> FetchFuture + Send + Sync + 'static) -> Self {
        Self(Arc::new(fetch))
    }

    #[cfg_attr(feature = "ssr", allow(dead_code))]
    pub(crate) fn call(&self, request: FetchRequest) -> FetchFuture {
        (self.0)(request)
    }
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fetcher(..)")
    }
}

/// The default transport: `POST endpoint` with a JSON body and the host's headers,
/// same-origin credentials (cookies flow to the host's own backend).
#[cfg(not(feature = "ssr"))]
pub(crate) async fn post_session(
    endpoint: String,
    headers: Vec<(String, String)>,
    request: FetchRequest,
) -> Result<SessionGrant, FetchFailure> {
    let network = |e: gloo_net::Error| FetchFailure::from(MomentsError::Network(e.to_string()));
    let mut builder = gloo_net::http::Request::post(&endpoint)
        .abort_signal(Some(&request.signal))
        .header("Accept", "application/json");
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    let response = builder
        .json(&request.body)
        .map_err(network)?
        .send()
        .await
        .map_err(network)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .as_deref()
        .and_then(parse_retry_after);
    let text = response.text().await.map_err(network)?;
    if (200..300).contains(&status) {
        // Shape only; the driver validates every grant, whichever fetcher produced it.
        serde_json::from_str(&text).map_err(|e| {
            FetchFailure::from(MomentsError::MalformedResponse(format!(
                "not a session grant: {e}"
            )))
        })
    } else {
        Err(FetchFailure {
            error: parse_error_response(status, &text),
            retry_after,
        })
    }
}
