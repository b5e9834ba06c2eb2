//! How the component gets a session grant: by default a `POST` to the host's endpoint,
//! or a host-supplied [`Fetcher`] for hosts with their own transport or auth, a Leptos
//! server function among them ([`Fetcher::server_fn`]).

use crate::error::MomentsError;
use crate::parse::http_error;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use moments_protocol::{SessionFailure, SessionGrant, SessionRequest};
use serde::{Deserialize, Serialize};
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
/// Whatever it returns is validated like the default transport's answer (an `iframe_url`
/// that is not absolute http(s), for instance, is refused).
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

    /// A transport through a Leptos server function that answers a [`SessionRequest`]
    /// with a [`SessionGrant`], or a [`SessionFnError`]; on the server, the function
    /// calls `moments_par::SessionService::create`, so it makes exactly the checks of
    /// the REST endpoint.
    ///
    /// The companion's refusals arrive as they would from the endpoint, with their
    /// code, retryability and `Retry-After`, and the component treats them the same way.
    /// When the component no longer wants the answer (unmount, timeout), it drops the
    /// call's future, which aborts the server function's request.
    ///
    /// ## Usage
    /// ```
    /// use leptos::prelude::*;
    /// use moments_embed::{Fetcher, MomentsEmbed, SessionFnError, SessionGrant, SessionRequest};
    ///
    /// // JSON arguments: the default URL encoding drops an empty `SessionRequest`.
    /// #[server(input = leptos::server_fn::codec::Json)]
    /// async fn moments_session(asked: SessionRequest) -> Result<SessionGrant, SessionFnError> {
    ///     // On the server: moments_par::SessionService::create(&parts, asked), with the
    ///     // request's parts from leptos_axum::extract() (see examples/fullstack).
    ///     # let _ = asked;
    ///     # Err(SessionFnError::ServerFn("not wired up in this example".into()))
    /// }
    ///
    /// #[component]
    /// fn Campaigns() -> impl IntoView {
    ///     view! { <MomentsEmbed fetcher=Fetcher::server_fn(moments_session)/> }
    /// }
    /// ```
    pub fn server_fn<F, Fut>(call: F) -> Self
    where
        F: Fn(SessionRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<SessionGrant, SessionFnError>> + 'static,
    {
        Self::new(move |request: FetchRequest| {
            let answer = call(request.body);
            Box::pin(async move { answer.await.map_err(FetchFailure::from) })
        })
    }

    #[cfg_attr(not(moments_browser), allow(dead_code))]
    pub(crate) fn call(&self, request: FetchRequest) -> FetchFuture {
        (self.0)(request)
    }
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fetcher(..)")
    }
}

/// What a Leptos server function for sessions fails with (see [`Fetcher::server_fn`]):
/// the companion's refusal, whole, or the server function's own failure to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SessionFnError {
    /// The companion refused, as its REST endpoint would have (code, message,
    /// retryability, `Retry-After`).
    #[error("{0}")]
    Refused(SessionFailure),
    /// The call itself failed (no connection, a server function that did not run).
    #[error("{0}")]
    ServerFn(String),
}

impl From<SessionFailure> for SessionFnError {
    fn from(failure: SessionFailure) -> Self {
        Self::Refused(failure)
    }
}

impl FromServerFnError for SessionFnError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        Self::ServerFn(error.to_string())
    }
}

/// A refusal maps exactly as the same answer from the REST endpoint would; a failed
/// call is a network error (retried, like a failed `fetch`).
impl From<SessionFnError> for FetchFailure {
    fn from(error: SessionFnError) -> Self {
        match error {
            SessionFnError::Refused(failure) => Self {
                error: http_error(
                    failure.status(),
                    Some(failure.error.code),
                    &failure.error.message,
                    failure.error.retryable,
                ),
                retry_after: failure
                    .retry_after_secs
                    .map(|secs| Duration::from_secs(secs.min(crate::parse::MAX_RETRY_AFTER_SECS))),
            },
            SessionFnError::ServerFn(message) => Self::from(MomentsError::Network(message)),
        }
    }
}

