//! `use_moments_session`: the session machine, bound to the browser.

use crate::fetcher::Fetcher;
use crate::frame_adapter::FrameAdapter;
use crate::protocol::MomentsError;
use crate::session::{SessionConfig, SessionState};
use crate::sizing::Height;
use leptos::html;
use leptos::prelude::*;
use std::rc::Rc;
use std::time::Duration;

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
    pub(crate) height: RwSignal<Option<f64>>,
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
            height: RwSignal::new(None),
            control: StoredValue::new_local(None),
        }
    }

    /// The lifecycle state.
    pub fn state(&self) -> Signal<SessionState> {
        self.state.into()
    }

    /// The last height the frame reported; kept across reloads so nothing jumps.
    pub fn height(&self) -> Signal<Option<f64>> {
        self.height.into()
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

/// What [`use_moments_session`] returns.
#[derive(Clone, Copy, Debug)]
pub struct MomentsSession {
    /// The lifecycle state.
    pub state: Signal<SessionState>,
    /// The frame's last reported content height, written at most once per animation frame.
    pub height: Signal<Option<f64>>,
    /// The handle (reload, retry).
    pub handle: MomentsHandle,
}

/// Options for [`use_moments_session_with_options`].
#[derive(Clone, Debug)]
pub struct UseMomentsSessionOptions {
    pub(crate) endpoint: MaybeProp<String>,
    pub(crate) embedding: MaybeProp<String>,
    pub(crate) headers: Option<Signal<Vec<(String, String)>>>,
    pub(crate) fetcher: Option<Fetcher>,
    pub(crate) session: SessionConfig,
    pub(crate) fetch_timeout: Duration,
    pub(crate) prefetch_margin: String,
    pub(crate) on_event: Option<Callback<MomentsEvent>>,
    pub(crate) handle: Option<MomentsHandle>,
    pub(crate) height: Height,
    pub(crate) frame_title: String,
    pub(crate) frame_sandbox: String,
    pub(crate) frame_adapter: FrameAdapter,
}

/// The frame's accessible name unless told otherwise.
pub const DEFAULT_FRAME_TITLE: &str = "Infobip Moments campaigns";

/// The frame's `sandbox` unless told otherwise: what an app like the Campaign wizard
/// needs, and never top navigation, so the frame cannot navigate the host page away.
pub const DEFAULT_FRAME_SANDBOX: &str = "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads";

impl Default for UseMomentsSessionOptions {
    fn default() -> Self {
        Self {
            endpoint: MaybeProp::default(),
            embedding: MaybeProp::default(),
            headers: None,
            fetcher: None,
            session: SessionConfig::default(),
            fetch_timeout: Duration::from_secs(15),
            prefetch_margin: "300px".to_owned(),
            on_event: None,
            handle: None,
            height: Height::default(),
            frame_title: DEFAULT_FRAME_TITLE.to_owned(),
            frame_sandbox: DEFAULT_FRAME_SANDBOX.to_owned(),
            frame_adapter: FrameAdapter::default(),
        }
    }
}

impl UseMomentsSessionOptions {
    /// Where to `POST` for a session (default `/api/moments/session`). Read at each fetch.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<MaybeProp<String>>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Which embedding to ask for, by the name the server's allowlist knows.
    #[must_use]
    pub fn embedding(mut self, embedding: impl Into<MaybeProp<String>>) -> Self {
        self.embedding = embedding.into();
        self
    }

    /// Extra request headers (e.g. a CSRF token). Read at each fetch.
    #[must_use]
    pub fn headers(mut self, headers: impl Into<Signal<Vec<(String, String)>>>) -> Self {
        self.headers = Some(headers.into());
        self
    }

    /// Replaces the default `POST` with your own transport.
    #[must_use]
    pub fn fetcher(mut self, fetcher: Fetcher) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Wait until the frame nears the viewport before fetching (default `true`).
    #[must_use]
    pub fn lazy(mut self, lazy: bool) -> Self {
        self.session.lazy = lazy;
        self
    }

    /// Timeouts, retries and margins of the lifecycle.
    #[must_use]
    pub fn session_config(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }

    /// How long one fetch may take (default 15 s).
    #[must_use]
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// How far outside the viewport a lazy frame starts fetching (CSS margin, default
    /// `"300px"`). The frame is navigated only once it is actually in view.
    #[must_use]
    pub fn prefetch_margin(mut self, margin: impl Into<String>) -> Self {
        self.prefetch_margin = margin.into();
        self
    }

    /// Called for every [`MomentsEvent`].
    #[must_use]
    pub fn on_event(mut self, on_event: impl Into<Callback<MomentsEvent>>) -> Self {
        self.on_event = Some(on_event.into());
        self
    }

    /// Use this handle's signals (so the host can read state and call reload).
    #[must_use]
    pub fn handle(mut self, handle: MomentsHandle) -> Self {
        self.handle = Some(handle);
        self
    }

    /// How tall the frame is (default: auto, from 640 px; see [`Height`]).
    #[must_use]
    pub fn height(mut self, height: Height) -> Self {
        self.height = height;
        self
    }

    /// The frame's accessible name (its `title`).
    #[must_use]
    pub fn frame_title(mut self, title: impl Into<String>) -> Self {
        self.frame_title = title.into();
        self
    }

    /// The frame's `sandbox` attribute (see [`DEFAULT_FRAME_SANDBOX`]).
    #[must_use]
    pub fn frame_sandbox(mut self, sandbox: impl Into<String>) -> Self {
        self.frame_sandbox = sandbox.into();
        self
    }

    /// How the frame's messages are read (default: this project's `moments:*`
    /// convention; see [`FrameAdapter`]).
    #[must_use]
    pub fn frame_adapter(mut self, adapter: FrameAdapter) -> Self {
        self.frame_adapter = adapter;
        self
    }
}

/// Runs a Moments session inside `root`, with default options.
///
/// The hook puts the frame (`iframe.moments-embed__frame`) inside `root` itself: a fresh
/// element for every `request_uri`, so none ever lands in the frame's history (where
/// Back would replay it). Your view renders `root` and whatever it shows around the
/// frame (loading, errors), reading the returned state.
///
/// ## Usage
/// ```
/// use leptos::{html, prelude::*};
/// use moments_embed::{SessionState, use_moments_session};
///
/// #[component]
/// fn CustomEmbed() -> impl IntoView {
///     let root = NodeRef::<html::Div>::new();
///     let session = use_moments_session(root);
///     view! {
///         <div node_ref=root class="my-embed" data-state=move || session.state.get().as_str()>
///             <Show when=move || matches!(session.state.get(), SessionState::Error { .. })>
///                 <button on:click=move |_| session.handle.retry()>"Try again"</button>
///             </Show>
///         </div>
///     }
/// }
/// ```
///
/// ## Behaviour
/// See [`crate::session`] for the lifecycle. The hook listens for `message` (window),
/// `visibilitychange` and `securitypolicyviolation` (document), `online` (window) and
/// `load` (captured on `root`), observes `root` with two `IntersectionObserver`s when
/// lazy, and holds at most one timer, one fetch, one animation frame and one frame
/// element. Every one of them is removed when the owning component unmounts.
///
/// ## Server-Side Rendering
/// Under the `ssr` feature nothing runs: the state stays `Idle` and no frame is rendered.
/// All browser work starts in an effect, on the client.
pub fn use_moments_session(root: NodeRef<html::Div>) -> MomentsSession {
    use_moments_session_with_options(root, UseMomentsSessionOptions::default())
}

/// Runs a Moments session inside `root`. See [`use_moments_session`].
pub fn use_moments_session_with_options(
    root: NodeRef<html::Div>,
    options: UseMomentsSessionOptions,
) -> MomentsSession {
    let handle = options.handle.unwrap_or_default();

    #[cfg(moments_browser)]
    crate::driver::bind_to_browser(root, options, handle);
    #[cfg(not(moments_browser))]
    let _ = (root, options);

    MomentsSession {
        state: handle.state.into(),
        height: handle.height.into(),
        handle,
    }
}
