//! The session's options, declared once: [`UseMomentsSessionOptions`] (with a builder
//! method per option, for [`use_moments_session_with_options`]) and the matching props of
//! [`MomentsEmbed`](crate::MomentsEmbed) come from the one list in [`with_options!`],
//! each option with its type, default and documentation written a single time.
//!
//! Why a macro: the hook's options and the component's props are the same settings in
//! two shapes (a builder, and `#[prop]` parameters). Leptos builds props from a
//! function's parameters, so the list is handed to two small macros, one per shape;
//! nothing is copied by hand, and a new option cannot be added to one shape only.
//!
//! [`use_moments_session_with_options`]: crate::use_moments_session_with_options

/// The frame's accessible name unless told otherwise.
pub const DEFAULT_FRAME_TITLE: &str = "Infobip Moments campaigns";

/// The frame's `sandbox` unless told otherwise: what an app like the Campaign wizard
/// needs, and never top navigation, so the frame cannot navigate the host page away.
pub const DEFAULT_FRAME_SANDBOX: &str = "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads";

/// Hands the list of options to `$shape!`, which declares them in its shape. Each entry:
/// its documentation, `name: [Type] = default` (the type in brackets, so
/// that `#[component]` sees its tokens: it looks inside `Option<…>` for `strip_option`), the `#[prop(..)]` flags of the component's
/// prop, and the builder method's parameter and conversion.
macro_rules! with_options {
    ($shape:ident) => {
        $shape! {
            /// Where to `POST` for a session. Default `/api/moments/session`. Read at
            /// each fetch.
            endpoint: [::leptos::prelude::MaybeProp<String>] = ::leptos::prelude::MaybeProp::default(),
                prop(into),
                set(|endpoint: impl Into<::leptos::prelude::MaybeProp<String>>| endpoint.into());
            /// Which embedding to open, by its allowlist name on your server. Default:
            /// the server's. Read at each fetch.
            embedding: [::leptos::prelude::MaybeProp<String>] = ::leptos::prelude::MaybeProp::default(),
                prop(into),
                set(|embedding: impl Into<::leptos::prelude::MaybeProp<String>>| embedding.into());
            /// Extra request headers, e.g. `vec![("X-CSRF-Token".into(), token)]`. Read at
            /// each fetch.
            headers: [Option<::leptos::prelude::Signal<Vec<(String, String)>>>] = None,
                prop(strip_option, into),
                set(|headers: impl Into<::leptos::prelude::Signal<Vec<(String, String)>>>| Some(headers.into()));
            /// Replaces the default `POST`: your own transport, or a Leptos server
            /// function ([`Fetcher::server_fn`](crate::Fetcher::server_fn)).
            fetcher: [Option<crate::Fetcher>] = None,
                prop(strip_option),
                set(|fetcher: crate::Fetcher| Some(fetcher));
            /// How tall the frame is: `Auto` (what the frame reports, clamped), `Fill` (the
            /// container decides) or `Fixed(px)`. Default `Auto { min: 640, max: ∞ }`, which
            /// is also what a silent frame gets (see [`Height`](crate::Height)). Reactive:
            /// a new value resizes the frame at once.
            height: [::leptos::prelude::Signal<crate::Height>] = ::leptos::prelude::Signal::stored(crate::Height::default()),
                prop(into),
                set(|height: impl Into<::leptos::prelude::Signal<crate::Height>>| height.into());
            /// Wait until the frame nears the viewport before fetching, and navigate it
            /// only once it is in view. Default `true`.
            lazy: [bool] = true,
                prop(),
                set(|lazy: bool| lazy);
            /// How far outside the viewport a lazy frame starts fetching (CSS margin).
            /// Default `"300px"`.
            prefetch_margin: [String] = "300px".to_owned(),
                prop(into),
                set(|margin: impl Into<String>| margin.into());
            /// The frame's accessible name (its `title`). Unset (or a signal of `None`):
            /// [`DEFAULT_FRAME_TITLE`](crate::DEFAULT_FRAME_TITLE), "Infobip Moments
            /// campaigns". Reactive: the frame on the page is renamed.
            title: [::leptos::prelude::MaybeProp<String>] = ::leptos::prelude::MaybeProp::default(),
                prop(into),
                set(|title: impl Into<::leptos::prelude::MaybeProp<String>>| title.into());
            /// The frame's `sandbox` attribute. Unset:
            /// [`DEFAULT_FRAME_SANDBOX`](crate::DEFAULT_FRAME_SANDBOX) (scripts,
            /// same-origin, forms, popups, downloads; never top navigation, so the frame
            /// cannot navigate your page away). Read for each new frame (a browser applies `sandbox` only when a
            /// frame navigates).
            sandbox: [::leptos::prelude::MaybeProp<String>] = ::leptos::prelude::MaybeProp::default(),
                prop(into),
                set(|sandbox: impl Into<::leptos::prelude::MaybeProp<String>>| sandbox.into());
            /// How the frame's messages are read. Default: this project's `moments:*`
            /// convention (what the sandbox speaks); see [`FrameAdapter`](crate::FrameAdapter)
            /// to map another.
            frame_adapter: [crate::FrameAdapter] = crate::FrameAdapter::default(),
                prop(),
                set(|adapter: crate::FrameAdapter| adapter);
            /// Attempts, backoff and margins of the lifecycle (its `lazy` is overridden by
            /// the `lazy` option).
            session_config: [crate::SessionConfig] = crate::SessionConfig::default(),
                prop(),
                set(|config: crate::SessionConfig| config);
            /// How long one request for a session may take. Default 15 s.
            fetch_timeout: [::std::time::Duration] = ::std::time::Duration::from_secs(15),
                prop(),
                set(|timeout: ::std::time::Duration| timeout);
            /// A handle to read the state and call `reload()` from the host.
            handle: [Option<crate::MomentsHandle>] = None,
                prop(strip_option),
                set(|handle: crate::MomentsHandle| Some(handle));
            /// Called for every state change, resize, frame event and error.
            on_event: [Option<::leptos::prelude::Callback<crate::MomentsEvent>>] = None,
                prop(strip_option, into),
                set(|on_event: impl Into<::leptos::prelude::Callback<crate::MomentsEvent>>| Some(on_event.into()));
        }
    };
}
pub(crate) use with_options;

