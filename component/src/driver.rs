//! The per-instance runtime behind [`use_moments_session`](crate::use_moments_session):
//! the session machine, and every browser resource it asked for.
//!
//! Data flows one way: a browser event becomes an [`Input`]; the machine answers with
//! effects; the driver carries them out (fetch, timer, frame element) and publishes the
//! state. Everything is owned by one `Driver`; its listeners and timers hold only a
//! `Weak` back to it, so dropping the driver on unmount is the whole cleanup.
//!
//! The driver owns the `<iframe>` too: it is a resource the machine's `Navigate` effect
//! creates, not view state. Creating it here means every attribute (`src` last) is set
//! before the element enters the document, each `request_uri` gets a fresh browsing
//! context, and the height is written exactly once per animation frame.

use crate::browser::{AnimationFrame, InFlight, Listener, Observer, Timer};
use crate::fetcher::{FetchRequest, post_session};
use crate::protocol::{FrameSignal, Grant, MomentsError};
use crate::session::{
    Effect as SessionEffect, FetchId, FrameId, Input, Instant, Session, SessionState,
};
use crate::use_moments_session::{Command, MomentsEvent, MomentsHandle, UseMomentsSessionOptions};
use leptos::html;
use leptos::prelude::*;
use moments_protocol::{DEFAULT_ENDPOINT, SessionRequest};
use send_wrapper::SendWrapper;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlIFrameElement, MessageEvent, SecurityPolicyViolationEvent};

type Shared = Rc<RefCell<Driver>>;

/// Starts the driver once `root` is mounted, and tears it all down when the owning
/// component is cleaned up.
pub(crate) fn bind_to_browser(
    root: NodeRef<html::Div>,
    options: UseMomentsSessionOptions,
    handle: MomentsHandle,
) {
    let slot: Rc<RefCell<Option<Shared>>> = Rc::default();

    let started = Rc::clone(&slot);
    Effect::new(move |_| {
        let Some(element) = root.get() else { return };
        if started.borrow().is_some() {
            return;
        }
        let driver = Driver::start(element.into(), options.clone(), handle);
        let me = Rc::downgrade(&driver);
        handle.control.set_value(Some(Rc::new(move |command| {
            let input = match command {
                Command::Reload => Input::Reload,
                Command::Retry => Input::Retry,
            };
            dispatch(&me, input);
        })));
        *started.borrow_mut() = Some(driver);
    });

    let slot = SendWrapper::new(slot);
    on_cleanup(move || {
        let driver = slot.borrow_mut().take();
        if let Some(driver) = driver {
            let on_event = driver.borrow().on_event;
            let events = driver.borrow_mut().teardown();
            emit(on_event, events);
        }
    });
}

/// Feeds `input` to the driver behind `weak`, if it is still alive.
fn dispatch(weak: &Weak<RefCell<Driver>>, input: Input) {
    let Some(driver) = weak.upgrade() else { return };
    let Ok(mut borrowed) = driver.try_borrow_mut() else {
        // Re-entered from inside a handler (a synchronous DOM event): run it right after.
        let weak = weak.clone();
        wasm_bindgen_futures::spawn_local(async move { dispatch(&weak, input) });
        return;
    };
    let events = borrowed.step(input);
    let on_event = borrowed.on_event;
    drop(borrowed);
    emit(on_event, events);
}

/// Calls the host outside any borrow, so its callback may do anything.
fn emit(on_event: Option<Callback<MomentsEvent>>, events: Vec<MomentsEvent>) {
    if let Some(on_event) = on_event {
        for event in events {
            on_event.run(event);
        }
    }
}

fn now() -> Instant {
    let ms = web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now());
    Instant::from_millis(ms)
}

/// The per-instance runtime: the machine, and every browser resource it asked for.
struct Driver {
    session: Session,
    handle: MomentsHandle,
    on_event: Option<Callback<MomentsEvent>>,
    options: UseMomentsSessionOptions,
    published: SessionState,
    root: HtmlElement,
    frame: Option<HtmlIFrameElement>,
    frame_origin: Option<String>,
    near: bool,
    shown: bool,
    pending_height: Option<f64>,
    timer: Option<Timer>,
    fetch: Option<(FetchId, InFlight)>,
    animation_frame: Option<AnimationFrame>,
    listeners: Vec<Listener>,
    observers: Vec<Observer>,
    me: Weak<RefCell<Driver>>,
}

