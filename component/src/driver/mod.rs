//! The per-instance runtime behind [`use_moments_session`](crate::use_moments_session):
//! the session machine, and every browser resource it asked for.
//!
//! Data flows one way: a browser event becomes an [`Input`]; the machine answers with
//! effects; the driver carries them out (fetch, timer, frame element) and publishes the
//! state. Everything is owned by one `Driver`; its listeners and timers hold only a
//! `Weak` back to it, so dropping the driver on unmount is the whole cleanup. What the
//! machine decides (visibility, the fetch in flight, the attempt) lives in the machine
//! only; the driver keeps the browser objects.
//!
//! One concern per file: [`frame`] (the `<iframe>` element and which messages are its),
//! [`fetch`] (a request for a session), [`listen`] (window and document events),
//! [`viewport`] (where the root is), [`height`] (the frame's and the placeholder's size).

mod fetch;
mod frame;
mod height;
mod listen;
mod viewport;

use crate::browser::{AnimationFrame, InFlight, Listener, Observer, Timer};
use crate::handle::{Command, MomentsEvent, MomentsHandle};
use crate::options::UseMomentsSessionOptions;
use crate::session::{
    Effect as SessionEffect, FetchId, Input, Instant, Session, SessionConfig, SessionState,
};
use crate::sizing::Height;
use leptos::html;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use web_sys::{HtmlElement, HtmlIFrameElement};

type Shared = Rc<RefCell<Driver>>;

/// Starts the driver once `root` is mounted, follows the reactive options (the height,
/// the title), and tears it all down when the owning component is cleaned up.
pub(crate) fn bind_to_browser(
    root: NodeRef<html::Div>,
    options: UseMomentsSessionOptions,
    handle: MomentsHandle,
) {
    let slot: Rc<RefCell<Option<Shared>>> = Rc::default();
    let (height, title) = (options.height, options.title);

    // One effect both starts the driver once `root` is mounted and applies each change
    // of the reactive options to it (one effect, not two: `bench/size.sh`).
    let running = Rc::clone(&slot);
    Effect::new(move |_| {
        let Some(element) = root.get() else { return };
        let height = height.get();
        let title = title.get();
        let driver = running.borrow().as_ref().map(Rc::downgrade);
        if let Some(me) = driver {
            run(&me, move |d| {
                d.set_title(title.as_deref());
                d.set_height_mode(height)
            });
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
        *running.borrow_mut() = Some(driver);
    });

    let slot = SendWrapper::new(slot);
    on_cleanup(move || {
        let driver = slot.borrow_mut().take();
        if let Some(driver) = driver {
            let on_event = driver.borrow().options.on_event;
            let events = driver.borrow_mut().teardown();
            emit(on_event, events);
        }
    });
}

/// Runs `work` on the driver behind `weak`, if it is still alive, then tells the host
/// what happened. If the driver is busy (this was called from inside one of its own
/// handlers, through a synchronous DOM event), `work` runs right after instead of being
/// lost.
fn run(
    weak: &Weak<RefCell<Driver>>,
    work: impl FnOnce(&mut Driver) -> Vec<MomentsEvent> + 'static,
) {
    // One body for every caller: each closure type would otherwise get its own copy of
    // the borrow, the deferral and the emitting (`bench/size.sh`: 1.8 KB raw, 0.5 KB gzip).
    run_boxed(weak, Box::new(work));
}

type Work = Box<dyn FnOnce(&mut Driver) -> Vec<MomentsEvent>>;

fn run_boxed(weak: &Weak<RefCell<Driver>>, work: Work) {
    let Some(driver) = weak.upgrade() else { return };
    let Ok(mut borrowed) = driver.try_borrow_mut() else {
        let weak = weak.clone();
        wasm_bindgen_futures::spawn_local(async move { run_boxed(&weak, work) });
        return;
    };
    let events = work(&mut borrowed);
    let on_event = borrowed.options.on_event;
    drop(borrowed);
    emit(on_event, events);
}

/// Feeds `input` to the machine of the driver behind `weak`.
fn dispatch(weak: &Weak<RefCell<Driver>>, input: Input) {
    run(weak, move |d| d.step(input));
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
    options: UseMomentsSessionOptions,
    published: SessionState,
    root: HtmlElement,
    frame: Option<HtmlIFrameElement>,
    frame_origin: Option<String>,
    /// The `height` option as it is now (it is reactive).
    height: Height,
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
        let config = SessionConfig {
            lazy: options.lazy,
            ..options.session_config
        };
        let height = options.height.get_untracked();
        let driver = Rc::new_cyclic(|me| {
            RefCell::new(Self {
                session: Session::new(config, seed),
                handle,
                options,
                published: SessionState::Idle,
                height,
                root,
                frame: None,
                frame_origin: None,
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
            let mut effects = Vec::new();
            if d.options.lazy {
                d.observe();
                // The observers' first report comes after the next layout; a frame that
                // is already in view should not wait for it.
                let (near, shown) = d.visibility_now();
                effects = d.session.handle(Input::Visibility { near, shown }, now());
            }
            effects.extend(d.session.start(now()));
            d.apply_all(effects)
        };
        let on_event = driver.borrow().options.on_event;
        emit(on_event, events);
        driver
    }

    fn step(&mut self, input: Input) -> Vec<MomentsEvent> {
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
            // Aborting a fetch that has answered is a no-op: this is its one release.
            SessionEffect::DropFetch => self.fetch = None,
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

    /// Undoes everything: the machine lets go of its fetch and clears its timer, then
    /// every listener, observer, animation frame and the frame element go.
    fn teardown(&mut self) -> Vec<MomentsEvent> {
        let events = self.step(Input::Unmount);
        self.handle.control.try_set_value(None);
        self.animation_frame = None;
        self.listeners.clear();
        self.observers.clear();
        self.remove_frame();
        events
    }
}
