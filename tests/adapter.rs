//! A frame that speaks another protocol: the README's adapter examples, in a real browser.
//! The adapter maps; the component still checks origin, window and values.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::json::JsonView;
use moments_embed::{FrameAdapter, FrameSignal, Height, MomentsEmbed, SessionConfig};
use serde_json::json;
use std::time::Duration;
use support::{
    Backend, FrameLoadsSwallowed, forge_message, frame_height, frame_window, mount, origin,
    post_expression_from, post_message_from, wait_for,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// `{type: "resize", height}`, `{type: "session-ended"}` and the bare string `"loaded"`.
fn resize_convention() -> FrameAdapter {
    FrameAdapter::new(|data| {
        if data.as_string().as_deref() == Some("loaded") {
            return Some(FrameSignal::Ready);
        }
        match data.field("type")?.string()?.as_str() {
            "resize" => Some(FrameSignal::Resize(data.field("height")?.number()?)),
            "session-ended" => Some(FrameSignal::SessionExpired),
            _ => None,
        }
    })
}

/// Looker's shape: JSON *text*, `{"type":"page:properties:changed","height":N}`.
fn looker_convention() -> FrameAdapter {
    FrameAdapter::new(|data| {
        let message = js_sys::JSON::parse(&data.as_string()?).ok()?;
        match message.field("type")?.string()?.as_str() {
            "page:properties:changed" => {
                Some(FrameSignal::Resize(message.field("height")?.number()?))
            }
            _ => None,
        }
    })
}

#[wasm_bindgen_test]
async fn a_host_adapter_maps_another_convention_and_bad_values_are_still_refused() {
    let backend = Backend::install();
    backend.grant("u-adapter", 60).grant("u-adapter-2", 60);
    let page = mount(|| {
        view! {
            <MomentsEmbed
                lazy=false
                height=Height::Auto { min: 100.0, max: 5_000.0 }
                frame_adapter=resize_convention()
            />
        }
    });
    wait_for("ready on load", 5_000, || page.state() == "ready").await;

    post_message_from(
        &frame_window(&page),
        &json!({ "type": "resize", "height": 700 }),
    );
    wait_for("the mapped resize", 1_000, || {
        frame_height(&page) == "700px"
    })
    .await;

    // What the adapter maps is validated as ours is: negative, infinite, absurd.
    post_message_from(
        &frame_window(&page),
        &json!({ "type": "resize", "height": -5 }),
    );
    post_expression_from(&frame_window(&page), "{ type: 'resize', height: 1e400 }");
    post_message_from(
        &frame_window(&page),
        &json!({ "type": "resize", "height": 200_000 }),
    );
    // This project's own convention means nothing to this adapter.
    post_message_from(
        &frame_window(&page),
        &json!({ "type": "moments:resize", "height": 900 }),
    );
    // The right shape from the wrong window (a forged event) is not the adapter's call.
    forge_message(&json!({ "type": "resize", "height": 300 }), &origin(), None);
    support::sleep(100).await;
    support::animation_frame().await;
    assert_eq!(
        frame_height(&page),
        "700px",
        "only the valid mapped resize counted"
    );

    // A mapped session end gets a fresh request_uri and a new frame.
    post_message_from(&frame_window(&page), &json!({ "type": "session-ended" }));
    wait_for("a second fetch", 2_000, || backend.requests().len() == 2).await;
    wait_for("ready again", 5_000, || page.state() == "ready").await;
    assert_eq!(
        frame_height(&page),
        "700px",
        "the new frame keeps the height"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_looker_style_adapter_reads_json_text_messages() {
    let backend = Backend::install();
    backend.grant("u-looker", 60);
    let page = mount(|| {
        view! {
            <MomentsEmbed
                lazy=false
                height=Height::Auto { min: 100.0, max: 5_000.0 }
                frame_adapter=looker_convention()
            />
        }
    });
    wait_for("ready on load", 5_000, || page.state() == "ready").await;
    post_expression_from(
        &frame_window(&page),
        "JSON.stringify({ type: 'page:properties:changed', height: 812 })",
    );
    wait_for("the JSON-text resize", 1_000, || {
        frame_height(&page) == "812px"
    })
    .await;
    post_expression_from(&frame_window(&page), "'not json at all'");
    post_expression_from(
        &frame_window(&page),
        "JSON.stringify({ type: 'page:properties:changed', height: 'tall' })",
    );
    support::sleep(100).await;
    support::animation_frame().await;
    assert_eq!(frame_height(&page), "812px", "junk is ignored, not a panic");
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn an_adapters_ready_makes_a_frame_ready_but_not_from_another_origin() {
    // The component never hears the frames' `load` here, so only a `Ready` can make
    // one ready; without it, the ready timeout fires.
    let _loads = FrameLoadsSwallowed::start();
    let config = SessionConfig {
        lazy: false,
        max_attempts: 1,
        ready_timeout: Duration::from_millis(1_500),
        ..SessionConfig::default()
    };
    let backend = Backend::install();
    backend.grant("u-unheard", 60);
    let first = config.clone();
    let quiet = mount(move || {
        view! { <MomentsEmbed session_config=first frame_adapter=resize_convention()/> }
    });
    wait_for("the ready timeout", 5_000, || quiet.state() == "error").await;
    assert_eq!(quiet.error_kind().as_deref(), Some("frame_timeout"));
    quiet.unmount().await;

    backend.grant("u-ready", 60);
    let page = mount(move || {
        view! { <MomentsEmbed session_config=config frame_adapter=resize_convention()/> }
    });
    wait_for("the frame's page", 3_000, || {
        page.count("iframe") == 1
            && frame_window(&page)
                .location()
                .href()
                .is_ok_and(|href| href.contains("u-ready"))
    })
    .await;
    // The frame's own window, but a message claiming another origin: not the frame.
    forge_message(
        &json!("loaded"),
        "https://elsewhere.example",
        Some(&frame_window(&page)),
    );
    support::sleep(300).await;
    assert_eq!(
        page.state(),
        "mounting",
        "a foreign origin's ready is ignored"
    );
    post_expression_from(&frame_window(&page), "'loaded'");
    wait_for("ready by the adapter's mapping", 1_000, || {
        page.state() == "ready"
    })
    .await;
    assert_eq!(backend.requests().len(), 2, "one session per mount");
    page.unmount().await;
}
