//! The frame: a fresh `<iframe>` per `request_uri`, every attribute set before `src` and
//! before it enters the document, so no URI is ever presented twice or lands in the
//! frame's history; and which messages and loads are the current frame's.
//!
//! Where it goes: inside the root, or, for a kept embed ([`crate::KeepAlive`]), in the
//! stage at the end of `<body>`, laid over a slot in the root that takes its room (see
//! [`super::keep`]).

use crate::options::{DEFAULT_FRAME_ALLOW, DEFAULT_FRAME_SANDBOX, UseMomentsSessionOptions, Words};
use crate::parse::FrameSignal;
use crate::session::FrameId;
use leptos::prelude::GetUntracked;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlIFrameElement, MessageEvent};

/// The component's root, and the frame inside it (if one is shown).
pub(super) struct Frame {
    root: HtmlElement,
    /// For a kept embed: the anchor the frame is laid over, and the slot that carries
    /// it while a frame is shown.
    staged: Option<Staged>,
    current: Option<Current>,
}

struct Staged {
    /// The kept-frame machinery.
    ops: &'static super::keep::Ops,
    /// The CSS anchor name, one per root.
    anchor: String,
    /// The frame's `id`, which the slot `aria-owns`.
    id: String,
    slot: Option<HtmlElement>,
    /// The frame's place in the tab order, while one is shown.
    focus: Option<super::focus::FocusBridge>,
}

