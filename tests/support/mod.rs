//! Test support for the browser tests: a scripted backend behind `window.fetch`, mounting
//! into a fresh element, waiting on the DOM.
//!
//! The scripted backend answers each request with the next scripted response (status,
//! body, headers, delay, or a network failure) and records every request, including
//! whether it was aborted, so tests assert on exactly what the component sent.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::needless_pass_by_value
)]

use leptos::mount::mount_to;
use leptos::prelude::*;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element, HtmlElement};

#[wasm_bindgen(inline_js = r#"
export function install_backend() {
  const state = { queue: [], requests: [] };
  window.__momentsBackend = state;
  window.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const record = {
      url: request.url,
      method: request.method,
      body: await request.clone().text(),
      headers: Object.fromEntries(request.headers.entries()),
      aborted: false,
      at: performance.now(),
    };
    state.requests.push(record);
    const next = state.queue.length ? state.queue.shift()
      : { status: 599, body: '{"error":{"code":"internal","message":"no scripted response","retryable":false}}' };
    const signal = request.signal;
    if (signal) signal.addEventListener("abort", () => { record.aborted = true; });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, next.delay || 0);
      if (signal) signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new DOMException("The operation was aborted.", "AbortError"));
      });
    });
    if (next.network_error) throw new TypeError("Failed to fetch");
    return new Response(next.body, {
      status: next.status,
      headers: Object.assign({ "content-type": "application/json" }, next.headers || {}),
    });
  };
}
export function script_response(json) { window.__momentsBackend.queue.push(JSON.parse(json)); }
export function recorded_requests() { return JSON.stringify(window.__momentsBackend.requests); }
export function post_from(win, json) { win.eval("parent.postMessage(" + json + ", '*')"); }
export function dispatch_message(json, origin, source) {
  window.dispatchEvent(new MessageEvent("message", { data: JSON.parse(json), origin, source }));
}
export function frames_start() {
  const counter = { frames: 0, running: true };
  const tick = () => { if (counter.running) { counter.frames += 1; requestAnimationFrame(tick); } };
  requestAnimationFrame(tick);
  window.__momentsFrames = counter;
}
export function frames_stop() { window.__momentsFrames.running = false; return window.__momentsFrames.frames; }
export function swallow_frame_loads() {
  const swallow = (event) => {
    if (event.target && event.target.tagName === "IFRAME") event.stopImmediatePropagation();
  };
  // The document, not the window: a `load` never propagates past its document.
  document.addEventListener("load", swallow, true);
  return () => document.removeEventListener("load", swallow, true);
}
export function sleep_ms(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
export function next_frame() { return new Promise((resolve) => requestAnimationFrame(() => resolve())); }
"#)]
extern "C" {
    fn install_backend();
    fn script_response(json: &str);
    fn recorded_requests() -> String;
    fn sleep_ms(ms: u32) -> js_sys::Promise;
    fn post_from(win: &web_sys::Window, json: &str);
    fn frames_start();
    fn frames_stop() -> u32;
    fn dispatch_message(json: &str, origin: &str, source: Option<&web_sys::Window>);
    fn next_frame() -> js_sys::Promise;
    fn swallow_frame_loads() -> js_sys::Function;
}

/// A scripted backend, installed in place of `window.fetch` for one test.
pub struct Backend;

impl Backend {
    /// Installs a fresh backend with an empty script.
    pub fn install() -> Self {
        install_backend();
        Self
    }

    /// Answers the next request with `status` and `body`.
    pub fn respond(&self, status: u16, body: Value) -> &Self {
        script_response(&json!({ "status": status, "body": body.to_string() }).to_string());
        self
    }

    /// Answers the next request after `delay_ms`.
    pub fn respond_after(&self, delay_ms: u32, status: u16, body: Value) -> &Self {
        script_response(
            &json!({ "status": status, "body": body.to_string(), "delay": delay_ms }).to_string(),
        );
        self
    }

    /// Answers the next request with `status`, `body` and extra headers.
    pub fn respond_with_headers(&self, status: u16, body: Value, headers: Value) -> &Self {
        script_response(
            &json!({ "status": status, "body": body.to_string(), "headers": headers }).to_string(),
        );
        self
    }

    /// Fails the next request as a network error.
    pub fn fail_network(&self) -> &Self {
        script_response(&json!({ "network_error": true, "status": 0, "body": "" }).to_string());
        self
    }

    /// Answers the next request with a grant for `uri` whose frame is a same-origin page
    /// (the test runner's, which 404s but loads), so `load` fires as for a silent frame.
    pub fn grant(&self, uri: &str, expires_in: u32) -> &Self {
        self.respond(200, grant_body(uri, expires_in))
    }

    /// Every request so far: `url`, `method`, `body`, `headers`, `aborted`.
    pub fn requests(&self) -> Vec<Value> {
        serde_json::from_str(&recorded_requests()).unwrap()
    }
}

/// A grant body whose `iframe_url` is on this page's origin.
pub fn grant_body(uri: &str, expires_in: u32) -> Value {
    let origin = window().location().origin().unwrap();
    let escaped = String::from(js_sys::encode_uri_component(uri));
    json!({
        "request_uri": uri,
        "expires_in": expires_in,
        "iframe_url": format!("{origin}/moments-frame?request_uri={escaped}"),
    })
}

/// An error body in the companion's shape.
pub fn error_body(code: &str, message: &str, retryable: bool) -> Value {
    json!({ "error": { "code": code, "message": message, "retryable": retryable } })
}

/// Mounts `view` into a fresh element appended to `<body>`; dropping the handle unmounts.
pub struct Mounted<M: leptos::tachys::view::Mountable> {
    pub root: HtmlElement,
    handle: Option<leptos::mount::UnmountHandle<M>>,
}

impl<M: leptos::tachys::view::Mountable> Mounted<M> {
    /// The first element matching `selector` inside the mount point.
    pub fn find(&self, selector: &str) -> Option<Element> {
        self.root.query_selector(selector).unwrap()
    }

    /// Every element matching `selector` inside the mount point.
    pub fn count(&self, selector: &str) -> u32 {
        self.root.query_selector_all(selector).unwrap().length()
    }

    /// The component root's `data-state`.
    pub fn state(&self) -> String {
        self.find(".moments-embed")
            .and_then(|e| e.get_attribute("data-state"))
            .unwrap_or_default()
    }

    /// The error view's kind (its `data-error`), if the error view is shown.
    pub fn error_kind(&self) -> Option<String> {
        self.find(".moments-embed__error")
            .and_then(|e| e.get_attribute("data-error"))
    }

    /// Unmounts, removes the mount point, and waits one task: leptos disposes the
    /// unmounted owner (running `on_cleanup`) on the next tick, not during the drop.
    pub async fn unmount(mut self) {
        drop(self.handle.take());
        self.root.remove();
        sleep(0).await;
    }
}

/// Mounts `f` into a new `<div>` at the top of `<body>`.
pub fn mount<F, N>(f: F) -> Mounted<N::State>
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document()
        .body()
        .unwrap()
        .prepend_with_node_1(&root)
        .unwrap();
    let handle = mount_to(root.clone(), f);
    Mounted {
        root,
        handle: Some(handle),
    }
}

