//! The per-instance runtime behind [`use_moments_session`](crate::use_moments_session):
//! the session machine, and every browser resource it asked for.
//!
//! Data flows one way: a browser event becomes an [`Input`]; the machine answers with
//! effects; the driver carries them out (fetch, timer, frame element) and publishes the
//! state. The machine is the one owner of decisions (visibility, the fetch in flight,
//! the attempt); the driver only holds what the browser needs, in a few owners that each
//! keep their own state:
//!
//! - [`frame::Frame`]: the `<iframe>` element, its origin, and which messages are its;
//! - [`sizing::Sizing`]: the frame's height (the mode, the reported height, the write
//!   coalesced to one per animation frame);
//! - [`listen::Subscriptions`]: window and document listeners, and the viewport
//!   observers of [`viewport`], reporting what they hear to [`Driver::hear`];
//! - the fetch in flight ([`fetch`]) and the one timer, as `Option`s here.
//!
//! Listeners and timers hold only a `Weak` to the driver, so dropping it on unmount is
//! the whole cleanup.

mod fetch;
mod focus;
mod frame;
pub(crate) mod keep;
mod listen;
mod sizing;
mod viewport;

use crate::browser::{InFlight, Timer};
use crate::handle::{Command, MomentsEvent, MomentsHandle};
use crate::keep_alive::KeepAlive;
use crate::options::UseMomentsSessionOptions;
use crate::parse::FrameSignal;
use crate::session::{
    Effect as SessionEffect, FetchId, Input, Instant, Session, SessionConfig, SessionState,
};
use frame::Frame;
use leptos::html;
use leptos::prelude::*;
use listen::{Heard, Subscriptions};
use send_wrapper::SendWrapper;
use sizing::Sizing;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use web_sys::HtmlElement;

/// How listeners, timers and the host's commands reach the driver: never a strong
/// reference, so the driver dies with the component.
type DriverRef = Weak<RefCell<Driver>>;

/// Starts the driver once `root` is mounted, follows the reactive options (the height,
/// the title), and tears it all down when the owning component is cleaned up.
pub(crate) fn bind_to_browser(
    root: NodeRef<html::Div>,
    options: UseMomentsSessionOptions,
    handle: MomentsHandle,
) {
    let running: Rc<RefCell<Option<Rc<RefCell<Driver>>>>> = Rc::default();
    let (height, title) = (options.height, options.title);
    let default_title = crate::options::Words::of(options.product).title;

    let slot = Rc::clone(&running);
    Effect::new(move |_| {
        let Some(element) = root.get() else { return };
        let (height, title) = (height.get(), title.get());
        let started = slot.borrow().as_ref().map(Rc::downgrade);
        match started {
            Some(driver) => run(&driver, move |d| {
                d.frame.set_title(title.as_deref().unwrap_or(default_title));
                d.sizing.set_mode(height, &d.frame);
                Vec::new()
            }),
            None => {
                // A server render's copy of the stylesheet has done its job (styling the
                // page before the wasm came); the adopted sheet holds it from now on.
                if let Ok(Some(style)) =
                    element.query_selector(":scope > style[data-moments-embed]")
                {
                    style.remove();
                }
                let driver = Driver::start(element.into(), options.clone(), handle);
                *slot.borrow_mut() = Some(driver);
            }
        }
    });

    let running = SendWrapper::new(running);
    on_cleanup(move || {
        let driver = running.borrow_mut().take();
        if let Some(driver) = driver {
            let on_event = driver.borrow().options.on_event;
            let events = driver.borrow_mut().teardown();
            emit(on_event, events);
        }
    });
}

/// Runs `work` on the driver behind `driver`, if it is still alive, then tells the host
/// what happened. If the driver is busy (this was called from inside one of its own
/// handlers, through a synchronous DOM event), `work` runs right after instead of being
/// lost.
fn run(driver: &DriverRef, work: impl FnOnce(&mut Driver) -> Vec<MomentsEvent> + 'static) {
    let Some(strong) = driver.upgrade() else {
        return;
    };
    let Ok(mut borrowed) = strong.try_borrow_mut() else {
        let driver = driver.clone();
        wasm_bindgen_futures::spawn_local(async move { run(&driver, work) });
        return;
    };
    let events = work(&mut borrowed);
    let on_event = borrowed.options.on_event;
    drop(borrowed);
    emit(on_event, events);
}

/// Feeds `input` to the machine of the driver behind `driver`.
fn dispatch(driver: &DriverRef, input: Input) {
    run(driver, move |d| d.step(input));
}