impl Driver {
    fn start(
        root: HtmlElement,
        options: UseMomentsSessionOptions,
        handle: MomentsHandle,
    ) -> Shared {
        // 53 random bits for the jitter seed; the jitter only has to differ between tabs.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
        let lazy = options.session.lazy;
        let driver = Rc::new_cyclic(|me| {
            RefCell::new(Self {
                session: Session::new(options.session.clone(), seed),
                handle,
                on_event: options.on_event,
                options,
                published: SessionState::Idle,
                root,
                frame: None,
                frame_origin: None,
                near: false,
                shown: false,
                pending_height: None,
                timer: None,
                fetch: None,
                animation_frame: None,
                listeners: Vec::new(),
                observers: Vec::new(),
                me: me.clone(),
            })
        });
        let events = {
            let mut d = driver.borrow_mut();
            d.size_placeholder();
            d.listen();
            if lazy {
                d.observe();
                // The observers' first report comes after the next layout; a frame that
                // is already in view should not wait for it.
                let (near, shown) = d.visibility_now();
                d.near = near;
                d.shown = shown;
                let mut effects = d.session.handle(Input::Visibility { near, shown }, now());
                effects.extend(d.session.start(now()));
                d.apply_all(effects)
            } else {
                let effects = d.session.start(now());
                d.apply_all(effects)
            }
        };
        let on_event = driver.borrow().on_event;
        emit(on_event, events);
        driver
    }

    fn step(&mut self, input: Input) -> Vec<MomentsEvent> {
        // The answer to the fetch in flight: it is no longer in flight.
        if let Input::Fetched { fetch, .. } | Input::FetchFailed { fetch, .. } = &input
            && self.fetch.as_ref().is_some_and(|(id, _)| id == fetch)
        {
            self.fetch = None;
        }
        let effects = self.session.handle(input, now());
        self.apply_all(effects)
    }

    fn apply_all(&mut self, effects: Vec<SessionEffect>) -> Vec<MomentsEvent> {
        for effect in effects {
            self.apply(effect);
        }
        self.publish()
    }

    fn apply(&mut self, effect: SessionEffect) {
        match effect {
            SessionEffect::Fetch(id) => self.fetch(id),
            SessionEffect::AbortFetch => self.fetch = None,
            SessionEffect::Navigate { frame, url } => self.show_frame(frame, &url),
            SessionEffect::DropFrame => self.remove_frame(),
            SessionEffect::SetTimer { timer, after } => {
                let me = self.me.clone();
                self.timer = Timer::new(after, move || dispatch(&me, Input::TimerFired { timer }));
            }
            SessionEffect::ClearTimer => self.timer = None,
        }
    }

    fn publish(&mut self) -> Vec<MomentsEvent> {
        let state = self.session.state();
        if *state == self.published {
            return Vec::new();
        }
        self.published = state.clone();
        self.handle.state.try_set(state.clone());
        let mut events = vec![MomentsEvent::StateChanged(state.clone())];
        if let SessionState::Error { error, .. } = state {
            events.push(MomentsEvent::Error(error.clone()));
        }
        events
    }

    /// Replaces the frame with a fresh `<iframe>` at `url`: every attribute first, `src`
    /// last, then into the document. It starts at the last reported height.
    fn show_frame(&mut self, frame: FrameId, url: &str) {
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
        let height = self.options.height.css(self.handle.height.get_untracked());
        let _ = iframe.set_attribute("class", "moments-embed__frame");
        let _ = iframe.set_attribute("data-moments-frame", &frame.0.to_string());
        let _ = iframe.set_attribute("title", &self.options.frame_title);
        let _ = iframe.set_attribute("sandbox", &self.options.frame_sandbox);
        let _ = HtmlElement::style(&iframe).set_property("height", &height);
        iframe.set_src(url);
        self.frame_origin = web_sys::Url::new(url).ok().map(|u| u.origin());
        let _ = self.root.append_child(&iframe);
        self.frame = Some(iframe);
    }

    fn remove_frame(&mut self) {
        if let Some(frame) = self.frame.take() {
            frame.remove();
        }
        self.frame_origin = None;
    }

