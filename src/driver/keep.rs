//! Where kept frames live: the stage, a `<div>` at the end of `<body>` that no host
//! route owns, and the parked frames in it (see [`crate::KeepAlive`]).
//!
//! A kept embed's frame is created in the stage and laid over its component's slot by
//! CSS anchor positioning, so it never moves in the document: moving a live frame
//! with `appendChild` or `insertBefore` reloads it in every engine (the request URI
//! would be presented twice), and `Element.moveBefore`, which keeps it alive in both
//! engines tested here, would have to run before the host removes the page, which a
//! router does before any cleanup of ours runs.
//!
//! A parked frame keeps its size (so its document does not reflow), is hidden, `inert`
//! and fixed in place (no layout room), and listens for two things only: its new
//! height, and the end of its session (which releases it). Released frames leave the
//! document.

use super::focus::FocusBridge;
use crate::browser::{Listener, Timer, count};
use crate::frame_adapter::FrameAdapter;
use crate::parse::FrameSignal;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlIFrameElement, MessageEvent, Window};

/// The kept-frame machinery, as a table: see the module's docs.
pub(crate) struct Ops {
    /// Whether a frame can be laid over its slot here.
    pub(super) supported: fn() -> bool,
    /// The stage, made on first use.
    pub(super) stage: fn() -> Option<HtmlElement>,
    /// Takes the frame parked under a key, if still good (see [`take`]).
    pub(super) take: fn(&str, &OpenedFor) -> Option<Adopted>,
    /// Parks a frame (see [`park`]).
    pub(super) park: fn(Parking),
    /// Releases the frame parked under a key.
    pub(super) release: fn(&str),
    /// A shown frame's place in the tab order.
    pub(super) bridge_focus: fn(&HtmlElement, &HtmlIFrameElement) -> Option<FocusBridge>,
}

/// The one table, named only by [`crate::KeepAlive::new`].
pub(crate) static OPS: Ops = Ops {
    supported,
    stage,
    take,
    park,
    release,
    bridge_focus: FocusBridge::new,
};

/// What parking a frame takes.
pub(super) struct Parking {
    pub(super) key: Rc<str>,
    pub(super) keep_for: Duration,
    /// How many may be parked at once.
    pub(super) max: usize,
    pub(super) opened_for: OpenedFor,
    pub(super) element: HtmlIFrameElement,
    pub(super) origin: String,
    pub(super) height: Option<f64>,
    pub(super) adapter: FrameAdapter,
}

/// Whether a frame can be laid over its slot here: CSS anchor positioning (Chromium
/// 125+, Firefox 147+, Safari 26+). Without it, keep-alive is off and the frame goes
/// with its component, as without the option.
fn supported() -> bool {
    web_sys::css::supports("anchor-name: --moments-embed").unwrap_or(false)
}

/// The stage, made on first use.
fn stage() -> Option<HtmlElement> {
    STAGE.with(|stage| {
        if let Some(existing) = stage.borrow().as_ref().filter(|s| s.is_connected()) {
            return Some(existing.clone());
        }
        let document = web_sys::window()?.document()?;
        let element: HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
        let _ = element.set_attribute("data-moments-stage", "");
        document.body()?.append_child(&element).ok()?;
        *stage.borrow_mut() = Some(element.clone());
        Some(element)
    })
}

/// What a frame was opened for: the product and the embedding.
pub(super) type OpenedFor = (crate::Product, Option<String>);

/// A frame handed back to a component: the element, its origin, its last height.
pub(super) struct Adopted {
    pub(super) element: HtmlIFrameElement,
    pub(super) origin: String,
    pub(super) height: Option<f64>,
}

/// One parked frame.
struct Parked {
    key: Rc<str>,
    /// What the frame was opened for (embedding and product); another asks afresh.
    opened_for: OpenedFor,
    element: HtmlIFrameElement,
    origin: String,
    /// Its window when parked: an engine that reloaded it would give another.
    window: Option<Window>,
    height: Rc<Cell<Option<f64>>>,
    /// Wall-clock deadline (`Date.now()`), which a sleeping tab does not stop.
    until_ms: f64,
    _listener: Option<Listener>,
    _timer: Option<Timer>,
}

impl Drop for Parked {
    fn drop(&mut self) {
        count(|l| l.parked_frames -= 1);
    }
}

