//! How the frame's messages reach the component: [`FrameAdapter`].
//!
//! Infobip documents the PAR call, the `request_uri` and the authorize URL, and nothing
//! about what its frame posts to the host page. The `moments:*` messages
//! (`moments_protocol::frame`) are this project's convention, spoken by the sandbox and
//! read by [`FrameAdapter::moments`], the default. When the real frame turns out to
//! speak something else, a host maps it with its own adapter, without forking.

use crate::parse::{FrameSignal, parse_frame_message};
use std::fmt;
use std::sync::Arc;
use wasm_bindgen::JsValue;

/// Maps one message from the frame (its `event.data`) to a [`FrameSignal`], or `None`
/// to ignore it.
///
/// The component calls the adapter only for messages whose `event.origin` is the frame
/// URL's origin **and** whose `event.source` is the frame's own window: those checks are
/// not the adapter's to make or to relax. What the adapter returns is held to
/// [`FrameSignal::validated`] (a negative, infinite or absurd height, an oversized
/// event, is dropped), exactly as the default's is.
///
/// ## Usage
/// A frame that posts `{type: "resize", height}` and `"loaded"` (a bare string), and a
/// Looker-style one that posts JSON *text*:
/// ```no_run
/// use leptos::prelude::*;
/// use moments_embed::json::JsonView;
/// use moments_embed::{FrameAdapter, FrameSignal, MomentsEmbed};
///
/// fn resize_convention() -> FrameAdapter {
///     FrameAdapter::new(|data| {
///         if data.as_string().as_deref() == Some("loaded") {
///             return Some(FrameSignal::Ready);
///         }
///         match data.field("type")?.string()?.as_str() {
///             "resize" => Some(FrameSignal::Resize(data.field("height")?.number()?)),
///             "session-ended" => Some(FrameSignal::SessionExpired),
///             _ => None,
///         }
///     })
/// }
///
/// // Looker posts `JSON.stringify({type: "page:properties:changed", height})`.
/// fn looker_convention() -> FrameAdapter {
///     FrameAdapter::new(|data| {
///         let message = js_sys::JSON::parse(&data.as_string()?).ok()?;
///         match message.field("type")?.string()?.as_str() {
///             "page:properties:changed" => {
///                 Some(FrameSignal::Resize(message.field("height")?.number()?))
///             }
///             _ => None,
///         }
///     })
/// }
///
/// #[component]
/// fn Campaigns() -> impl IntoView {
///     view! { <MomentsEmbed frame_adapter=resize_convention()/> }
/// }
/// ```
/// Both are tested in a real browser (`tests/adapter.rs`).
/// To accept this project's messages as well, fall back to
/// [`parse_frame_message`](crate::parse::parse_frame_message) inside your adapter.
#[derive(Clone)]
pub struct FrameAdapter(Arc<MapMessage>);

/// What a [`FrameAdapter`] wraps.
type MapMessage = dyn Fn(&JsValue) -> Option<FrameSignal> + Send + Sync;

impl FrameAdapter {
    /// Wraps `map`.
    pub fn new(map: impl Fn(&JsValue) -> Option<FrameSignal> + Send + Sync + 'static) -> Self {
        Self(Arc::new(map))
    }

    /// This project's `moments:*` convention (the default): see
    /// [`parse_frame_message`](crate::parse::parse_frame_message).
    pub fn moments() -> Self {
        Self::new(parse_frame_message::<JsValue>)
    }

    /// What `data` means, validated; `None` to ignore it.
    #[cfg_attr(not(moments_browser), allow(dead_code))]
    pub(crate) fn read(&self, data: &JsValue) -> Option<FrameSignal> {
        (self.0)(data).and_then(FrameSignal::validated)
    }
}

impl Default for FrameAdapter {
    fn default() -> Self {
        Self::moments()
    }
}

impl fmt::Debug for FrameAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FrameAdapter(..)")
    }
}
