//! The component's styles on a page whose CSP allows no inline styles at all
//! (`style-src 'self'`, what `moments-par` serves): the stylesheet is adopted through
//! CSSOM, which that policy does not govern, so the frame is laid out with default props.
//! Its own test binary, because a CSP cannot be removed from a page.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::MomentsEmbed;
use serde_json::Value;
use support::{Backend, document, frame_element, mount, wait_for};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function count_style_violations() {
  window.__styleViolations = 0;
  document.addEventListener("securitypolicyviolation", (e) => {
    if (e.effectiveDirective.startsWith("style-src")) window.__styleViolations += 1;
  });
}
export function style_violations() { return window.__styleViolations; }
export function layout(root) {
  const frame = root.querySelector("iframe.moments-embed__frame");
  const css = getComputedStyle(frame);
  return JSON.stringify({
    root_width: root.getBoundingClientRect().width,
    frame_width: frame.getBoundingClientRect().width,
    frame_border: css.borderTopWidth + " " + css.borderTopStyle,
    root_min_height: getComputedStyle(root).minHeight,
  });
}
export function adopted_sheets() { return document.adoptedStyleSheets.length; }
"#)]
extern "C" {
    fn count_style_violations();
    fn style_violations() -> u32;
    fn layout(root: &web_sys::Element) -> String;
    fn adopted_sheets() -> u32;
}

#[wasm_bindgen_test]
async fn default_props_lay_the_frame_out_under_a_strict_style_src() {
    let meta = document().create_element("meta").unwrap();
    meta.set_attribute("http-equiv", "Content-Security-Policy")
        .unwrap();
    meta.set_attribute("content", "style-src 'self'").unwrap();
    document().head().unwrap().append_child(&meta).unwrap();
    count_style_violations();
    let backend = Backend::install();

    // A host that links the stylesheet itself: the component adds nothing.
    backend.grant("u-linked", 60);
    let linked = mount(|| view! { <MomentsEmbed lazy=false inject_css=false/> });
    wait_for("the first frame", 5_000, || linked.state() == "ready").await;
    assert_eq!(adopted_sheets(), 0, "inject_css=false adopts nothing");
    let unstyled: Value =
        serde_json::from_str(&layout(&linked.find(".moments-embed").unwrap())).unwrap();
    assert_ne!(
        unstyled["root_min_height"], "640px",
        "no stylesheet, no component styles: {unstyled}"
    );
    linked.unmount().await;

    // Default props, twice on one page: one adopted sheet, no violation, full width.
    backend.grant("u-first", 60).grant("u-second", 60);
    let page = mount(|| {
        view! {
            <MomentsEmbed lazy=false/>
            <MomentsEmbed lazy=false/>
        }
    });
    wait_for("both frames", 5_000, || {
        page.count("[data-state=\"ready\"]") == 2
    })
    .await;
    assert_eq!(
        adopted_sheets(),
        1,
        "the stylesheet is adopted once per document"
    );
    assert_eq!(
        document().query_selector_all("style").unwrap().length(),
        0,
        "no <style> element, which this policy would block"
    );
    let styled: Value =
        serde_json::from_str(&layout(&page.find(".moments-embed").unwrap())).unwrap();
    let root_width = styled["root_width"].as_f64().unwrap();
    let frame_width = styled["frame_width"].as_f64().unwrap();
    assert!(
        (root_width - frame_width - 2.0).abs() < 1.0,
        "the frame spans the component (inside its 1 px border), not 300 px: {styled}"
    );
    assert_eq!(styled["frame_border"], "0px none", "{styled}");
    assert_eq!(
        styled["root_min_height"], "640px",
        "the placeholder takes the frame's room (the default height): {styled}"
    );
    assert!(
        frame_element(&page).get_attribute("style").is_some(),
        "the frame's height is set through CSSOM too"
    );
    assert_eq!(
        style_violations(),
        0,
        "nothing the component did was blocked"
    );
    page.unmount().await;
}
