//! The component's markup follows the session: one effect writes the state into the
//! markup `<MomentsEmbed/>` rendered once (on the server, or on the first client render).
//!
//! Why not a reactive attribute or child per part, as a Leptos view would usually be
//! written: each reactive closure in a view is its own render effect with its own
//! generic build, rebuild and hydration code, and the view was the largest single part
//! of the component's weight (12.2 KB gzip of 51.4, `bench/size.sh`). The markup and
//! what it shows per state are unchanged; only who writes it changed. The root's class,
//! `data-state`, `aria-busy`, the live status, the loading placeholder (kept as one
//! element, detached while not loading) and the error view (the default one, built
//! here, or a host's `error_view`, mounted in a child of the component's owner) are all
//! written here, in one place, from one read of the state.
//!
//! Only the component does this: a host that uses the hook renders its own markup.

use crate::protocol::MomentsError;
use crate::session::SessionState;
use leptos::prelude::*;
use std::sync::Arc;

/// Renders a custom error view: the error, and a callback that retries.
#[derive(Clone)]
pub struct ErrorView(
    #[cfg_attr(not(moments_browser), allow(dead_code))]
    Arc<dyn Fn(MomentsError, Callback<()>) -> AnyView + Send + Sync>,
);

impl ErrorView {
    /// Wraps `render`.
    pub fn new<V: IntoView + 'static>(
        render: impl Fn(MomentsError, Callback<()>) -> V + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(move |error, retry| {
            render(error, retry).into_any()
        }))
    }
}

/// The root's classes: the block, the state and height modifiers, the host's own.
pub(crate) fn classes(state: &SessionState, height: &str, extra: Option<&str>) -> String {
    let mut classes = String::from("moments-embed moments-embed--");
    classes.push_str(state.as_str());
    classes.push_str(" moments-embed--height-");
    classes.push_str(height);
    if let Some(extra) = extra.filter(|c| !c.is_empty()) {
        classes.push(' ');
        classes.push_str(extra);
    }
    classes
}

/// What the live region says in `state`.
pub(crate) fn status_text(state: &SessionState) -> &'static str {
    match state {
        SessionState::Idle | SessionState::Fetching { .. } | SessionState::Mounting => {
            "Loading campaigns…"
        }
        SessionState::Refreshing { .. } => "Reconnecting…",
        SessionState::Ready => "Campaigns loaded.",
        SessionState::Error { .. } => "",
    }
}

#[cfg(moments_browser)]
pub(crate) use live::{Inputs, Markup, follow};

/// The effect, in the browser only.
#[cfg(moments_browser)]
mod live {
    use super::ErrorView;
    use super::{classes, status_text};
    use crate::browser::Listener;
    use crate::protocol::MomentsError;
    use crate::session::SessionState;
    use crate::sizing::Height;
    use leptos::html;
    use leptos::prelude::*;
    use leptos::tachys::view::any_view::AnyViewState;
    use leptos::tachys::view::{Mountable, Render};
    use send_wrapper::SendWrapper;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use web_sys::{Document, Element};

    /// The elements the effect writes to.
    #[derive(Clone, Copy)]
    pub(crate) struct Markup {
        pub(crate) root: NodeRef<html::Div>,
        pub(crate) status: NodeRef<html::P>,
        pub(crate) loading: NodeRef<html::Div>,
    }

    /// What the effect follows.
    pub(crate) struct Inputs {
        pub(crate) state: RwSignal<SessionState>,
        pub(crate) height: Signal<Height>,
        pub(crate) class: MaybeProp<String>,
        /// The Retry button's action.
        pub(crate) retry: Callback<()>,
        /// The host's error view; the default one if `None`.
        pub(crate) error_view: Option<ErrorView>,
    }

