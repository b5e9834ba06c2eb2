//! `<MomentsEmbed/>`: the view over [`use_moments_session`](crate::use_moments_session).
//! It only reads state. Its props are the session's options ([`crate::options`], declared
//! once for the hook and the component) plus the four that only a view has.

use crate::markup::{ErrorView, classes, status_text};
use crate::options::{UseMomentsSessionOptions, with_options};
use crate::session::SessionState;
use crate::sizing::Height;
use crate::use_moments_session::bind;
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;

/// Declares `<MomentsEmbed/>`: the view's own props, then every session option as a prop
/// (type, default and documentation from [`with_options!`]).
macro_rules! declare_component {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: [$($ty:tt)+] = $default:expr,
            prop($($flag:ident),*),
            set(|$value:ident: $arg:ty| $convert:expr);
    )*) => {
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
                #[prop(default = $default $(, $flag)*)]
                $name: $($ty)+,
            )*
        ) -> impl IntoView {
            render(
                UseMomentsSessionOptions { $( $name, )* },
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
/// placeholder and, with a custom `error_view`, the host's error view.
///
/// The markup is rendered once, as it is before anything has happened (what a server
/// render shows); in the browser, [`crate::markup`] keeps it in step with the state
/// from one effect, rather than a reactive closure per attribute and child (the
/// reason, in figures, is there).
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
    let status = NodeRef::<html::P>::new();
    let placeholder = NodeRef::<html::Div>::new();
    let height = options.height;
    let handle = bind(root, options);
    let state = handle.state;
    #[cfg(moments_browser)]
    crate::markup::follow(
        crate::markup::Markup {
            root,
            status,
            loading: placeholder,
        },
        crate::markup::Inputs {
            state,
            height,
            class,
            retry: Callback::new(move |()| handle.retry()),
            error_view,
        },
    );
    #[cfg(not(moments_browser))]
    let _ = (state, handle, error_view);

    let first = SessionState::Idle;
    let initial_class = classes(
        &first,
        height.with_untracked(Height::as_str),
        class.get_untracked().as_deref(),
    );
    let loading = match loading {
        Some(custom) => Either::Left(custom.run()),
        None => Either::Right(view! {
            <span class="moments-embed__spinner" aria-hidden="true"></span>
        }),
    };
    view! {
        <div node_ref=root class=initial_class data-state=first.as_str() aria-busy="true">
            {server_rendered_stylesheet()}
            <p node_ref=status class="moments-embed__status" role="status" aria-live="polite">
                {status_text(&first)}
            </p>
            // The frame itself is not here: the hook creates a fresh <iframe> per
            // request_uri inside this root (see `use_moments_session`).
            <div node_ref=placeholder class="moments-embed__loading">{loading}</div>
        </div>
    }
}

/// With server rendering, the stylesheet travels in the component's own HTML, so the
/// placeholder is styled and sized before the wasm arrives (allow it with
/// [`STYLESHEET_CSP_SOURCE`](crate::STYLESHEET_CSP_SOURCE) in `style-src`); hydration
/// finds the same element. A client-side render has none: the adopted sheet does the job
/// there, and a `<style>` a strict CSP blocks would only add a violation report.
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