/// Declares [`UseMomentsSessionOptions`], its `Default` and its builder methods.
macro_rules! declare_options {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: [$($ty:tt)+] = $default:expr,
            prop($($flag:ident),*),
            set(|$value:ident: $arg:ty| $convert:expr);
    )*) => {
        /// Options for [`use_moments_session_with_options`](crate::use_moments_session_with_options);
        /// the same settings are the props of [`MomentsEmbed`](crate::MomentsEmbed).
        ///
        /// ## Usage
        /// ```
        /// use moments_embed::{Height, UseMomentsSessionOptions};
        /// let options = UseMomentsSessionOptions::default()
        ///     .endpoint("/api/campaigns/session")
        ///     .height(Height::Fixed(720.0))
        ///     .lazy(false);
        /// # let _ = options;
        /// ```
        #[derive(Clone, Debug)]
        pub struct UseMomentsSessionOptions {
            $( $(#[doc = $doc])* pub(crate) $name: $($ty)+, )*
        }

        impl Default for UseMomentsSessionOptions {
            fn default() -> Self {
                Self { $( $name: $default, )* }
            }
        }

        impl UseMomentsSessionOptions {
            $(
                $(#[doc = $doc])*
                #[must_use]
                pub fn $name(mut self, $value: $arg) -> Self {
                    self.$name = $convert;
                    self
                }
            )*
        }
    };
}

with_options!(declare_options);
