//! Where the root is: two `IntersectionObserver`s (near the viewport: fetch ahead; in
//! it: navigate), and a first reading taken at once, before their first report.

use super::{Driver, run};
use crate::browser::Observer;
use crate::session::Input;

impl Driver {
    pub(super) fn observe(&mut self) {
        let margin = self.options.prefetch_margin.clone();
        for (root_margin, is_shown) in [(margin.as_str(), false), ("0px", true)] {
            let me = self.me.clone();
            let observer = Observer::new(&self.root, root_margin, move |intersecting| {
                // Each observer knows one half; the machine keeps the whole.
                run(&me, move |d| {
                    let (near, shown) = d.session.visibility();
                    let (near, shown) = if is_shown {
                        (near, intersecting)
                    } else {
                        (intersecting, shown)
                    };
                    d.step(Input::Visibility {
                        near: near || shown,
                        shown,
                    })
                });
            });
            self.observers.extend(observer);
        }
    }

    pub(super) fn visibility_now(&self) -> (bool, bool) {
        let Some(window) = web_sys::window() else {
            return (false, false);
        };
        let size =
            |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        let (width, height) = (size(window.inner_width()), size(window.inner_height()));
        let rect = self.root.get_bounding_client_rect();
        let within = |margin: f64| {
            rect.bottom() > -margin
                && rect.top() < height + margin
                && rect.right() > -margin
                && rect.left() < width + margin
        };
        let margin = self
            .options
            .prefetch_margin
            .trim()
            .strip_suffix("px")
            .map(str::trim)
            .filter(|px| !px.is_empty())
            // JS's `Number(text)`, not `str::parse::<f64>`: Rust's float parser adds
            // 15 KB gzip to the bundle (measured by bench/size.sh) for this one number.
            .map(|px| {
                px.parse::<js_sys::Number>()
                    .map_or(f64::NAN, |n| n.value_of())
            })
            .filter(|px| px.is_finite());
        let shown = within(0.0);
        (shown || margin.is_some_and(within), shown)
    }
}
