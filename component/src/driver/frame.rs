//! The frame: a fresh `<iframe>` per `request_uri`, every attribute set before `src` and
//! before it enters the document, so no URI is ever presented twice or lands in the
//! frame's history; and which messages are the frame's.

use super::Driver;
use crate::options::{DEFAULT_FRAME_SANDBOX, DEFAULT_FRAME_TITLE};
use crate::protocol::FrameSignal;
use crate::session::FrameId;
use leptos::prelude::GetUntracked;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlIFrameElement, MessageEvent};

impl Driver {
    /// Replaces the frame with a fresh `<iframe>` at `url`: every attribute first, `src`
    /// last, then into the document. It starts at the last reported height.
    pub(super) fn show_frame(&mut self, frame: FrameId, url: &str) {
        self.remove_frame();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(iframe) = document
            .create_element("iframe")
            .ok()
            .and_then(|e| e.dyn_into::<HtmlIFrameElement>().ok())
        else {
            return;
        };
        let _ = iframe.set_attribute("class", "moments-embed__frame");
        let _ = iframe.set_attribute(
            "data-moments-frame",
            &crate::text::with_decimal("", frame.0, ""),
        );
        let title = self.options.title.get_untracked();
        let _ = iframe.set_attribute("title", title.as_deref().unwrap_or(DEFAULT_FRAME_TITLE));
        let sandbox = self.options.sandbox.get_untracked();
        let _ = iframe.set_attribute(
            "sandbox",
            sandbox.as_deref().unwrap_or(DEFAULT_FRAME_SANDBOX),
        );
        let _ = HtmlElement::style(&iframe).set_property("height", &self.frame_height_css());
        iframe.set_src(url);
        self.frame_origin = web_sys::Url::new(url).ok().map(|u| u.origin());
        let _ = self.root.append_child(&iframe);
        self.frame = Some(iframe);
    }

    pub(super) fn remove_frame(&mut self) {
        if let Some(frame) = self.frame.take() {
            frame.remove();
        }
        self.frame_origin = None;
    }

    /// Renames the frame on the page (the `title` option changed).
    pub(super) fn set_title(&self, title: Option<&str>) {
        if let Some(frame) = &self.frame {
            let _ = frame.set_attribute("title", title.unwrap_or(DEFAULT_FRAME_TITLE));
        }
    }

    /// The frame message in `event`, if it comes from the current frame's origin *and*
    /// window and the adapter makes a valid signal of it.
    pub(super) fn accept(&self, event: &MessageEvent) -> Option<(FrameId, FrameSignal)> {
        if event.origin() != *self.frame_origin.as_ref()? {
            return None;
        }
        let frame_window = self.frame.as_ref()?.content_window()?;
        let source: wasm_bindgen::JsValue = event.source()?.into();
        if !js_sys::Object::is(&source, frame_window.as_ref()) {
            return None;
        }
        Some((
            self.session.frame()?,
            self.options.frame_adapter.read(&event.data())?,
        ))
    }

    /// The id of the current frame if `target` (a `load` event's) is it, past its
    /// initial `about:blank`.
    pub(super) fn loaded(&self, target: &wasm_bindgen::JsValue) -> Option<FrameId> {
        let current = self.frame.as_ref()?;
        let ours = js_sys::Object::is(target, current) && !is_initial_blank(current);
        ours.then(|| self.session.frame()).flatten()
    }
}

/// The `about:blank` document an iframe holds before its real navigation. Readable only
/// while same-origin, which a cross-origin frame that has loaded never is.
fn is_initial_blank(iframe: &HtmlIFrameElement) -> bool {
    iframe
        .content_window()
        .and_then(|w| js_sys::Reflect::get(&w, &"location".into()).ok())
        .and_then(|location| js_sys::Reflect::get(&location, &"href".into()).ok())
        .and_then(|href| href.as_string())
        .is_some_and(|href| href == "about:blank")
}
