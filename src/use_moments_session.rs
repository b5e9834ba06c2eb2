//! `use_moments_session`: the session machine, bound to the browser.

use crate::handle::{MomentsHandle, MomentsSession};
use crate::options::UseMomentsSessionOptions;
use leptos::html;
use leptos::prelude::*;

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
    let handle = bind(root, options);
    MomentsSession {
        state: handle.state.into(),
        reported_height: handle.reported_height.into(),
        handle,
    }
}

/// The hook's work: runs the session in `root`, and returns its handle (whose signals
/// `<MomentsEmbed/>` reads).
pub(crate) fn bind(root: NodeRef<html::Div>, options: UseMomentsSessionOptions) -> MomentsHandle {
    let handle = options.handle.unwrap_or_default();
    #[cfg(moments_browser)]
    crate::driver::bind_to_browser(root, options, handle);
    #[cfg(not(moments_browser))]
    let _ = (root, options);
    handle
}

/// Releases every parked frame now: call it when the person signs out, so no frame of
/// theirs waits in the page for the next person. Mounted embeds are not affected.
pub fn release_kept_frames() {
    #[cfg(moments_browser)]
    crate::driver::keep::release_all();
}