/// The request body as JSON text.
#[cfg_attr(not(moments_browser), allow(dead_code))]
pub(crate) fn request_body(request: &SessionRequest) -> String {
    // A `SessionRequest` is a struct of strings: serializing it cannot fail.
    serde_json::to_string(request).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(moments_browser)]
pub(crate) use transport::post_session;

/// The default transport: `fetch` from web-sys, `JSON.parse` from the browser.
///
/// Not gloo-net, though the rest of this project uses it: measured with `bench/size.sh`,
/// gloo-net 0.6's request builder and error conversions add 2.7 KB gzip (8.8 KB raw) to
/// the component, and its `send()` panics (`unreachable!`) when `fetch` rejects with
/// something that is not an `Error`, which a host's fetch wrapper may do; a panic in a
/// `panic = "abort"` build takes the host's whole app down. Here every rejection is a
/// typed [`MomentsError::Network`](crate::MomentsError::Network).
#[cfg(moments_browser)]
mod transport {
    use super::{FetchFailure, FetchRequest, request_body};
    use crate::error::MomentsError;
    use crate::parse::{Grant, parse_error_response, parse_grant, parse_retry_after};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

    /// Answers larger than this are not a session grant (nor an error body of ours).
    const MAX_BODY_BYTES: usize = 64 * 1024;

    /// `POST endpoint` with a JSON body and the host's headers; same-origin credentials,
    /// so the host's own session cookie reaches its own backend.
    pub(crate) async fn post_session(
        endpoint: String,
        headers: Vec<(String, String)>,
        request: FetchRequest,
    ) -> Result<Grant, FetchFailure> {
        let response = send(&endpoint, &headers, &request)
            .await
            .map_err(|e| network(&e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .as_deref()
            .and_then(parse_retry_after);
        let text = JsFuture::from(response.text().map_err(|e| network(&e))?)
            .await
            .map_err(|e| network(&e))?
            .as_string()
            .unwrap_or_default();
        let body = (text.len() <= MAX_BODY_BYTES)
            .then(|| js_sys::JSON::parse(&text).ok())
            .flatten();
        if (200..300).contains(&status) {
            let body = body.ok_or_else(|| {
                MomentsError::MalformedResponse("the answer is not JSON".to_owned())
            })?;
            Ok(parse_grant(&body)?)
        } else {
            Err(FetchFailure {
                error: parse_error_response(status, body.as_ref()),
                retry_after,
            })
        }
    }

    async fn send(
        endpoint: &str,
        headers: &[(String, String)],
        request: &FetchRequest,
    ) -> Result<Response, JsValue> {
        let header_list = Headers::new()?;
        header_list.set("Content-Type", "application/json")?;
        header_list.set("Accept", "application/json")?;
        for (name, value) in headers {
            header_list.set(name, value)?;
        }
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&header_list);
        init.set_body(&JsValue::from_str(&request_body(&request.body)));
        init.set_credentials(RequestCredentials::SameOrigin);
        init.set_signal(Some(&request.signal));
        let request = Request::new_with_str_and_init(endpoint, &init)?;
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        JsFuture::from(window.fetch_with_request(&request))
            .await?
            .dyn_into()
    }

    /// A fetch that failed before any answer. The browser's message ("Failed to fetch")
    /// is all there is: CORS, DNS and refused connections look the same from script.
    fn network(error: &JsValue) -> FetchFailure {
        let detail = error
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| error.as_string())
            .unwrap_or_else(|| "the request failed".to_owned());
        FetchFailure::from(MomentsError::Network(detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_are_valid_json_in_the_documented_shape() {
        let none = request_body(&SessionRequest::default());
        assert_eq!(none, "{}");
        let named = request_body(&SessionRequest {
            embedding: Some("camp\"aigns".into()),
        });
        let back: SessionRequest = serde_json::from_str(&named).unwrap();
        assert_eq!(back.embedding.as_deref(), Some("camp\"aigns"));
    }
}