/// Calls the host outside any borrow, so its callback may do anything.
fn emit(on_event: Option<Callback<MomentsEvent>>, events: Vec<MomentsEvent>) {
    if let Some(on_event) = on_event {
        for event in events {
            on_event.run(event);
        }
    }
}

/// What a frame is opened for, as far as the component knows: a kept frame is adopted
/// only by a component that asks for the same.
fn opened_for(options: &UseMomentsSessionOptions) -> keep::OpenedFor {
    (options.product, options.embedding.get_untracked())
}

fn now() -> Instant {
    let ms = web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now());
    Instant::from_millis(ms)
}

/// The per-instance runtime: the machine, and the owners of what it asked for.
struct Driver {
    session: Session,
    options: UseMomentsSessionOptions,
    /// Where the state and the reported height are published, and commands come from.
    handle: MomentsHandle,
    frame: Frame,
    sizing: Sizing,
    /// What the frame is opened for (a kept frame is adopted only for the same).
    opened_for: keep::OpenedFor,
    subscriptions: Subscriptions,
    fetch: Option<(FetchId, InFlight)>,
    timer: Option<Timer>,
    me: DriverRef,
}

impl Driver {
    fn start(
        root: HtmlElement,
        options: UseMomentsSessionOptions,
        handle: MomentsHandle,
    ) -> Rc<RefCell<Self>> {
        // 53 random bits for the jitter seed; the jitter only has to differ between tabs.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
        let config = SessionConfig {
            lazy: options.lazy,
            ..options.session_config
        };
        let keep = options
            .keep_alive
            .clone()
            .filter(|keep| (keep.ops.supported)());
        // Read now: at unmount the options' signals may be gone with their owner (a
        // router drops a page's owner before our cleanup runs).
        let opened_for = opened_for(&options);
        let adopted = keep
            .as_ref()
            .and_then(|keep| (keep.ops.take)(keep.key(), &opened_for));
        if let Some(kept) = &adopted {
            handle.reported_height.try_set(kept.height);
        }
        let sizing = Sizing::new(options.height.get_untracked(), handle.reported_height);
        let mut frame = Frame::new(root, keep.as_ref().map(|keep| keep.ops));
        let session = match adopted {
            Some(kept) => {
                let session = Session::adopted(config, seed);
                if let Some(id) = session.frame() {
                    frame.adopt(id, kept.element, kept.origin, &sizing.css());
                }
                session
            }
            None => Session::new(config, seed),
        };
        let driver = Rc::new_cyclic(|me: &DriverRef| {
            let hear: Rc<dyn Fn(Heard)> = {
                let me = me.clone();
                Rc::new(move |heard| run(&me, move |d| d.hear(heard)))
            };
            let subscriptions =
                Subscriptions::new(frame.root(), frame.parent().as_ref(), &options, &hear);
            RefCell::new(Self {
                subscriptions,
                session,
                frame,
                sizing,
                opened_for,
                options,
                handle,
                fetch: None,
                timer: None,
                me: me.clone(),
            })
        });
        let me = Rc::downgrade(&driver);
        handle.control.set_value(Some(Rc::new(move |command| {
            let input = match command {
                Command::Reload => Input::Reload,
                Command::Retry => Input::Retry,
            };
            dispatch(&me, input);
        })));
        let events = {
            let mut d = driver.borrow_mut();
            d.sizing.apply(&d.frame);
            // Adopted: the kept frame is this component's now, ready as it was (the
            // machine has nothing to start: it is `Ready` with its frame up).
            let mut events = Vec::new();
            if d.session.state() == &SessionState::Ready {
                events.push(MomentsEvent::Adopted);
            }
            let mut effects = Vec::new();
            if d.options.lazy {
                // The observers' first report comes after the next layout; a frame that
                // is already in view should not wait for it.
                let (near, shown) = viewport::visibility_now(d.frame.root(), &d.options);
                effects = d.session.handle(Input::Visibility { near, shown }, now());
            }
            effects.extend(d.session.start(now()));
            events.extend(d.apply_all(effects));
            events
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
            SessionEffect::Fetch(id) => {
                let me = self.me.clone();
                let deliver = move |input| dispatch(&me, input);
                self.fetch = fetch::start(&self.options, id, deliver).map(|f| (id, f));
            }
            // Aborting a fetch that has answered is a no-op: this is its one release.
            SessionEffect::DropFetch => self.fetch = None,
            SessionEffect::Navigate { frame, url } => {
                self.frame
                    .show(frame, &url, &self.options, &self.sizing.css());
                self.sizing.apply(&self.frame);
            }
            SessionEffect::DropFrame => self.frame.remove(),
            SessionEffect::SetTimer { timer, after } => {
                let me = self.me.clone();
                self.timer = Timer::new(after, move || dispatch(&me, Input::TimerFired { timer }));
            }
            SessionEffect::ClearTimer => self.timer = None,
        }
    }

