//! `<MomentsEmbed/>`: the view over [`use_moments_session`](crate::use_moments_session),
//! and [`ErrorView`], a host's own error view. It only reads state. Its props are the session's options ([`crate::options`], declared
//! once for the hook and the component) plus the four that only a view has.

use crate::error::MomentsError;
use crate::height::Height;
use crate::options::{UseMomentsSessionOptions, Words, with_options};
use crate::session::SessionState;
use crate::use_moments_session::bind;
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// Declares `<MomentsEmbed/>`: the view's own props, then every session option as a prop
/// (type, default and documentation from [`with_options!`]).
macro_rules! declare_component {
    (
        defaulted { $( $(#[doc = $doc:literal])* $name:ident: $ty:ty = $default:expr, )* }
        optional { $( $(#[doc = $odoc:literal])* $oname:ident: $oty:ty, )* }
    ) => {
        /// Embeds Infobip Embeddable Moments (the Campaign wizard) for the signed-in user.
        ///
        /// It asks your backend (`endpoint`, served by `moments-par` or your own handler)
        /// for a single-use `request_uri`, shows the frame, sizes it, refreshes the session
        /// when it expires, and shows errors with a Retry button.
        ///
        /// ## Usage
        /// ```
        /// use leptos::prelude::*;
        /// use moments_embed::{Height, MomentsEmbed, MomentsEvent};
        ///
        /// #[component]
        /// fn Campaigns() -> impl IntoView {
        ///     view! {
        ///         <MomentsEmbed
        ///             endpoint="/api/moments/session"
        ///             height=Height::Auto { min: 600.0, max: 2000.0 }
        ///             on_event=move |event: MomentsEvent| leptos::logging::log!("{event:?}")
        ///         />
        ///     }
        /// }
        /// ```
        ///
        /// ## Markup
        /// The root `div` has class `moments-embed`, a modifier per state
        /// (`moments-embed--ready`), `data-state="<state>"` and `aria-busy` while loading.
        /// The frame is `iframe.moments-embed__frame`, the Retry button
        /// `.moments-embed__retry`. Theme it with the CSS custom properties in
        /// `style/moments-embed.css`.
        ///
        /// ## Server-Side Rendering
        /// On the server it renders the root, its styled and sized loading placeholder and
        /// nothing else; everything else happens in the browser after hydration.
        #[component]
        pub fn MomentsEmbed(
            /// Extra classes on the root element.
            #[prop(optional, into)]
            class: MaybeProp<String>,
            /// Replaces the default loading indicator.
            #[prop(optional, into)]
            loading: Option<ViewFn>,
            /// Replaces the default error view.
            #[prop(optional)]
            error_view: Option<ErrorView>,
            /// Add the bundled stylesheet to the document once, as a constructed
            /// stylesheet (CSSOM, which no `style-src` policy blocks). Set `false` when you
            /// link `style/moments-embed.css` yourself.
            #[prop(default = true)]
            inject_css: bool,
            $(
                $(#[doc = $doc])*
                #[prop(into, default = $default)]
                $name: $ty,
            )*
            $(
                $(#[doc = $odoc])*
                #[prop(optional, into)]
                $oname: Option<$oty>,
            )*
        ) -> impl IntoView {
            render(
                UseMomentsSessionOptions { $( $name, )* $( $oname, )* },
                class,
                loading,
                error_view,
                inject_css,
            )
        }
    };
}

with_options!(declare_component);

/// The view: the root (where the hook puts the frame), the live status, the loading
/// placeholder while loading and the error view in an error. The frame is not in it: the
/// hook appends a fresh `<iframe>` per `request_uri` to the root, after these children.
fn render(
    options: UseMomentsSessionOptions,
    class: MaybeProp<String>,
    loading: Option<ViewFn>,
    error_view: Option<ErrorView>,
    inject_css: bool,
) -> impl IntoView {
    if inject_css {
        crate::stylesheet::adopt();
    }
    let root = NodeRef::<html::Div>::new();
    let (height, words) = (options.height, Words::of(options.product));
    let handle = bind(root, options);
    let state = handle.state;
    let retry = Callback::new(move |()| handle.retry());
    let is_loading = Memo::new(move |_| state.with(SessionState::is_loading));
    let loading = move || match &loading {
        Some(custom) => custom.run(),
        None => {
            view! { <span class="moments-embed__spinner" aria-hidden="true"></span> }.into_any()
        }
    };
    let error = move || match state.get() {
        SessionState::Error {
            error, retry_in, ..
        } => Some(match &error_view {
            Some(custom) => Either::Left(custom.run(error, retry)),
            None => Either::Right(default_error_view(&error, retry_in, retry)),
        }),
        _ => None,
    };

    view! {
        <div
            node_ref=root
            class=move || {
                classes(
                    state.with(SessionState::as_str),
                    height.with(Height::as_str),
                    class.get().as_deref(),
                )
            }
            data-state=move || state.with(SessionState::as_str)
            aria-busy=move || if is_loading.get() { "true" } else { "false" }
        >
            {inject_css.then(server_rendered_stylesheet)}
            <p class="moments-embed__status" role="status" aria-live="polite">
                {move || state.with(|state| status_text(state, &words))}
            </p>
            {move || {
                is_loading.get().then(|| view! { <div class="moments-embed__loading">{loading()}</div> })
            }}
            {error}
        </div>
    }
}

/// Renders a custom error view: the error, and a callback that retries.
#[derive(Clone)]
pub struct ErrorView(Arc<dyn Fn(MomentsError, Callback<()>) -> AnyView + Send + Sync>);

impl ErrorView {
    /// Wraps `render`.
    pub fn new<V: IntoView + 'static>(
        render: impl Fn(MomentsError, Callback<()>) -> V + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(move |error, retry| {
            render(error, retry).into_any()
        }))
    }

    fn run(&self, error: MomentsError, retry: Callback<()>) -> AnyView {
        (self.0)(error, retry)
    }
}

/// The default error view: the message, when the next attempt is, and a Retry button.
fn default_error_view(
    error: &MomentsError,
    retry_in: Option<Duration>,
    retry: Callback<()>,
) -> impl IntoView + use<> {
    let (kind, message) = (error.kind(), error.to_string());
    view! {
        <div class="moments-embed__error" role="alert" data-error=kind>
            <p class="moments-embed__message">{message}</p>
            {retry_in.map(|wait| view! { <p class="moments-embed__next">{retry_text(wait)}</p> })}
            <button type="button" class="moments-embed__retry" on:click=move |_| retry.run(())>
                "Retry"
            </button>
        </div>
    }
}

/// The root's classes: the block, the state and height modifiers, the host's own.
fn classes(state: &str, height: &str, extra: Option<&str>) -> String {
    let mut classes =
        format!("moments-embed moments-embed--{state} moments-embed--height-{height}");
    if let Some(extra) = extra.filter(|c| !c.is_empty()) {
        classes.push(' ');
        classes.push_str(extra);
    }
    classes
}

/// What the live region says in `state`, in the product's `words`.
fn status_text(state: &SessionState, words: &Words) -> &'static str {
    match state {
        SessionState::Idle | SessionState::Fetching { .. } | SessionState::Mounting => {
            words.loading
        }
        SessionState::Refreshing { .. } => "Reconnecting…",
        SessionState::Ready => words.ready,
        SessionState::Error { .. } => "",
    }
}

/// When the next automatic attempt is, in whole seconds rounded up.
fn retry_text(wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    crate::text::with_decimal("Trying again in ", secs, " s.")
}

/// With server rendering, the stylesheet travels in the component's own HTML, so the
/// placeholder is styled and sized before the wasm arrives (allow it with
/// [`STYLESHEET_CSP_SOURCE`](crate::STYLESHEET_CSP_SOURCE) in `style-src`); hydration
/// finds the same element, and the session removes it once it starts in the browser
/// (the adopted sheet has taken over by then), so the page holds the stylesheet once. A client-side render has none: the adopted sheet does
/// the job there, and a `<style>` a strict CSP blocks would only add a violation report.
///
/// Decided at run time, from leptos' shared context, not from this crate's features, so
/// an app that turned on `leptos/ssr` or `leptos/hydrate` but forgot ours still renders
/// the same markup on both sides.
fn server_rendered_stylesheet() -> Option<impl IntoView> {
    let rendering_html = match Owner::current_shared_context() {
        Some(context) => !context.is_browser() || context.during_hydration(),
        // No shared context: a native render (a test, a server without one) or a plain
        // client-side mount.
        None => cfg!(not(target_arch = "wasm32")),
    };
    rendering_html
        .then(|| view! { <style data-moments-embed="" inner_html=crate::STYLESHEET></style> })
}
