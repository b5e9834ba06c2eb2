//! Custom transports: a host's `Fetcher` (a Leptos server function among them) is
//! dropped when the component no longer wants its answer, and a refusal through a server
//! function looks exactly as the same refusal from the REST endpoint.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::{
    ApiError, ErrorCode, FetchRequest, Fetcher, MomentsEmbed, SessionFailure, SessionFnError,
    live_resources,
};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use support::{Backend, error_body, mount, wait_for};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Sets its flag when dropped: stands for a server function's request, which leptos
/// aborts when its future is dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A transport that never answers, and says when its future is dropped.
fn never_answers(dropped: &Arc<AtomicBool>) -> Fetcher {
    let dropped = Arc::clone(dropped);
    Fetcher::new(move |_: FetchRequest| {
        let flag = DropFlag(Arc::clone(&dropped));
        Box::pin(async move {
            let _flag = flag;
            std::future::pending().await
        })
    })
}

#[wasm_bindgen_test]
async fn a_custom_transports_future_is_dropped_on_unmount_and_on_timeout() {
    let dropped = Arc::new(AtomicBool::new(false));
    let fetcher = never_answers(&dropped);
    let page = mount(move || view! { <MomentsEmbed lazy=false fetcher=fetcher/> });
    wait_for("fetching", 1_000, || page.state() == "fetching").await;
    support::sleep(50).await;
    assert!(!dropped.load(Ordering::SeqCst), "in flight while wanted");
    page.unmount().await;
    assert!(
        dropped.load(Ordering::SeqCst),
        "unmounting dropped the transport's future"
    );
    assert_eq!(live_resources(), Default::default(), "nothing left behind");

    let dropped = Arc::new(AtomicBool::new(false));
    let fetcher = never_answers(&dropped);
    let page = mount(move || {
        view! {
            <MomentsEmbed lazy=false fetcher=fetcher fetch_timeout=Duration::from_millis(200)/>
        }
    });
    wait_for("the timeout", 2_000, || {
        page.error_kind().as_deref() == Some("timeout")
    })
    .await;
    assert!(
        dropped.load(Ordering::SeqCst),
        "a timed-out call is dropped, not left running"
    );
    page.unmount().await;
}

/// The error view's kind, message and retry announcement, as a person sees them.
fn error_view<M: leptos::tachys::view::Mountable>(
    page: &support::Mounted<M>,
) -> (Option<String>, String, Option<String>) {
    let text = |selector: &str| page.find(selector).and_then(|e| e.text_content());
    (
        page.error_kind(),
        text(".moments-embed__message").unwrap_or_default(),
        text(".moments-embed__next"),
    )
}

#[wasm_bindgen_test]
async fn a_refusal_through_a_server_function_maps_as_the_same_answer_over_rest() {
    // Over REST: 429 rate_limited with Retry-After: 3.
    let backend = Backend::install();
    backend.respond_with_headers(
        429,
        error_body("rate_limited", "Too many requests; wait a moment.", true),
        json!({ "retry-after": "3" }),
    );
    let rest = mount(|| view! { <MomentsEmbed lazy=false/> });
    wait_for("the REST refusal", 2_000, || rest.state() == "error").await;
    let over_rest = error_view(&rest);
    rest.unmount().await;

    // Through a server function: the same refusal, as `SessionService` would send it.
    let fetcher = Fetcher::server_fn(|_asked| async {
        Err(SessionFnError::Refused(SessionFailure {
            error: ApiError {
                code: ErrorCode::RateLimited,
                message: "Too many requests; wait a moment.".into(),
                retryable: true,
            },
            retry_after_secs: Some(3),
        }))
    });
    let server_fn = mount(move || view! { <MomentsEmbed lazy=false fetcher=fetcher/> });
    wait_for("the server function's refusal", 2_000, || {
        server_fn.state() == "error"
    })
    .await;
    let through_server_fn = error_view(&server_fn);
    server_fn.unmount().await;

    assert_eq!(through_server_fn, over_rest, "the same view either way");
    assert_eq!(over_rest.0.as_deref(), Some("http"));
    assert_eq!(
        over_rest.2.as_deref(),
        Some("Trying again in 3 s."),
        "Retry-After crossed the wire"
    );

    // A server function that could not run at all is a network error, retried.
    let failing = Fetcher::server_fn(|_asked| async {
        Err(SessionFnError::ServerFn(
            "error reaching server to call server function".into(),
        ))
    });
    let page = mount(move || view! { <MomentsEmbed lazy=false fetcher=failing/> });
    wait_for("the network error", 2_000, || {
        page.error_kind().as_deref() == Some("network")
    })
    .await;
    assert!(
        page.find(".moments-embed__next").is_some(),
        "retried by itself"
    );
    page.unmount().await;
}
