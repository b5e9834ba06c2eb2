//! Server-side rendering: the component renders a styled, sized loading placeholder and
//! nothing else; every browser API waits for the client. `make test` runs this twice:
//! with the component's `ssr` feature, and with only `leptos/ssr` (a native dev-dependency,
//! so a plain `cargo test`: the easy slip of a full-stack app that forgets ours), which
//! must render the same and never panic.

// Not in a build where `csr` is on too (`cargo test --workspace` unifies the demo's):
// that is a client-side build, and `make test` runs this binary on its own, as above.
#![cfg(not(any(target_arch = "wasm32", feature = "csr")))]

use leptos::prelude::*;
use moments_embed::{MomentsEmbed, STYLESHEET, STYLESHEET_CSP_SOURCE};

#[test]
fn renders_a_styled_loading_placeholder_without_touching_browser_apis() {
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
    assert!(
        html.contains(r#"aria-busy="true""#),
        "busy until the frame is there: {html}"
    );
    assert!(
        html.contains("Loading campaigns…"),
        "the live region says it is loading: {html}"
    );
    assert!(
        html.contains(r#"class="moments-embed__spinner""#),
        "the loading view is rendered: {html}"
    );
    assert!(
        !html.contains("<iframe"),
        "no frame is rendered on the server: {html}"
    );
}

#[test]
fn the_server_render_carries_the_stylesheet_allowed_by_its_hash() {
    let owner = Owner::new();
    owner.set();
    let html = view! { <MomentsEmbed/> }.to_html();
    let style = format!(r#"<style data-moments-embed="">{STYLESHEET}</style>"#);
    assert!(
        html.contains(&style),
        "the stylesheet, byte for byte as hashed: {html}"
    );
    assert!(
        STYLESHEET.contains("--moments-embed-min-height:640px"),
        "sized like the default frame before any script runs"
    );
    // `printf %s "$STYLESHEET" | openssl dgst -sha256 -binary | base64`, computed by the
    // build script: check its shape here, its value in the browser (a CSP that allows it).
    assert!(
        STYLESHEET_CSP_SOURCE.starts_with("'sha256-") && STYLESHEET_CSP_SOURCE.ends_with("='"),
        "{STYLESHEET_CSP_SOURCE}"
    );
}
