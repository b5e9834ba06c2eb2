//! Size probe, practical baseline: what a host would write by hand without the
//! component. A signal, an effect-free async task that POSTs to the session endpoint,
//! reads `iframe_url` from the JSON answer, and renders a plain iframe. It has no
//! retries, expiry handling, sizing, message checks or cleanup: those are what
//! `<MomentsEmbed/>` adds, and `embed.rs` minus this is what they cost.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

async fn iframe_url() -> Option<String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str("{}"));
    let request = web_sys::Request::new_with_str_and_init("/api/moments/session", &init).ok()?;
    request
        .headers()
        .set("Content-Type", "application/json")
        .ok()?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let text = JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    let body = js_sys::JSON::parse(&text).ok()?;
    js_sys::Reflect::get(&body, &"iframe_url".into())
        .ok()?
        .as_string()
}

fn main() {
    leptos::mount::mount_to_body(|| {
        let url = RwSignal::new(None::<String>);
        leptos::task::spawn_local(async move { url.set(iframe_url().await) });
        view! {
            {move || url.get().map(|src| view! { <iframe src=src title="Infobip Moments campaigns"></iframe> })}
        }
    });
}
