//! A page whose Content-Security-Policy forbids the frame: the component must say so,
//! not hang or retry. Its own test binary, because a CSP cannot be removed from a page.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::MomentsEmbed;
use support::{Backend, mount, wait_for};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_frame_blocked_by_the_pages_csp_is_a_clear_fatal_error() {
    let document = support::document();
    let meta = document.create_element("meta").unwrap();
    meta.set_attribute("http-equiv", "Content-Security-Policy")
        .unwrap();
    meta.set_attribute("content", "frame-src 'none'").unwrap();
    document.head().unwrap().append_child(&meta).unwrap();

    let backend = Backend::install();
    backend.grant("u-blocked", 60);
    backend.grant("u-never-asked", 60);
    let page = mount(|| view! { <MomentsEmbed lazy=false/> });
    wait_for("the CSP error", 5_000, || page.state() == "error").await;
    let error = page.find(".moments-embed__error").unwrap();
    assert_eq!(
        error.get_attribute("data-error").as_deref(),
        Some("csp_blocked")
    );
    let message = page
        .find(".moments-embed__message")
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        message.contains("frame-src"),
        "says which directive to fix: {message}"
    );
    assert!(
        page.find(".moments-embed__next").is_none(),
        "a CSP block is not retried"
    );
    support::sleep(300).await;
    assert_eq!(backend.requests().len(), 1);
    page.unmount().await;
}
