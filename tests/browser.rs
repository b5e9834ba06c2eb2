//! Browser tests: `<MomentsEmbed/>` mounted in headless Chromium (`wasm-pack test`).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::{MomentsEmbed, live_resources};
use support::{Backend, error_body, mount, wait_for};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn loading_then_iframe_with_the_escaped_request_uri_then_ready() {
    let backend = Backend::install();
    backend.respond_after(
        150,
        200,
        support::grant_body("urn:ietf:params:oauth:request_uri:a&b c", 60),
    );
    let page = mount(|| view! { <MomentsEmbed lazy=false/> });

    wait_for("the loading state", 1_000, || page.state() == "fetching").await;
    let root = page.find(".moments-embed").unwrap();
    assert_eq!(
        root.get_attribute("aria-busy").as_deref(),
        Some("true"),
        "busy while loading"
    );
    assert!(
        root.class_list().contains("moments-embed--fetching"),
        "state modifier class"
    );
    assert_eq!(page.count("iframe"), 0, "no frame before the grant arrives");

    wait_for("the frame", 2_000, || {
        page.count("iframe.moments-embed__frame") == 1
    })
    .await;
    let src = page.find("iframe").unwrap().get_attribute("src").unwrap();
    assert!(
        src.ends_with("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aa%26b%20c"),
        "request_uri is query-escaped: {src}"
    );
    wait_for("ready after the frame loads", 5_000, || {
        page.state() == "ready"
    })
    .await;
    assert_eq!(root.get_attribute("aria-busy").as_deref(), Some("false"));

    let requests = backend.requests();
    assert_eq!(requests.len(), 1, "exactly one fetch: {requests:?}");
    assert_eq!(requests[0]["method"], "POST");
    assert!(
        requests[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/moments/session")
    );
    assert_eq!(requests[0]["headers"]["content-type"], "application/json");
    assert_eq!(requests[0]["body"], "{}");
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_fatal_server_error_shows_its_message_and_a_retry_button_that_works() {
    let backend = Backend::install();
    backend.respond(
        502,
        error_body(
            "upstream_auth",
            "The server's Infobip credentials were refused.",
            false,
        ),
    );
    backend.grant("urn:ietf:params:oauth:request_uri:second", 60);
    let page = mount(|| view! { <MomentsEmbed lazy=false endpoint="/custom/session"/> });

    wait_for("the error view", 2_000, || page.state() == "error").await;
    let alert = page.find("[role=alert]").expect("errors are announced");
    assert_eq!(
        page.find(".moments-embed__message")
            .unwrap()
            .text_content()
            .unwrap(),
        "The server's Infobip credentials were refused."
    );
    assert!(
        page.find(".moments-embed__next").is_none(),
        "a fatal error does not retry by itself"
    );
    assert_eq!(alert.get_attribute("data-error").as_deref(), Some("http"));
    assert_eq!(backend.requests().len(), 1, "no retry storm");
    assert!(
        backend.requests()[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/custom/session")
    );

    let retry: web_sys::HtmlElement =
        wasm_bindgen::JsCast::unchecked_into(page.find("button.moments-embed__retry").unwrap());
    retry.click();
    wait_for("the frame after Retry", 3_000, || page.count("iframe") == 1).await;
    assert_eq!(backend.requests().len(), 2);
    page.unmount().await;
    assert_eq!(
        live_resources(),
        Default::default(),
        "unmount leaves nothing behind"
    );
}