thread_local! {
    static STAGE: RefCell<Option<HtmlElement>> = const { RefCell::new(None) };
    /// Oldest use first.
    static PARKED: RefCell<Vec<Parked>> = const { RefCell::new(Vec::new()) };
}

/// Parks a frame under its key (releasing what was parked under it, and the least
/// recently used past the maximum).
fn park(parking: Parking) {
    let Parking {
        key,
        keep_for,
        max,
        opened_for,
        element,
        origin,
        height,
        adapter,
    } = parking;
    release(&key);
    hide(&element);
    let window = element.content_window();
    let height = Rc::new(Cell::new(height));
    let listener = window.as_ref().and_then(|frame_window| {
        let (key, origin, frame_window, height) = (
            Rc::clone(&key),
            origin.clone(),
            frame_window.clone(),
            Rc::clone(&height),
        );
        let target: web_sys::EventTarget = web_sys::window()?.into();
        Listener::new(&target, "message", false, move |event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let source: JsValue = event.source().map(Into::into).unwrap_or_default();
            if event.origin() != origin || !js_sys::Object::is(&source, &frame_window) {
                return;
            }
            match adapter.read(&event.data()) {
                Some(FrameSignal::Resize(reported)) => height.set(Some(reported)),
                Some(FrameSignal::SessionExpired) => release(&key),
                _ => {}
            }
        })
    });
    let timer = {
        let key = Rc::clone(&key);
        Timer::new(keep_for, move || release(&key))
    };
    count(|l| l.parked_frames += 1);
    let parked = Parked {
        key,
        opened_for,
        element,
        origin,
        window,
        height,
        until_ms: js_sys::Date::now() + keep_for.as_secs_f64() * 1000.0,
        _listener: listener,
        _timer: timer,
    };
    let evicted = PARKED.with(|all| {
        let mut all = all.borrow_mut();
        all.push(parked);
        let excess = all.len().saturating_sub(max);
        all.drain(..excess).collect::<Vec<_>>()
    });
    for frame in evicted {
        frame.element.remove();
    }
}

/// The frame parked under `key`, if it is still good for a component that opens
/// `opened_for`: in time, its document the one that was parked. Anything else parked
/// under the key is released.
fn take(key: &str, opened_for: &OpenedFor) -> Option<Adopted> {
    let parked = PARKED.with(|all| {
        let mut all = all.borrow_mut();
        let at = all.iter().position(|p| &*p.key == key)?;
        Some(all.remove(at))
    })?;
    let same_document = parked.element.is_connected()
        && match (&parked.window, parked.element.content_window()) {
            (Some(then), Some(now)) => js_sys::Object::is(then, &now),
            _ => false,
        };
    if !same_document || parked.opened_for != *opened_for || js_sys::Date::now() >= parked.until_ms
    {
        parked.element.remove();
        return None;
    }
    let _ = parked.element.remove_attribute("inert");
    let _ = parked.element.remove_attribute("aria-hidden");
    Some(Adopted {
        element: parked.element.clone(),
        origin: parked.origin.clone(),
        height: parked.height.get(),
    })
}

/// Releases the frame parked under `key`, if any: it leaves the document.
fn release(key: &str) {
    let parked = PARKED.with(|all| {
        let mut all = all.borrow_mut();
        let at = all.iter().position(|p| &*p.key == key)?;
        Some(all.remove(at))
    });
    // Dropped outside the borrow: its listener may be the caller.
    if let Some(parked) = parked {
        parked.element.remove();
    }
}

/// Releases every parked frame (see [`crate::release_kept_frames`]).
pub(crate) fn release_all() {
    let all = PARKED.with(|all| std::mem::take(&mut *all.borrow_mut()));
    for parked in all {
        parked.element.remove();
    }
}

/// Hidden, out of the tab order and the accessibility tree, fixed (no layout room; the
/// stylesheet's `[inert]` rule), at the size it had, so its document does not reflow
/// while it waits.
fn hide(element: &HtmlIFrameElement) {
    let rect = element.get_bounding_client_rect();
    let _ = element.set_attribute("inert", "");
    let _ = element.set_attribute("aria-hidden", "true");
    let _ = element.remove_attribute("data-state");
    let mut css = String::from("width:");
    css.push_str(&crate::height::css_px(rect.width()));
    css.push_str(";height:");
    css.push_str(&crate::height::css_px(rect.height()));
    element.style().set_css_text(&css);
}
