//! A request for a session: the default `POST` or the host's transport, bounded by the
//! fetch timeout, and abandoned (aborted, its future dropped) when the machine lets go of
//! it.

use crate::browser::{InFlight, Listener};
use crate::error::MomentsError;
use crate::fetcher::{FetchRequest, post_session};
use crate::options::UseMomentsSessionOptions;
use crate::parse::Grant;
use crate::session::{FetchId, Input};
use leptos::prelude::GetUntracked;
use moments_protocol::{DEFAULT_ENDPOINT, SessionRequest};
use std::cell::RefCell;
use std::rc::Rc;

/// Starts fetch `id` as `options` say; its answer (or failure, or timeout) is handed to
/// `deliver` as an [`Input`], later, never during this call. The returned [`InFlight`] is
/// the request: dropping it aborts it. `None` when this browser cannot abort requests
/// (delivered as a network failure).
pub(super) fn start(
    options: &UseMomentsSessionOptions,
    id: FetchId,
    deliver: impl Fn(Input) + Clone + 'static,
) -> Option<InFlight> {
    let failed = move |error| Input::FetchFailed {
        fetch: id,
        error,
        retry_after: None,
    };
    let timeout = options.fetch_timeout;
    let on_timeout = {
        let deliver = deliver.clone();
        move || deliver(failed(MomentsError::Timeout(timeout)))
    };
    let Some(in_flight) = InFlight::new(timeout, on_timeout) else {
        wasm_bindgen_futures::spawn_local(async move {
            let error = MomentsError::Network("this browser cannot abort requests".into());
            deliver(failed(error));
        });
        return None;
    };
    let signal = in_flight.signal();
    let request = FetchRequest {
        body: SessionRequest {
            embedding: options.embedding.get_untracked(),
        },
        signal: signal.clone(),
    };
    let custom = options.fetcher.as_ref().map(|f| f.call(request.clone()));
    let endpoint = options
        .endpoint
        .get_untracked()
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    let headers = options
        .headers
        .map(|h| h.get_untracked())
        .unwrap_or_default();
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = match custom {
            // A host's transport is held to the same validation as ours, and its
            // future is dropped when the request is aborted (a server function's
            // request is aborted with it).
            Some(future) => match unless_aborted(future, &signal).await {
                Some(answer) => answer.and_then(|grant| Grant::try_from(grant).map_err(Into::into)),
                None => return,
            },
            None => post_session(endpoint, headers, request).await,
        };
        let input = match outcome {
            Ok(grant) => Input::Fetched { fetch: id, grant },
            Err(failure) => Input::FetchFailed {
                fetch: id,
                error: failure.error,
                retry_after: failure.retry_after,
            },
        };
        deliver(input);
    });
    Some(in_flight)
}

/// `future`'s output, or `None` as soon as `signal` aborts, dropping `future` unfinished.
async fn unless_aborted<T>(
    future: std::pin::Pin<Box<dyn std::future::Future<Output = T>>>,
    signal: &web_sys::AbortSignal,
) -> Option<T> {
    use std::task::{Poll, Waker};
    let mut future = future;
    let woken: Rc<RefCell<(bool, Option<Waker>)>> = Rc::default();
    let on_abort = Rc::clone(&woken);
    // Removed when this function returns, like every listener of the component.
    let _listener = Listener::new(signal, "abort", false, move |_| {
        let mut state = on_abort.borrow_mut();
        state.0 = true;
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
    });
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        let mut state = woken.borrow_mut();
        if state.0 || signal.aborted() {
            return Poll::Ready(None);
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    })
    .await
}
