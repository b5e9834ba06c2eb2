//! What the host holds and hears: the [`MomentsHandle`] (state, reported height, reload, retry),
//! the [`MomentsEvent`]s, and what [`use_moments_session`](crate::use_moments_session)
//! returns.

use crate::error::MomentsError;
use crate::session::SessionState;
use leptos::prelude::*;
use std::rc::Rc;

/// Something the host may want to know about. Subscribe with `on_event`.
#[derive(Clone, Debug, PartialEq)]
pub enum MomentsEvent {
    /// The lifecycle moved to a new state.
    StateChanged(SessionState),
    /// The frame reported a new content height (CSS pixels, before min/max clamps).
    Resized {
        /// The reported height.
        height: f64,
    },
    /// The user did something inside the frame (`moments:event`).
    Frame {
        /// What, e.g. `"use_case.activated"`.
        name: String,
        /// Details from the frame, as JSON text (`"null"` when there are none). Parse it
        /// with the JSON library your app already uses; the component ships none.
        data: String,
    },
    /// An error was entered (also visible as `SessionState::Error`).
    Error(MomentsError),
    /// The component adopted the frame parked under its [`KeepAlive`](crate::KeepAlive)
    /// key: the same document, no new session; `Ready` follows at once.
    Adopted,
}

/// What a host can ask of a running session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Reload,
    Retry,
}

/// How the running session takes a host's commands.
pub(crate) type Control = Rc<dyn Fn(Command)>;

/// A host's handle on one embed: read its state, ask it to reload or retry.
///
/// Create it in the host component, pass it as `handle`, and keep it: it is `Copy`.
///
/// ## Usage
/// ```
/// use leptos::prelude::*;
/// use moments_embed::{MomentsEmbed, MomentsHandle};
///
/// #[component]
/// fn Campaigns() -> impl IntoView {
///     let moments = MomentsHandle::new();
///     view! {
///         <p>"State: " {move || moments.state().get().as_str()}</p>
///         <button on:click=move |_| moments.reload()>"Start over"</button>
///         <MomentsEmbed handle=moments/>
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MomentsHandle {
    pub(crate) state: RwSignal<SessionState>,
    pub(crate) reported_height: RwSignal<Option<f64>>,
    /// Set by the running session; commands go straight to it, no effect in between.
    pub(crate) control: StoredValue<Option<Control>, LocalStorage>,
}

impl Default for MomentsHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl MomentsHandle {
    /// A handle owned by the current reactive owner.
    pub fn new() -> Self {
        Self {
            state: RwSignal::new(SessionState::Idle),
            reported_height: RwSignal::new(None),
            control: StoredValue::new_local(None),
        }
    }

    /// The lifecycle state.
    pub fn state(&self) -> Signal<SessionState> {
        self.state.into()
    }

    /// The last height the frame reported (CSS pixels, before the `height` option's
    /// clamps); kept across reloads so nothing jumps.
    pub fn reported_height(&self) -> Signal<Option<f64>> {
        self.reported_height.into()
    }

    /// Fetches a fresh session and remounts the frame (ignored while a fetch is running,
    /// or before the component has mounted).
    pub fn reload(&self) {
        self.send(Command::Reload);
    }

    /// Retries now, from an error (what the Retry button does).
    pub fn retry(&self) {
        self.send(Command::Retry);
    }

    fn send(&self, command: Command) {
        let control = self.control.try_with_value(Clone::clone).flatten();
        if let Some(control) = control {
            control(command);
        }
    }
}

/// What [`use_moments_session`](crate::use_moments_session) returns.
#[derive(Clone, Copy, Debug)]
pub struct MomentsSession {
    /// The lifecycle state.
    pub state: Signal<SessionState>,
    /// The frame's last reported content height, written at most once per animation frame.
    pub reported_height: Signal<Option<f64>>,
    /// The handle (reload, retry).
    pub handle: MomentsHandle,
}
