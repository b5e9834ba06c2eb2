//! Browser resources that undo themselves: listeners, timers, observers, animation
//! frames and fetches, each removed, cleared, disconnected or aborted on drop.
//!
//! The hook holds every resource it creates in one of these, so dropping the hook's
//! driver on unmount is the whole cleanup. Each one is also counted in
//! [`live_resources`], which is how the tests prove that 1,000 mounts and unmounts
//! leave nothing behind.

use std::cell::Cell;

#[cfg(moments_browser)]
pub(crate) use resources::{AnimationFrame, InFlight, Listener, Observer, Timer};

/// How many browser resources moments-embed holds right now, across all instances.
///
/// For tests and leak checks: after every `<MomentsEmbed/>` has unmounted, all fields
/// are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveResources {
    /// Event listeners (window, document, the component's root).
    pub listeners: u32,
    /// Pending `setTimeout`s.
    pub timers: u32,
    /// Connected `IntersectionObserver`s.
    pub observers: u32,
    /// Pending `requestAnimationFrame`s.
    pub animation_frames: u32,
    /// Fetches in flight.
    pub fetches: u32,
    /// Frames parked for a later mount ([`KeepAlive`](crate::KeepAlive)); each holds one
    /// listener and one timer, counted above.
    pub parked_frames: u32,
}

thread_local! {
    static LIVE: Cell<LiveResources> = Cell::new(LiveResources::default());
}

/// The resources held right now. See [`LiveResources`].
pub fn live_resources() -> LiveResources {
    LIVE.with(Cell::get)
}

#[cfg(moments_browser)]
pub(crate) fn count(change: impl FnOnce(&mut LiveResources)) {
    LIVE.with(|live| {
        let mut now = live.get();
        change(&mut now);
        live.set(now);
    });
}

#[cfg(moments_browser)]
mod resources {
    use super::count;
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{
        AbortController, AbortSignal, Element, Event, EventTarget, IntersectionObserver,
        IntersectionObserverEntry, IntersectionObserverInit,
    };

    /// An event listener, removed on drop.
    pub(crate) struct Listener {
        target: EventTarget,
        name: &'static str,
        capture: bool,
        callback: Closure<dyn FnMut(Event)>,
    }

    impl Listener {
        /// Listens for `name` on `target` (in the capture phase if `capture`).
        pub(crate) fn new(
            target: &EventTarget,
            name: &'static str,
            capture: bool,
            handler: impl FnMut(Event) + 'static,
        ) -> Option<Self> {
            let callback = Closure::<dyn FnMut(Event)>::new(handler);
            target
                .add_event_listener_with_callback_and_bool(
                    name,
                    callback.as_ref().unchecked_ref(),
                    capture,
                )
                .ok()?;
            count(|l| l.listeners += 1);
            Some(Self {
                target: target.clone(),
                name,
                capture,
                callback,
            })
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = self.target.remove_event_listener_with_callback_and_bool(
                self.name,
                self.callback.as_ref().unchecked_ref(),
                self.capture,
            );
            count(|l| l.listeners -= 1);
        }
    }

    /// A one-shot timer, cleared on drop if it has not fired.
    pub(crate) struct Timer {
        id: i32,
        fired: Rc<Cell<bool>>,
        _callback: Closure<dyn FnMut()>,
    }

    impl Timer {
        /// Calls `handler` once after `after`.
        pub(crate) fn new(after: Duration, handler: impl FnOnce() + 'static) -> Option<Self> {
            let fired = Rc::new(Cell::new(false));
            let mut handler = Some(handler);
            let flag = Rc::clone(&fired);
            let callback = Closure::<dyn FnMut()>::new(move || {
                if let Some(handler) = handler.take() {
                    flag.set(true);
                    count(|l| l.timers -= 1);
                    handler();
                }
            });
            let millis = i32::try_from(after.as_millis()).unwrap_or(i32::MAX);
            let id = web_sys::window()?
                .set_timeout_with_callback_and_timeout_and_arguments_0(
                    callback.as_ref().unchecked_ref(),
                    millis,
                )
                .ok()?;
            count(|l| l.timers += 1);
            Some(Self {
                id,
                fired,
                _callback: callback,
            })
        }
    }