    fn fetch(&mut self, id: FetchId) {
        let timeout = self.options.fetch_timeout;
        let me = self.me.clone();
        let on_timeout = move || {
            let input = Input::FetchFailed {
                fetch: id,
                error: MomentsError::Timeout(timeout),
                retry_after: None,
            };
            dispatch(&me, input);
        };
        let Some(in_flight) = InFlight::new(timeout, on_timeout) else {
            // No AbortController: report it like any network failure, outside this borrow.
            let me = self.me.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let error = MomentsError::Network("this browser cannot abort requests".into());
                dispatch(
                    &me,
                    Input::FetchFailed {
                        fetch: id,
                        error,
                        retry_after: None,
                    },
                );
            });
            return;
        };
        let signal = in_flight.signal();
        let request = FetchRequest {
            body: SessionRequest {
                embedding: self.options.embedding.get_untracked(),
            },
            signal: signal.clone(),
        };
        let custom = self
            .options
            .fetcher
            .as_ref()
            .map(|f| f.call(request.clone()));
        let endpoint = self
            .options
            .endpoint
            .get_untracked()
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let headers = self
            .options
            .headers
            .map(|h| h.get_untracked())
            .unwrap_or_default();
        self.fetch = Some((id, in_flight));
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = match custom {
                // A host's transport is held to the same validation as ours, and its
                // future is dropped when the request is aborted (a server function's
                // request is aborted with it).
                Some(future) => match unless_aborted(future, &signal).await {
                    Some(answer) => {
                        answer.and_then(|grant| Grant::try_from(grant).map_err(Into::into))
                    }
                    None => return,
                },
                None => post_session(endpoint, headers, request).await,
            };
            let input = match outcome {
                Ok(grant) => Input::Fetched { fetch: id, grant },
                Err(failure) => Input::FetchFailed {
                    fetch: id,
                    error: failure.error,
                    retry_after: failure.retry_after,
                },
            };
            dispatch(&me, input);
        });
    }

    /// Installs the listeners: frame messages, frame loads, tab visibility, network,
    /// and CSP violations.
    fn listen(&mut self) {
        let Some(window) = web_sys::window() else {
            return;
        };

        let me = self.me.clone();
        self.listeners
            .extend(Listener::new(&window, "message", false, move |event| {
                if let Ok(event) = event.dyn_into::<MessageEvent>() {
                    on_message(&me, &event);
                }
            }));

        // `load` does not bubble, but it can be captured on an ancestor.
        let me = self.me.clone();
        self.listeners
            .extend(Listener::new(&self.root, "load", true, move |event| {
                let Some(driver) = me.upgrade() else { return };
                let frame = driver.try_borrow().ok().and_then(|d| {
                    let current = d.frame.as_ref()?;
                    let target = event.target()?;
                    let ours = js_sys::Object::is(&target, current) && !is_initial_blank(current);
                    ours.then(|| d.session.frame()).flatten()
                });
                if let Some(frame) = frame {
                    dispatch(&me, Input::FrameLoaded { frame });
                }
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

    /// Two observers: one with the prefetch margin (start fetching), one without
    /// (navigate now). One observer cannot tell both: it only fires on crossing.
    fn observe(&mut self) {
        let margin = self.options.prefetch_margin.clone();
        for (root_margin, is_shown) in [(margin.as_str(), false), ("0px", true)] {
            let me = self.me.clone();
            let observer = Observer::new(&self.root, root_margin, move |intersecting| {
                let Some(driver) = me.upgrade() else { return };
                let input = {
                    let Ok(mut d) = driver.try_borrow_mut() else {
                        return;
                    };
                    if is_shown {
                        d.shown = intersecting;
                    } else {
                        d.near = intersecting;
                    }
                    Input::Visibility {
                        near: d.near || d.shown,
                        shown: d.shown,
                    }
                };
                dispatch(&me, input);
            });
            self.observers.extend(observer);
        }
    }

    /// Where the root is now: in the viewport, and within the prefetch margin of it.
    /// Margins other than a single pixel length leave `near` to the observer.
    fn visibility_now(&self) -> (bool, bool) {
        let Some(window) = web_sys::window() else {
            return (false, false);
        };
        let size =
            |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        let (width, height) = (size(window.inner_width()), size(window.inner_height()));
        let rect = self.root.get_bounding_client_rect();
        let within = |margin: f64| {
            rect.bottom() > -margin
                && rect.top() < height + margin
                && rect.right() > -margin
                && rect.left() < width + margin
        };
        let margin = self
            .options
            .prefetch_margin
            .trim()
            .strip_suffix("px")
            .map(str::trim)
            .filter(|px| !px.is_empty())
            // JS's `Number(text)`, not `str::parse::<f64>`: Rust's float parser adds
            // 15 KB gzip to the bundle (measured by bench/size.sh) for this one number.
            .map(|px| {
                px.parse::<js_sys::Number>()
                    .map_or(f64::NAN, |n| n.value_of())
            })
            .filter(|px| px.is_finite());
        let shown = within(0.0);
        (shown || margin.is_some_and(within), shown)
    }

    /// Coalesces resize reports: the last one in an animation frame wins.
    fn schedule_height(&mut self, height: f64) {
        self.pending_height = Some(height);
        if self.animation_frame.is_none() {
            let me = self.me.clone();
            self.animation_frame = AnimationFrame::new(move || {
                let Some(driver) = me.upgrade() else { return };
                let (on_event, events) = {
                    let Ok(mut d) = driver.try_borrow_mut() else {
                        return;
                    };
                    d.animation_frame = None;
                    let events = d.flush_height();
                    (d.on_event, events)
                };
                emit(on_event, events);
            });
        }
    }

    /// The one height write of this animation frame.
    fn flush_height(&mut self) -> Vec<MomentsEvent> {
        let Some(height) = self.pending_height.take() else {
            return Vec::new();
        };
        if self.handle.height.get_untracked() == Some(height) {
            return Vec::new();
        }
        self.handle.height.try_set(Some(height));
        if let Some(frame) = &self.frame {
            let css = self.options.height.css(Some(height));
            let _ = HtmlElement::style(frame).set_property("height", &css);
        }
        self.size_placeholder();
        vec![MomentsEvent::Resized { height }]
    }

    /// Sets the root's `--moments-embed-min-height` to the frame's height now, so what
    /// stands in for the frame (loading, an error, a reconnect) takes exactly its room and
    /// nothing jumps when it comes or goes. The stylesheet's default is the default
    /// `Height`'s, so a server render is sized the same before this runs.
    fn size_placeholder(&self) {
        let css = self.options.height.css(self.handle.height.get_untracked());
        let _ = HtmlElement::style(&self.root).set_property("--moments-embed-min-height", &css);
    }

    /// The frame message in `event`, if it comes from the current frame's origin *and*
    /// window and the adapter makes a valid signal of it.
    fn accept(&self, event: &MessageEvent) -> Option<(FrameId, FrameSignal)> {
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

    /// Undoes everything: the machine aborts its fetch and clears its timer, then every
    /// listener, observer, animation frame and the frame element go.
    fn teardown(&mut self) -> Vec<MomentsEvent> {
        let events = self.step(Input::Unmount);
        self.handle.control.try_set_value(None);
        self.fetch = None;
        self.timer = None;
        self.animation_frame = None;
        self.listeners.clear();
        self.observers.clear();
        self.remove_frame();
        events
    }
}

fn on_message(me: &Weak<RefCell<Driver>>, event: &MessageEvent) {
    let Some(driver) = me.upgrade() else { return };
    let accepted = driver.try_borrow().ok().and_then(|d| d.accept(event));
    let Some((frame, signal)) = accepted else {
        return;
    };
    match signal {
        FrameSignal::Ready => dispatch(me, Input::FrameReady { frame }),
        FrameSignal::SessionExpired => dispatch(me, Input::FrameSessionExpired { frame }),
        FrameSignal::Refused { reason, message } => {
            dispatch(
                me,
                Input::FrameRefused {
                    frame,
                    reason,
                    message,
                },
            );
        }
        FrameSignal::Resize(height) => {
            if let Ok(mut d) = driver.try_borrow_mut() {
                d.schedule_height(height);
            }
        }
        FrameSignal::Event { name, data } => {
            let on_event = driver.borrow().on_event;
            emit(on_event, vec![MomentsEvent::Frame { name, data }]);
        }
    }
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
    let ours = me
        .upgrade()
        .and_then(|d| d.try_borrow().ok().and_then(|d| d.frame_origin.clone()))
        .is_some_and(|origin| blocked_uri.starts_with(&origin));
    if ours {
        dispatch(
            me,
            Input::CspBlocked {
                directive,
                blocked_uri,
            },
        );
    }
}

/// `future`'s output, or `None` as soon as `signal` aborts, dropping `future` unfinished.
async fn unless_aborted<T>(
    future: std::pin::Pin<Box<dyn std::future::Future<Output = T>>>,
    signal: &web_sys::AbortSignal,
) -> Option<T> {
    use std::task::{Poll, Waker};
    let mut future = future;
    let woken: Rc<RefCell<(bool, Option<Waker>)>> = Rc::default();
    let on_abort = Rc::clone(&woken);
    // Removed when this function returns, like every listener of the component.
    let _listener = Listener::new(signal, "abort", false, move |_| {
        let mut state = on_abort.borrow_mut();
        state.0 = true;
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
    });
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        let mut state = woken.borrow_mut();
        if state.0 || signal.aborted() {
            return Poll::Ready(None);
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    })
    .await
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
