//! Server-side rendering: under `ssr` the component renders its placeholder and nothing
//! else; every browser API waits for the client.

#![cfg(all(feature = "ssr", not(target_arch = "wasm32")))]

use leptos::prelude::*;
use moments_embed::MomentsEmbed;

#[test]
fn renders_an_idle_placeholder_without_touching_browser_apis() {
    let owner = Owner::new();
    owner.set();
    let html = view! { <MomentsEmbed class="campaigns"/> }.to_html();
    assert!(
        html.contains(
            r#"class="moments-embed moments-embed--idle moments-embed--height-auto campaigns""#
        ),
        "{html}"
    );
    assert!(html.contains(r#"data-state="idle""#), "{html}");
    assert!(html.contains(r#"aria-busy="false""#), "{html}");
    assert!(html.contains(r#"role="status""#), "{html}");
    assert!(
        !html.contains("<iframe"),
        "no frame is rendered on the server: {html}"
    );
}