/// The page's document.
pub fn document() -> Document {
    window().document().unwrap()
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: u32) {
    JsFuture::from(sleep_ms(ms)).await.unwrap();
}

/// Waits for the next animation frame.
pub async fn animation_frame() {
    JsFuture::from(next_frame()).await.unwrap();
}

/// Polls `condition` every 10 ms until it holds; fails the test with `what` after `limit_ms`.
pub async fn wait_for(what: &str, limit_ms: u32, mut condition: impl FnMut() -> bool) {
    let mut waited = 0;
    while !condition() {
        assert!(
            waited < limit_ms,
            "timed out after {limit_ms} ms waiting for: {what}"
        );
        sleep(10).await;
        waited += 10;
    }
}

/// Makes the window `from` (a same-origin frame) call `parent.postMessage(message, "*")`:
/// a real message with the browser's own `origin` and `source`.
pub fn post_message_from(from: &web_sys::Window, message: &Value) {
    post_from(from, &message.to_string());
}

/// Makes the window `from` (a same-origin frame) post the value of the JS expression
/// `expression` (a string, say) to its parent.
pub fn post_expression_from(from: &web_sys::Window, expression: &str) {
    post_from(from, expression);
}

/// Dispatches a synthetic `message` event on this window with any `origin` and `source`,
/// to test what a forged message could claim.
pub fn forge_message(message: &Value, origin: &str, source: Option<&web_sys::Window>) {
    dispatch_message(&message.to_string(), origin, source);
}

/// The content window of the component's current frame in `page`.
pub fn frame_window<M: leptos::tachys::view::Mountable>(page: &Mounted<M>) -> web_sys::Window {
    frame_element(page).content_window().unwrap()
}

/// The component's current frame element in `page`.
pub fn frame_element<M: leptos::tachys::view::Mountable>(
    page: &Mounted<M>,
) -> web_sys::HtmlIFrameElement {
    page.find("iframe.moments-embed__frame")
        .unwrap()
        .unchecked_into()
}

/// The frame's inline `height` style, e.g. `"640px"`.
pub fn frame_height<M: leptos::tachys::view::Mountable>(page: &Mounted<M>) -> String {
    height_of(&frame_element(page))
}

/// An element's inline `height` style. (Fully qualified: leptos' prelude has a `style`.)
pub fn height_of(element: &web_sys::HtmlElement) -> String {
    web_sys::HtmlElement::style(element)
        .get_property_value("height")
        .unwrap()
}

/// This page's origin, which is also the origin of the test frames.
pub fn origin() -> String {
    window().location().origin().unwrap()
}

/// The milliseconds between two recorded requests.
pub fn gap_ms(requests: &[Value], earlier: usize, later: usize) -> f64 {
    requests[later]["at"].as_f64().unwrap() - requests[earlier]["at"].as_f64().unwrap()
}

/// Frames' `load` events stop at the document (capture phase) until this is dropped, so
/// the component never hears them: a frame is then ready only if it says so.
pub struct FrameLoadsSwallowed(js_sys::Function);

impl FrameLoadsSwallowed {
    pub fn start() -> Self {
        Self(swallow_frame_loads())
    }
}

impl Drop for FrameLoadsSwallowed {
    fn drop(&mut self) {
        let _ = self.0.call0(&wasm_bindgen::JsValue::NULL);
    }
}

/// Counts animation frames from now until [`stop_counting_frames`].
pub fn start_counting_frames() {
    frames_start();
}

/// How many animation frames ran since [`start_counting_frames`].
pub fn stop_counting_frames() -> u32 {
    frames_stop()
}