    /// Keeps `markup` in step with `inputs` until the owning component is cleaned up.
    pub(crate) fn follow(markup: Markup, inputs: Inputs) {
        let shown: Rc<RefCell<Option<ShownError>>> = Rc::default();
        // A host's error view is owned by the component, not by the effect (whose
        // owner is cleaned up each time it runs). Weak: the component's owner holds
        // this effect, and a strong reference back would keep both alive forever.
        let owner = Owner::current().map(|owner| owner.downgrade());
        let held = Rc::clone(&shown);
        Effect::new(move |previous: Option<SessionState>| {
            let now = inputs.state.get();
            let (Some(root), Some(status), Some(loading)) =
                (markup.root.get(), markup.status.get(), markup.loading.get())
            else {
                return now;
            };
            let extra = inputs.class.get();
            root.set_class_name(&classes(
                &now,
                inputs.height.with(Height::as_str),
                extra.as_deref(),
            ));
            if previous.as_ref() == Some(&now) {
                return now;
            }
            let _ = root.set_attribute("data-state", now.as_str());
            let _ =
                root.set_attribute("aria-busy", if now.is_loading() { "true" } else { "false" });
            status.set_text_content(Some(status_text(&now)));
            // The old error view (and its listener) goes; a new one is built per error.
            drop(held.borrow_mut().take());
            // The loading and error views go right after the status, as rendered.
            if now.is_loading() {
                if !loading.is_connected() {
                    let _ = root.insert_before(&loading, status.next_sibling().as_ref());
                }
            } else {
                loading.remove();
            }
            let mut error = match &now {
                SessionState::Error {
                    error, retry_in, ..
                } => show_error(&inputs, owner.as_ref(), error, *retry_in),
                _ => None,
            };
            if let Some(shown) = error.as_mut() {
                let place = status.next_sibling();
                match shown {
                    ShownError::Default(view) => {
                        let _ = root.insert_before(&view.element, place.as_ref());
                    }
                    ShownError::Host(host) => host.view.mount(&root, place.as_ref()),
                }
            }
            *held.borrow_mut() = error;
            now
        });
        let shown = SendWrapper::new(shown);
        on_cleanup(move || drop(shown.borrow_mut().take()));
    }

    /// Builds the error view for `error`: the host's, or the default one.
    fn show_error(
        inputs: &Inputs,
        owner: Option<&WeakOwner>,
        error: &MomentsError,
        retry_in: Option<Duration>,
    ) -> Option<ShownError> {
        let Some(ErrorView(render)) = &inputs.error_view else {
            return DefaultErrorView::build(error, retry_in, inputs.retry).map(ShownError::Default);
        };
        let owner = owner
            .and_then(WeakOwner::upgrade)
            .unwrap_or_default()
            .child();
        let view = owner.with(|| render(error.clone(), inputs.retry).build());
        Some(ShownError::Host(HostErrorView { owner, view }))
    }

    /// The error view on the page, removed on drop.
    enum ShownError {
        Default(DefaultErrorView),
        Host(HostErrorView),
    }

    /// A host's error view, mounted (not a reactive child: see the module's docs).
    struct HostErrorView {
        owner: Owner,
        view: AnyViewState,
    }

    impl Drop for HostErrorView {
        fn drop(&mut self) {
            self.view.unmount();
            self.owner.cleanup();
        }
    }

    /// The default error view: the message, when the next attempt is, and a Retry button.
    struct DefaultErrorView {
        element: Element,
        _retry: Listener,
    }

    impl DefaultErrorView {
        fn build(
            error: &MomentsError,
            retry_in: Option<Duration>,
            retry: Callback<()>,
        ) -> Option<Self> {
            let document = web_sys::window()?.document()?;
            let element = child(&document, "div", "moments-embed__error", None)?;
            let _ = element.set_attribute("role", "alert");
            let _ = element.set_attribute("data-error", error.kind());
            let message = child(
                &document,
                "p",
                "moments-embed__message",
                Some(&error.to_string()),
            )?;
            element.append_child(&message).ok()?;
            if let Some(wait) = retry_in {
                let next = retry_text(wait);
                let next = child(&document, "p", "moments-embed__next", Some(&next))?;
                element.append_child(&next).ok()?;
            }
            let button = child(&document, "button", "moments-embed__retry", Some("Retry"))?;
            let _ = button.set_attribute("type", "button");
            element.append_child(&button).ok()?;
            let listener = Listener::new(&button, "click", false, move |_| retry.run(()))?;
            Some(Self {
                element,
                _retry: listener,
            })
        }
    }

    impl Drop for DefaultErrorView {
        fn drop(&mut self) {
            self.element.remove();
        }
    }

    fn child(document: &Document, tag: &str, class: &str, text: Option<&str>) -> Option<Element> {
        let element = document.create_element(tag).ok()?;
        element.set_class_name(class);
        element.set_text_content(text);
        Some(element)
    }

    /// When the next automatic attempt is, in whole seconds rounded up.
    fn retry_text(wait: Duration) -> String {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        crate::text::with_decimal("Trying again in ", secs, " s.")
    }
}
