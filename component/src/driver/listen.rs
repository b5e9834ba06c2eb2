//! What the driver listens to: frame messages and frame loads, the tab coming back, the
//! network coming back, and CSP violations that block the frame. Every listener holds
//! only a `Weak` to the driver and is removed with it.

use super::{Driver, dispatch, run};
use crate::browser::Listener;
use crate::handle::MomentsEvent;
use crate::protocol::FrameSignal;
use crate::session::Input;
use std::cell::RefCell;
use std::rc::Weak;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, SecurityPolicyViolationEvent};

impl Driver {
    pub(super) fn listen(&mut self) {
        let Some(window) = web_sys::window() else {
            return;
        };

        let me = self.me.clone();
        self.listeners
            .extend(Listener::new(&window, "message", false, move |event| {
                if let Ok(event) = event.dyn_into::<MessageEvent>() {
                    on_message(&me, event);
                }
            }));

        // `load` does not bubble, but it can be captured on an ancestor.
        let me = self.me.clone();
        self.listeners
            .extend(Listener::new(&self.root, "load", true, move |event| {
                let Some(target) = event.target() else { return };
                let target: wasm_bindgen::JsValue = target.into();
                run(&me, move |d| match d.loaded(&target) {
                    Some(frame) => d.step(Input::FrameLoaded { frame }),
                    None => Vec::new(),
                });
            }));

        let me = self.me.clone();
        self.listeners
            .extend(Listener::new(&window, "online", false, move |_| {
                dispatch(&me, Input::Online);
            }));

        if let Some(document) = window.document() {
            let me = self.me.clone();
            let doc = document.clone();
            self.listeners.extend(Listener::new(
                &document,
                "visibilitychange",
                false,
                move |_| {
                    if doc.visibility_state() == web_sys::VisibilityState::Visible {
                        dispatch(&me, Input::PageVisible);
                    }
                },
            ));

            let me = self.me.clone();
            self.listeners.extend(Listener::new(
                &document,
                "securitypolicyviolation",
                false,
                move |event| {
                    if let Ok(event) = event.dyn_into::<SecurityPolicyViolationEvent>() {
                        on_csp_violation(&me, &event);
                    }
                },
            ));
        }
    }
}

fn on_message(me: &Weak<RefCell<Driver>>, event: MessageEvent) {
    run(me, move |d| {
        let Some((frame, signal)) = d.accept(&event) else {
            return Vec::new();
        };
        match signal {
            FrameSignal::Ready => d.step(Input::FrameReady { frame }),
            FrameSignal::SessionExpired => d.step(Input::FrameSessionExpired { frame }),
            FrameSignal::Refused { reason, message } => d.step(Input::FrameRefused {
                frame,
                reason,
                message,
            }),
            FrameSignal::Resize(height) => {
                d.schedule_height(height);
                Vec::new()
            }
            FrameSignal::Event { name, data } => vec![MomentsEvent::Frame { name, data }],
        }
    });
}

fn on_csp_violation(me: &Weak<RefCell<Driver>>, event: &SecurityPolicyViolationEvent) {
    let directive = event.effective_directive();
    if !matches!(
        directive.as_str(),
        "frame-src" | "child-src" | "default-src"
    ) {
        return;
    }
    let blocked_uri = event.blocked_uri();
    run(me, move |d| {
        let ours = d
            .frame_origin
            .as_ref()
            .is_some_and(|origin| blocked_uri.starts_with(origin));
        if ours {
            d.step(Input::CspBlocked {
                directive,
                blocked_uri,
            })
        } else {
            Vec::new()
        }
    });
}
