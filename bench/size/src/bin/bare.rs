//! Size probe, baseline: a bare Leptos CSR page rendering a plain iframe. `bench/size.sh`
//! builds it exactly like the demo (wasm-release, wasm-bindgen, wasm-opt -Oz) and
//! subtracts it from `embed.rs` to get the component's marginal size.

use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(|| {
        view! {
            <iframe
                src="https://embeddings.infobip.com/authorize?request_uri=urn%3Aexample"
                title="Infobip Moments campaigns"
            ></iframe>
        }
    });
}
