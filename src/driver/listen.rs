//! What the driver listens to: frame messages and frame loads, the tab coming back, the
//! network coming back, CSP violations, and (when lazy) where the root is. This module
//! only wires the browser's events to one callback, as [`Heard`]; what each means is the
//! driver's to decide. Every listener and observer goes with [`Subscriptions`].

use super::viewport::{self, Crossing};
use crate::browser::{Listener, Observer};
use crate::options::UseMomentsSessionOptions;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, MessageEvent, SecurityPolicyViolationEvent};

/// One thing the browser told the driver.
pub(super) enum Heard {
    /// A `message` on the window, from anyone.
    Message(MessageEvent),
    /// A `load` inside the root: its target.
    Loaded(JsValue),
    /// The network came back.
    Online,
    /// The tab became visible.
    Visible,
    /// The page's CSP blocked something a frame would load.
    FrameBlocked {
        /// The violated directive (`frame-src`, `child-src` or `default-src`).
        directive: String,
        /// What was blocked.
        blocked_uri: String,
    },
    /// The root crossed a viewport observer's edge.
    Viewport(Crossing),
}

/// Every listener and observer of one driver, removed on drop.
#[derive(Default)]
pub(super) struct Subscriptions {
    _listeners: Vec<Listener>,
    _observers: Vec<Observer>,
}

impl Subscriptions {
    /// Listens around `root` (and observes it, when `options` say lazy), telling `notify`.
    /// `frames`: where the frame elements are (the root, or the stage), whose `load`s
    /// are captured.
    pub(super) fn new(
        root: &HtmlElement,
        frames: Option<&HtmlElement>,
        options: &UseMomentsSessionOptions,
        notify: &Rc<dyn Fn(Heard)>,
    ) -> Self {
        let observers = if options.lazy {
            let notify = Rc::clone(notify);
            let crossing: Rc<dyn Fn(Crossing)> = Rc::new(move |c| notify(Heard::Viewport(c)));
            viewport::observe(root, &options.prefetch_margin, &crossing)
        } else {
            Vec::new()
        };
        Self {
            _listeners: listen(frames.unwrap_or(root), notify),
            _observers: observers,
        }
    }
}

fn listen(frames: &HtmlElement, notify: &Rc<dyn Fn(Heard)>) -> Vec<Listener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let mut listeners = Vec::new();
    let tell = |make: fn(web_sys::Event) -> Option<Heard>| {
        let notify = Rc::clone(notify);
        move |event| {
            if let Some(heard) = make(event) {
                notify(heard);
            }
        }
    };

    listeners.extend(Listener::new(
        &window,
        "message",
        false,
        tell(|event| event.dyn_into::<MessageEvent>().ok().map(Heard::Message)),
    ));
    // `load` does not bubble, but it can be captured on an ancestor.
    listeners.extend(Listener::new(
        frames,
        "load",
        true,
        tell(|event| event.target().map(|target| Heard::Loaded(target.into()))),
    ));
    // Back from the back/forward cache: as good as the tab coming back. (There is no
    // `unload` listener anywhere, which would keep the page out of that cache.)
    listeners.extend(Listener::new(
        &window,
        "pageshow",
        false,
        tell(|event| {
            let persisted = js_sys::Reflect::get(&event, &"persisted".into()).ok()?;
            persisted.is_truthy().then_some(Heard::Visible)
        }),
    ));
    listeners.extend(Listener::new(
        &window,
        "online",
        false,
        tell(|_| Some(Heard::Online)),
    ));
    if let Some(document) = window.document() {
        listeners.extend(Listener::new(
            &document,
            "visibilitychange",
            false,
            tell(|_| {
                let visible = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
                visible.then_some(Heard::Visible)
            }),
        ));
        listeners.extend(Listener::new(
            &document,
            "securitypolicyviolation",
            false,
            tell(|event| {
                let event = event.dyn_into::<SecurityPolicyViolationEvent>().ok()?;
                let directive = event.effective_directive();
                matches!(
                    directive.as_str(),
                    "frame-src" | "child-src" | "default-src"
                )
                .then(|| Heard::FrameBlocked {
                    directive,
                    blocked_uri: event.blocked_uri(),
                })
            }),
        ));
    }
    listeners
}