    /// What something the browser said means: an input for the machine, a resize to
    /// schedule, an event for the host, or nothing (not the current frame's).
    fn hear(&mut self, heard: Heard) -> Vec<MomentsEvent> {
        let frame = self.session.frame();
        let input = match heard {
            Heard::Message(event) => {
                let (Some(frame), Some(signal)) = (frame, self.frame.accept(&event, &self.options))
                else {
                    return Vec::new();
                };
                match signal {
                    FrameSignal::Ready => Input::FrameReady { frame },
                    FrameSignal::SessionExpired => Input::FrameSessionExpired { frame },
                    FrameSignal::Refused { reason, message } => Input::FrameRefused {
                        frame,
                        reason,
                        message,
                    },
                    FrameSignal::Resize(height) => {
                        let me = self.me.clone();
                        self.sizing.report(height, move || {
                            run(&me, |d| d.sizing.flush(&d.frame).into_iter().collect());
                        });
                        return Vec::new();
                    }
                    FrameSignal::Event { name, data } => {
                        return vec![MomentsEvent::Frame { name, data }];
                    }
                }
            }
            Heard::Loaded(target) => match frame {
                Some(frame) if self.frame.has_loaded(&target) => Input::FrameLoaded { frame },
                _ => return Vec::new(),
            },
            Heard::Online => Input::Online,
            Heard::Visible => Input::PageVisible,
            Heard::FrameBlocked {
                directive,
                blocked_uri,
            } => {
                if !self.frame.is_at_origin(&blocked_uri) {
                    return Vec::new();
                }
                Input::CspBlocked {
                    directive,
                    blocked_uri,
                }
            }
            Heard::Viewport(crossing) => {
                let (near, shown) = self.session.visibility();
                let (near, shown) = if crossing.of_viewport {
                    (near, crossing.intersecting)
                } else {
                    (crossing.intersecting, shown)
                };
                Input::Visibility {
                    near: near || shown,
                    shown,
                }
            }
        };
        self.step(input)
    }

    /// Publishes the machine's state to the handle, if it changed, with its events.
    fn publish(&mut self) -> Vec<MomentsEvent> {
        let state = self.session.state();
        if self
            .handle
            .state
            .try_with_untracked(|published| published == state)
            == Some(true)
        {
            return Vec::new();
        }
        self.handle.state.try_set(state.clone());
        self.frame.set_state(state.as_str());
        let mut events = vec![MomentsEvent::StateChanged(state.clone())];
        if let SessionState::Error { error, .. } = state {
            events.push(MomentsEvent::Error(error.clone()));
        }
        events
    }

    /// Undoes everything: the machine lets go of its fetch and clears its timer, then
    /// every listener, observer, animation frame and the frame element go; or, for a
    /// kept embed whose frame is ready, the frame is parked for the next mount.
    fn teardown(&mut self) -> Vec<MomentsEvent> {
        let ready = self.session.state() == &SessionState::Ready;
        let events = self.step(Input::Unmount);
        self.handle.control.try_set_value(None);
        self.sizing.cancel();
        self.subscriptions = Subscriptions::default();
        let kept = match &self.options.keep_alive {
            Some(keep) if ready => self.frame.keep().map(|frame| (keep.clone(), frame)),
            _ => None,
        };
        match kept {
            Some((keep, (element, origin))) => self.park(&keep, element, origin),
            None => self.frame.remove(),
        }
        events
    }

    /// Parks the frame under `keep`; the handle's `reload()` releases it from now on.
    fn park(&self, keep: &KeepAlive, element: web_sys::HtmlIFrameElement, origin: String) {
        (keep.ops.park)(keep::Parking {
            key: Rc::from(keep.key()),
            keep_for: keep.duration(),
            max: crate::keep_alive::MAX_PARKED_FRAMES,
            opened_for: self.opened_for.clone(),
            element,
            origin,
            height: self.handle.reported_height.try_get_untracked().flatten(),
            adapter: self.options.frame_adapter.clone(),
        });
        let key = keep.clone();
        self.handle
            .control
            .try_set_value(Some(Rc::new(move |command| {
                if command == Command::Reload {
                    (key.ops.release)(key.key());
                }
            })));
    }
}
