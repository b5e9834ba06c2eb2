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

/// The frame's accessible name unless told otherwise (for a Moments frame; an Answers
/// frame's is "Infobip Answers chatbot builder").
pub const DEFAULT_FRAME_TITLE: &str = "Infobip Moments campaigns";

/// The component's own words for one product's frame: what the live region announces
/// and the frame's default accessible name. The host names the product (the `product`
/// option); the server decides what really opens, so the two are said in both places.
pub(crate) struct Words {
    /// Announced while the session loads.
    pub(crate) loading: &'static str,
    /// Announced once the frame is ready.
    pub(crate) ready: &'static str,
    /// The frame's `title` unless the `title` option gives one.
    #[cfg_attr(
        not(moments_browser),
        expect(dead_code, reason = "only the browser's driver makes a frame")
    )]
    pub(crate) title: &'static str,
}

impl Words {
    pub(crate) const fn of(product: crate::Product) -> Self {
        match product {
            crate::Product::Moments => Self {
                loading: "Loading campaigns…",
                ready: "Campaigns loaded.",
                title: DEFAULT_FRAME_TITLE,
            },
            crate::Product::Answers => Self {
                loading: "Loading the chatbot builder…",
                ready: "Chatbot builder loaded.",
                title: "Infobip Answers chatbot builder",
            },
        }
    }
}

/// The frame's `sandbox` unless told otherwise: what an app like the Campaign wizard
/// needs, and never top navigation, so the frame cannot navigate the host page away.
///
/// `allow-storage-access-by-user-activation` lets a frame whose cookies the browser
/// withholds (it is a third party on your page) ask for them the standard way, with
/// `document.requestStorageAccess()` on a click; without it the browser refuses.
pub const DEFAULT_FRAME_SANDBOX: &str = "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads allow-storage-access-by-user-activation";

/// The frame's `allow` (its Permissions Policy) unless told otherwise: the Storage
/// Access API, stated rather than left to the browser's default allowlist.
pub const DEFAULT_FRAME_ALLOW: &str = "storage-access";

/// Hands the list of options to `$shape!`, which declares them in its shape: the fields,
/// `Default` and builder of [`UseMomentsSessionOptions`] (`declare_options!` below), and
/// the props of `<MomentsEmbed/>` (`declare_component!` in `moments_embed.rs`).
///
/// Two kinds of entry, each stating its type once:
/// - under `defaulted`, `name: Type = default,`: the prop is `#[prop(into, default = …)]`,
///   the builder method takes `impl Into<Type>`;
/// - under `optional`, `name: Type,`: the field is `Option<Type>`, unset by default; the
///   prop is `#[prop(optional, into)]`, the builder method takes `impl Into<Type>`.
///
/// To add an option, copy an entry of the kind it is, with its `///` docs (they become
/// the field's, the builder method's and the prop's), and read it where the driver needs
/// it (`self.options.name`).
macro_rules! with_options {
    ($shape:ident) => {
        $shape! {
            defaulted {
                /// Where to `POST` for a session. Default `/api/moments/session`. Read at
                /// each fetch.
                endpoint: ::leptos::prelude::MaybeProp<String> = ::leptos::prelude::MaybeProp::default(),
                /// Which embedding to open, by its allowlist name on your server. Default:
                /// the server's. Read at each fetch.
                embedding: ::leptos::prelude::MaybeProp<String> = ::leptos::prelude::MaybeProp::default(),
                /// How tall the frame is: `Auto` (what the frame reports, clamped), `Fill` (the
                /// container decides) or `Fixed(px)`. Default `Auto { min: 640, max: ∞ }`, which
                /// is also what a silent frame gets (see [`Height`](crate::Height)). Reactive:
                /// a new value resizes the frame at once.
                height: ::leptos::prelude::Signal<crate::Height> = ::leptos::prelude::Signal::stored(crate::Height::default()),
                /// Wait until the frame nears the viewport before fetching, and navigate it
                /// only once it is in view. Default `true`.
                lazy: bool = true,
                /// How far outside the viewport a lazy frame starts fetching (CSS margin).
                /// Default `"300px"`.
                prefetch_margin: String = "300px".to_owned(),
                /// Which of Infobip's products the frame opens, for the component's own
                /// words: what it announces while loading and when ready ("Loading
                /// campaigns…", or "Loading the chatbot builder…" for
                /// [`Product::Answers`](crate::Product::Answers)) and the frame's default
                /// title. Your server decides what really opens (the `embedding`'s product);
                /// say the same here. Default `Product::Moments`.
                product: crate::Product = crate::Product::Moments,
                /// The frame's accessible name (its `title`). Unset (or a signal of `None`):
                /// the product's, [`DEFAULT_FRAME_TITLE`](crate::DEFAULT_FRAME_TITLE)
                /// ("Infobip Moments campaigns") for Moments, "Infobip Answers chatbot
                /// builder" for Answers. Reactive: the frame on the page is renamed.
                title: ::leptos::prelude::MaybeProp<String> = ::leptos::prelude::MaybeProp::default(),
                /// The frame's `sandbox` attribute. Unset:
                /// [`DEFAULT_FRAME_SANDBOX`](crate::DEFAULT_FRAME_SANDBOX) (scripts,
                /// same-origin, forms, popups, downloads, storage access on a click; never
                /// top navigation, so the frame cannot navigate your page away). Read for
                /// each new frame (a browser applies `sandbox` only when a frame navigates).
                sandbox: ::leptos::prelude::MaybeProp<String> = ::leptos::prelude::MaybeProp::default(),
                /// The frame's `allow` attribute (Permissions Policy). Unset:
                /// [`DEFAULT_FRAME_ALLOW`](crate::DEFAULT_FRAME_ALLOW), `storage-access`.
                /// Read for each new frame.
                allow: ::leptos::prelude::MaybeProp<String> = ::leptos::prelude::MaybeProp::default(),
                /// How the frame's messages are read. Default: this project's `moments:*`
                /// convention (what the sandbox speaks); see [`FrameAdapter`](crate::FrameAdapter)
                /// to map another.
                frame_adapter: crate::FrameAdapter = crate::FrameAdapter::default(),
                /// Attempts, backoff and margins of the lifecycle (its `lazy` is overridden by
                /// the `lazy` option).
                session_config: crate::SessionConfig = crate::SessionConfig::default(),
                /// How long one request for a session may take. Default 15 s.
                fetch_timeout: ::std::time::Duration = ::std::time::Duration::from_secs(15),
            }
            optional {
                /// Extra request headers, e.g. `vec![("X-CSRF-Token".into(), token)]`. Read at
                /// each fetch.
                headers: ::leptos::prelude::Signal<Vec<(String, String)>>,
                /// Replaces the default `POST`: your own transport, or a Leptos server
                /// function ([`Fetcher::server_fn`](crate::Fetcher::server_fn)).
                fetcher: crate::Fetcher,
                /// A handle to read the state and call `reload()` from the host.
                handle: crate::MomentsHandle,
                /// Called for every state change, resize, frame event and error.
                on_event: ::leptos::prelude::Callback<crate::MomentsEvent>,
                /// Keep the frame when the component unmounts, for the next one with the
                /// same key (`keep_alive="campaigns"`), so the person's place survives the
                /// host's navigation: see [`KeepAlive`](crate::KeepAlive). Unset: the frame
                /// goes with the component.
                keep_alive: crate::KeepAlive,
            }
        }
    };
}
pub(crate) use with_options;