    impl Drop for Timer {
        fn drop(&mut self) {
            if !self.fired.get() {
                if let Some(window) = web_sys::window() {
                    window.clear_timeout_with_handle(self.id);
                }
                count(|l| l.timers -= 1);
            }
        }
    }

    /// A `requestAnimationFrame`, cancelled on drop if it has not run.
    pub(crate) struct AnimationFrame {
        id: i32,
        ran: Rc<Cell<bool>>,
        _callback: Closure<dyn FnMut()>,
    }

    impl AnimationFrame {
        /// Calls `handler` once before the next repaint.
        pub(crate) fn new(handler: impl FnOnce() + 'static) -> Option<Self> {
            let ran = Rc::new(Cell::new(false));
            let mut handler = Some(handler);
            let flag = Rc::clone(&ran);
            let callback = Closure::<dyn FnMut()>::new(move || {
                if let Some(handler) = handler.take() {
                    flag.set(true);
                    count(|l| l.animation_frames -= 1);
                    handler();
                }
            });
            let id = web_sys::window()?
                .request_animation_frame(callback.as_ref().unchecked_ref())
                .ok()?;
            count(|l| l.animation_frames += 1);
            Some(Self {
                id,
                ran,
                _callback: callback,
            })
        }
    }

    impl Drop for AnimationFrame {
        fn drop(&mut self) {
            if !self.ran.get() {
                if let Some(window) = web_sys::window() {
                    let _ = window.cancel_animation_frame(self.id);
                }
                count(|l| l.animation_frames -= 1);
            }
        }
    }

    /// An `IntersectionObserver` on one element, disconnected on drop.
    pub(crate) struct Observer {
        observer: IntersectionObserver,
        _callback: Closure<dyn FnMut(js_sys::Array)>,
    }

    impl Observer {
        /// Calls `handler(is_intersecting)` whenever `target` enters or leaves the viewport
        /// grown by `root_margin` (CSS margin syntax, e.g. `"300px"`).
        pub(crate) fn new(
            target: &Element,
            root_margin: &str,
            mut handler: impl FnMut(bool) + 'static,
        ) -> Option<Self> {
            let callback =
                Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
                    // Entries arrive oldest first; only the latest state matters.
                    let latest = entries
                        .iter()
                        .last()
                        .and_then(|entry| entry.dyn_into::<IntersectionObserverEntry>().ok());
                    if let Some(entry) = latest {
                        handler(entry.is_intersecting());
                    }
                });
            let init = IntersectionObserverInit::new();
            init.set_root_margin(root_margin);
            let observer =
                IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init)
                    .ok()?;
            observer.observe(target);
            count(|l| l.observers += 1);
            Some(Self {
                observer,
                _callback: callback,
            })
        }
    }

    impl Drop for Observer {
        fn drop(&mut self) {
            self.observer.disconnect();
            count(|l| l.observers -= 1);
        }
    }

    /// A fetch in flight: its `AbortController`, aborted on drop, and its timeout timer.
    pub(crate) struct InFlight {
        controller: AbortController,
        _timeout: Option<Timer>,
    }

    impl InFlight {
        /// A new controller; `on_timeout` runs if the fetch is still in flight after `timeout`.
        pub(crate) fn new(timeout: Duration, on_timeout: impl FnOnce() + 'static) -> Option<Self> {
            let controller = AbortController::new().ok()?;
            count(|l| l.fetches += 1);
            Some(Self {
                controller,
                _timeout: Timer::new(timeout, on_timeout),
            })
        }

        /// The signal to hand to `fetch`.
        pub(crate) fn signal(&self) -> AbortSignal {
            self.controller.signal()
        }
    }

    impl Drop for InFlight {
        fn drop(&mut self) {
            // Aborting a finished fetch is a no-op, so this is safe either way.
            self.controller.abort();
            count(|l| l.fetches -= 1);
        }
    }
}
