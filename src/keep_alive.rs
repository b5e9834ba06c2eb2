//! Keeping the person's place across the host's navigation: [`KeepAlive`].
//!
//! A kept embed's frame does not live in the component's own markup but in a stage
//! at the end of `<body>`, laid over the component's slot with CSS anchor positioning.
//! A router removes a page's DOM *before* its components' cleanups run (leptos_router
//! 0.8 drops a route's owner after the swap), and removing an `<iframe>` from the
//! document destroys what is in it, so a frame inside the page could never be saved in
//! time. Over the slot, it never moves: when the component unmounts the frame is
//! *parked* (hidden, `inert`, no layout room, its size kept), and the next component
//! with the same key *adopts* it, with the person's step, input and scroll intact.

use std::sync::Arc;
use std::time::Duration;

/// How long a parked frame waits for its embed to come back, unless told otherwise.
pub const DEFAULT_KEEP_FOR: Duration = Duration::from_secs(10 * 60);

/// How many frames are parked at most; past it, the least recently used one goes.
pub const MAX_PARKED_FRAMES: usize = 4;

/// Keep this embed's frame when the component unmounts, for the next component with
/// the same key: the `keep_alive` option.
///
/// ## Usage
/// ```
/// use leptos::prelude::*;
/// use moments_embed::{KeepAlive, MomentsEmbed};
/// use std::time::Duration;
///
/// #[component]
/// fn Campaigns() -> impl IntoView {
///     view! { <MomentsEmbed keep_alive="campaigns"/> }
/// }
///
/// #[component]
/// fn Chatbot() -> impl IntoView {
///     let keep = KeepAlive::new("chatbot").keep_for(Duration::from_secs(30 * 60));
///     view! { <MomentsEmbed embedding="chatbot" keep_alive=keep/> }
/// }
/// ```
///
/// ## What is kept, and for how long
/// Only a frame that is ready (a frame still loading, or an error, is dropped as
/// without the option). A parked frame is released, and the next mount starts a fresh
/// session, when:
/// - it waited longer than [`keep_for`](Self::keep_for) ([`DEFAULT_KEEP_FOR`], ten
///   minutes), counted on the wall clock, so a tab asleep for hours does not adopt it;
/// - its session ends while parked (the frame's `moments:session-expired`);
/// - more than [`MAX_PARKED_FRAMES`] are parked (least recently used first);
/// - the host calls `reload()` on the embed's [`MomentsHandle`](crate::MomentsHandle);
/// - a component with the same key asks for another `embedding` or `product`.
///
/// No session is ever fetched for a parked frame.
#[derive(Clone)]
pub struct KeepAlive {
    key: Arc<str>,
    keep_for: Duration,
    /// The machinery: named here only, so an app that keeps nothing links none of it.
    #[cfg(moments_browser)]
    pub(crate) ops: &'static crate::driver::keep::Ops,
}

impl PartialEq for KeepAlive {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.keep_for == other.keep_for
    }
}

impl Eq for KeepAlive {}

impl std::fmt::Debug for KeepAlive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeepAlive")
            .field("key", &self.key)
            .field("keep_for", &self.keep_for)
            .finish()
    }
}

impl KeepAlive {
    /// Keeps the frame under `key` for [`DEFAULT_KEEP_FOR`].
    pub fn new(key: impl Into<Arc<str>>) -> Self {
        Self {
            key: key.into(),
            keep_for: DEFAULT_KEEP_FOR,
            #[cfg(moments_browser)]
            ops: &crate::driver::keep::OPS,
        }
    }

    /// How long a parked frame waits for its embed to come back.
    #[must_use]
    pub fn keep_for(mut self, keep_for: Duration) -> Self {
        self.keep_for = keep_for;
        self
    }

    /// The key: one per embed the host keeps.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How long a parked frame waits.
    pub fn duration(&self) -> Duration {
        self.keep_for
    }
}

impl From<&str> for KeepAlive {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for KeepAlive {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}
