//! Where the root is: two `IntersectionObserver`s (near the viewport: fetch ahead; in
//! it: navigate), and a first reading taken at once, before their first report.

use crate::browser::Observer;
use crate::options::UseMomentsSessionOptions;
use std::rc::Rc;
use web_sys::HtmlElement;

/// What one of the observers saw: whether the root is now within its margin.
#[derive(Clone, Copy, Debug)]
pub(super) struct Crossing {
    /// From the observer of the viewport itself (else: of the viewport grown by the
    /// prefetch margin).
    pub(super) of_viewport: bool,
    pub(super) intersecting: bool,
}

/// Observers that tell `notify` when `root` comes within `margin` of the viewport, and
/// into it. Each knows one half; the session machine keeps the whole.
pub(super) fn observe(
    root: &HtmlElement,
    margin: &str,
    notify: &Rc<dyn Fn(Crossing)>,
) -> Vec<Observer> {
    let mut observers = Vec::new();
    for (root_margin, of_viewport) in [(margin, false), ("0px", true)] {
        let notify = Rc::clone(notify);
        let observer = Observer::new(root, root_margin, move |intersecting| {
            notify(Crossing {
                of_viewport,
                intersecting,
            });
        });
        observers.extend(observer);
    }
    observers
}

/// `(near, shown)` for `root` now: within the prefetch margin of the viewport, and in it.
pub(super) fn visibility_now(
    root: &HtmlElement,
    options: &UseMomentsSessionOptions,
) -> (bool, bool) {
    let Some(window) = web_sys::window() else {
        return (false, false);
    };
    let size = |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let (width, height) = (size(window.inner_width()), size(window.inner_height()));
    let rect = root.get_bounding_client_rect();
    let within = |margin: f64| {
        rect.bottom() > -margin
            && rect.top() < height + margin
            && rect.right() > -margin
            && rect.left() < width + margin
    };
    let margin = options
        .prefetch_margin
        .trim()
        .strip_suffix("px")
        .map(str::trim)
        .filter(|px| !px.is_empty())
        // JS's `Number(text)`, not `str::parse::<f64>`: Rust's float parser is a large
        // part of a bundle that has no other use for it (bench/README.md).
        .map(|px| {
            px.parse::<js_sys::Number>()
                .map_or(f64::NAN, |n| n.value_of())
        })
        .filter(|px| px.is_finite());
    let shown = within(0.0);
    (shown || margin.is_some_and(within), shown)
}