thread_local! {
    static ANCHORS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The frame on the page, and the origin its URL names (the only origin whose messages
/// count).
struct Current {
    element: HtmlIFrameElement,
    origin: String,
}

impl Frame {
    /// `staged`: the frame goes in the stage, over a slot in `root` (a kept embed).
    pub(super) fn new(root: HtmlElement, staged: Option<&'static super::keep::Ops>) -> Self {
        let staged = staged.map(|ops| {
            let n = ANCHORS.with(|n| {
                n.set(n.get() + 1);
                n.get()
            });
            Staged {
                ops,
                anchor: crate::text::with_decimal("--moments-embed-", n, ""),
                id: crate::text::with_decimal("moments-embed-", n, "-frame"),
                slot: None,
                focus: None,
            }
        });
        Self {
            root,
            staged,
            current: None,
        }
    }

    /// Where frame elements go: the root, or the stage.
    pub(super) fn parent(&self) -> Option<HtmlElement> {
        match &self.staged {
            Some(staged) => (staged.ops.stage)(),
            None => Some(self.root.clone()),
        }
    }

    /// The element the frame goes into.
    pub(super) fn root(&self) -> &HtmlElement {
        &self.root
    }

    /// Replaces the frame with a fresh `<iframe>` at `url`, `height_css` tall: every
    /// attribute first, `src` last, then into the document.
    pub(super) fn show(
        &mut self,
        frame: FrameId,
        url: &str,
        options: &UseMomentsSessionOptions,
        height_css: &str,
    ) {
        self.remove();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(element) = document
            .create_element("iframe")
            .ok()
            .and_then(|e| e.dyn_into::<HtmlIFrameElement>().ok())
        else {
            return;
        };
        let _ = element.set_attribute("class", "moments-embed__frame");
        let _ = element.set_attribute(
            "data-moments-frame",
            &crate::text::with_decimal("", frame.0, ""),
        );
        let title = options.title.get_untracked();
        let default_title = Words::of(options.product).title;
        let _ = element.set_attribute("title", title.as_deref().unwrap_or(default_title));
        let sandbox = options.sandbox.get_untracked();
        let _ = element.set_attribute(
            "sandbox",
            sandbox.as_deref().unwrap_or(DEFAULT_FRAME_SANDBOX),
        );
        let allow = options.allow.get_untracked();
        let _ = element.set_attribute("allow", allow.as_deref().unwrap_or(DEFAULT_FRAME_ALLOW));
        let _ = element.style().set_property("height", height_css);
        self.place(&element, height_css);
        element.set_src(url);
        let origin = web_sys::Url::new(url).map_or_else(|_| String::new(), |u| u.origin());
        if let Some(parent) = self.parent() {
            let _ = parent.append_child(&element);
        }
        self.bridge_focus(&element);
        self.current = Some(Current { element, origin });
    }

    /// Takes over a kept frame (already in the stage, at `origin`) as frame `frame`.
    pub(super) fn adopt(
        &mut self,
        frame: FrameId,
        element: HtmlIFrameElement,
        origin: String,
        height_css: &str,
    ) {
        self.remove();
        let _ = element.set_attribute(
            "data-moments-frame",
            &crate::text::with_decimal("", frame.0, ""),
        );
        self.place(&element, height_css);
        self.bridge_focus(&element);
        self.current = Some(Current { element, origin });
    }

    /// A staged frame in the stage: its place in the tab order, where its slot is.
    fn bridge_focus(&mut self, element: &HtmlIFrameElement) {
        if let Some(staged) = &mut self.staged {
            staged.focus = staged
                .slot
                .as_ref()
                .and_then(|slot| (staged.ops.bridge_focus)(slot, element));
        }
    }

    /// A staged frame: over the slot (made here, `height_css` tall, in the root's flow
    /// where an inline frame would be), by anchor; in the browser's own layout, so it
    /// follows the slot through resizes and scrolling with no script.
    fn place(&mut self, element: &HtmlIFrameElement, height_css: &str) {
        let Some(staged) = &mut self.staged else {
            return;
        };
        let document = self.root.owner_document();
        let slot = staged.slot.clone().or_else(|| {
            let slot: HtmlElement = document?.create_element("div").ok()?.dyn_into().ok()?;
            let _ = slot.set_attribute("class", "moments-embed__slot");
            let _ = slot.style().set_property("anchor-name", &staged.anchor);
            let _ = self.root.append_child(&slot);
            Some(slot)
        });
        if let Some(slot) = &slot {
            let _ = slot.style().set_property("height", height_css);
        }
        staged.slot = slot;
        element.set_id(&staged.id);
        let _ = element.set_attribute("class", "moments-embed__frame moments-embed__frame--kept");
        // The rest of its placement is the stylesheet's; this replaces any size a parked
        // frame was given.
        let mut css = String::from("position-anchor:");
        css.push_str(&staged.anchor);
        element.style().set_css_text(&css);
    }

    /// Mirrors the session's state on a staged frame (which the root's state classes
    /// do not reach), for the stylesheet's dimming while it loads.
    pub(super) fn set_state(&self, state: &str) {
        if let (Some(_), Some(current)) = (&self.staged, &self.current) {
            let _ = current.element.set_attribute("data-state", state);
        }
    }

    pub(super) fn remove(&mut self) {
        if let Some(current) = self.current.take() {
            current.element.remove();
        }
        self.remove_slot();
    }

    /// Lets go of a staged frame without removing it, for parking: the element and its
    /// origin. `None` for an inline frame, which cannot outlive its root.
    pub(super) fn keep(&mut self) -> Option<(HtmlIFrameElement, String)> {
        self.staged.as_ref()?;
        let current = self.current.take()?;
        self.remove_slot();
        Some((current.element, current.origin))
    }

    fn remove_slot(&mut self) {
        if let Some(staged) = &mut self.staged {
            staged.focus = None;
            if let Some(slot) = staged.slot.take() {
                slot.remove();
            }
        }
    }

    /// Renames the frame on the page (the `title` option changed).
    pub(super) fn set_title(&self, title: &str) {
        if let Some(current) = &self.current {
            let _ = current.element.set_attribute("title", title);
        }
    }

    /// Sets the frame's CSS height, and the root's `--moments-embed-min-height`, so what
    /// stands in for the frame (loading, an error, a reconnect) takes exactly its room.
    /// `holds_content`: the frame is as tall as its content, so it may not scroll
    /// (`scrolling="no"`, which every engine honours when it changes).
    pub(super) fn set_height(&self, css: &str, holds_content: bool) {
        if let Some(current) = &self.current {
            let _ = if holds_content {
                current.element.set_attribute("scrolling", "no")
            } else {
                current.element.remove_attribute("scrolling")
            };
        }
        let carrier = match &self.staged {
            Some(staged) => staged.slot.clone(),
            None => self.current.as_ref().map(|c| c.element.clone().into()),
        };
        if let Some(carrier) = carrier {
            let _ = carrier.style().set_property("height", css);
        }
        let _ = self
            .root
            .style()
            .set_property("--moments-embed-min-height", css);
    }

    /// What the frame says in `event`, if it comes from the current frame's origin *and*
    /// window and `options`' adapter makes a valid signal of it.
    pub(super) fn accept(
        &self,
        event: &MessageEvent,
        options: &UseMomentsSessionOptions,
    ) -> Option<FrameSignal> {
        let current = self.current.as_ref()?;
        if current.origin.is_empty() || event.origin() != current.origin {
            return None;
        }
        let frame_window = current.element.content_window()?;
        let source: JsValue = event.source()?.into();
        if !js_sys::Object::is(&source, frame_window.as_ref()) {
            return None;
        }
        options.frame_adapter.read(&event.data())
    }

    /// Whether `target` (a `load` event's) is the current frame, past its initial
    /// `about:blank`.
    pub(super) fn has_loaded(&self, target: &JsValue) -> bool {
        self.current.as_ref().is_some_and(|current| {
            js_sys::Object::is(target, &current.element) && !is_initial_blank(&current.element)
        })
    }

    /// Whether `uri` (one a CSP violation reports) is at the current frame's origin.
    pub(super) fn is_at_origin(&self, uri: &str) -> bool {
        self.current
            .as_ref()
            .is_some_and(|current| !current.origin.is_empty() && uri.starts_with(&current.origin))
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
