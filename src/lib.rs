//! # moments-embed
//!
//! Embed Infobip **Embeddable Moments** (the Campaign wizard iFrame, where your users
//! activate use-case templates and manage them with their analytics) in a Leptos 0.8 app.
//!
//! ```text
//! <MomentsEmbed/> --POST /api/moments/session--> your backend (moments-par)
//!                                                --POST /embeddable/1/auth/par--> Infobip
//!                 <--{request_uri, expires_in, iframe_url}--
//! <iframe src="https://embeddings.infobip.com/authorize?request_uri=…">
//! ```
//!
//! The component asks *your* backend for a short-lived, single-use `request_uri` (an
//! OAuth Pushed Authorization Request, RFC 9126), mounts and sizes the frame, refreshes
//! the session when it expires, retries what may pass, and tells you what happens through
//! a typed [`SessionState`] and [`MomentsEvent`]s. Your Infobip API key stays on your
//! server: see the `moments-par` crate.
//!
//! ## Usage
//! ```
//! use leptos::prelude::*;
//! use moments_embed::MomentsEmbed;
//!
//! #[component]
//! fn Campaigns() -> impl IntoView {
//!     view! { <MomentsEmbed/> }
//! }
//! ```
//!
//! ## Layers
//! - [`session`]: the lifecycle as a pure state machine (native tests, property tests).
//! - [`parse`]: strict parsing of what comes in; [`MomentsError`], the typed errors.
//! - [`use_moments_session`]: the machine bound to the browser, with full cleanup.
//! - [`MomentsEmbed`]: the view.
//!
//! ## Features
//! `csr`, `hydrate` and `ssr` are forwarded to leptos; enable the one your app uses.
//! Under `ssr` the component renders a placeholder and does nothing else.

// The README's examples compile as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

mod browser;
#[cfg(moments_browser)]
mod driver;
mod error;
mod fetcher;
mod frame_adapter;
mod handle;
mod height;
pub mod json;
mod keep_alive;
mod moments_embed;
mod options;
pub mod parse;
pub mod session;
mod stylesheet;
mod text;
mod use_moments_session;

pub use browser::{LiveResources, live_resources};
pub use error::MomentsError;
pub use fetcher::{FetchFailure, FetchFuture, FetchRequest, Fetcher, SessionFnError};
pub use frame_adapter::FrameAdapter;
pub use handle::{MomentsEvent, MomentsHandle, MomentsSession};
pub use height::{DEFAULT_MIN_HEIGHT, Height};
pub use keep_alive::{DEFAULT_KEEP_FOR, KeepAlive, MAX_PARKED_FRAMES};
pub use moments_embed::{ErrorView, MomentsEmbed, MomentsEmbedProps};
pub use moments_protocol::ContentSecurityPolicy;
pub use moments_protocol::frame::AuthorizeFailure;
pub use moments_protocol::{
    ApiError, ErrorCode, Product, SessionFailure, SessionGrant, SessionRequest,
};
pub use options::{
    DEFAULT_FRAME_ALLOW, DEFAULT_FRAME_SANDBOX, DEFAULT_FRAME_TITLE, UseMomentsSessionOptions,
};
pub use parse::FrameSignal;
pub use session::{SessionConfig, SessionState};
pub use stylesheet::{STYLESHEET, STYLESHEET_CSP_SOURCE, content_security_policy};
pub use use_moments_session::{
    release_kept_frames, use_moments_session, use_moments_session_with_options,
};

/// The README says forgetting our `hydrate` (or `ssr`) feature is harmless. For `ssr`,
/// `tests/ssr.rs` renders with only `leptos/ssr` on. For `hydrate` it holds because the
/// feature only forwards to `leptos/hydrate`, which a hydrating app turns on itself
/// (leptos' `hydrate_body` needs it), and no code of ours depends on it: then an app
/// that forgets ours compiles exactly what one that remembers it does.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod features_only_forward {
    use std::path::Path;

    #[test]
    fn hydrate_forwards_to_leptos_and_no_code_depends_on_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
        assert!(
            manifest
                .lines()
                .any(|l| l == r#"hydrate = ["leptos/hydrate"]"#),
            "`hydrate` forwards to leptos' and nothing else"
        );
        let mut sources = vec![root.join("src")];
        let mut found = Vec::new();
        while let Some(path) = sources.pop() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    sources.push(path);
                } else if std::fs::read_to_string(&path)
                    .is_ok_and(|text| text.contains(concat!("feature = ", "\"hydrate\"")))
                {
                    found.push(path);
                }
            }
        }
        assert!(
            found.is_empty(),
            "code that depends on our `hydrate` makes forgetting it matter: {found:?}"
        );
    }
}
