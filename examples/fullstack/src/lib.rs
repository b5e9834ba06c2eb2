//! A full-stack Leptos app with `<MomentsEmbed/>`: the pages ([`app`]), rendered on the
//! server and hydrated in the browser (the `hydrate` entry point below). The server is
//! `src/main.rs`.

pub mod app;

/// The browser's entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