/// Declares [`UseMomentsSessionOptions`], its `Default` and its builder methods.
macro_rules! declare_options {
    (
        defaulted { $( $(#[doc = $doc:literal])* $name:ident: $ty:ty = $default:expr, )* }
        optional { $( $(#[doc = $odoc:literal])* $oname:ident: $oty:ty, )* }
    ) => {
        /// Options for [`use_moments_session_with_options`](crate::use_moments_session_with_options);
        /// the same settings are the props of [`MomentsEmbed`](crate::MomentsEmbed).
        ///
        /// Build it inside a component (its reactive options are Leptos signals, which
        /// belong to a reactive owner).
        ///
        /// ## Usage
        /// ```
        /// use leptos::{html, prelude::*};
        /// use moments_embed::{Height, UseMomentsSessionOptions, use_moments_session_with_options};
        ///
        /// #[component]
        /// fn Campaigns() -> impl IntoView {
        ///     let root = NodeRef::<html::Div>::new();
        ///     let options = UseMomentsSessionOptions::default()
        ///         .endpoint("/api/campaigns/session")
        ///         .height(Height::Fixed(720.0))
        ///         .lazy(false);
        ///     let _session = use_moments_session_with_options(root, options);
        ///     view! { <div node_ref=root></div> }
        /// }
        /// ```
        #[derive(Clone, Debug)]
        pub struct UseMomentsSessionOptions {
            $( $(#[doc = $doc])* pub(crate) $name: $ty, )*
            $( $(#[doc = $odoc])* pub(crate) $oname: Option<$oty>, )*
        }

        impl Default for UseMomentsSessionOptions {
            fn default() -> Self {
                Self {
                    $( $name: $default, )*
                    $( $oname: None, )*
                }
            }
        }

        impl UseMomentsSessionOptions {
            $(
                $(#[doc = $doc])*
                #[must_use]
                pub fn $name(mut self, $name: impl Into<$ty>) -> Self {
                    self.$name = $name.into();
                    self
                }
            )*
            $(
                $(#[doc = $odoc])*
                #[must_use]
                pub fn $oname(mut self, $oname: impl Into<$oty>) -> Self {
                    self.$oname = Some($oname.into());
                    self
                }
            )*
        }
    };
}

with_options!(declare_options);
