//! The component's stylesheet, and how it reaches the page without weakening its CSP.
//!
//! By default the sheet is *adopted*: a constructed `CSSStyleSheet` added to
//! `document.adoptedStyleSheets`. It is CSSOM, made by a script the page already trusts,
//! so no `style-src` directive applies to it: the component looks right on a page whose
//! policy is `style-src 'self'` (what `moments-par --static-dir` sends) or stricter, with
//! no nonce, no hash and no `'unsafe-inline'`. Browsers without constructed stylesheets
//! (Safari before 16.4) get a `<style data-moments-embed>` element instead, which a
//! strict `style-src` blocks: there, link `style/moments-embed.css` yourself and set
//! `inject_css=false`.
//!
//! Adopted sheets come after the page's own in the cascade, so the theme's custom
//! properties are declared with no specificity at all (`:where(:root)`): a host sets them
//! on any element, in any order, and wins.

use moments_protocol::ContentSecurityPolicy;

/// The stylesheet (`style/moments-embed.css`, minified at build time). Adopted once per
/// document unless `inject_css=false`; serve it yourself in that case.
pub const STYLESHEET: &str = include_str!(concat!(env!("OUT_DIR"), "/moments-embed.min.css"));

/// [`STYLESHEET`]'s SHA-256 as a Content-Security-Policy source, `'sha256-…'`, quotes
/// included. With server rendering (`ssr`/`hydrate`) the component's HTML carries the
/// stylesheet in a `<style data-moments-embed>` element, so the placeholder is styled
/// before the wasm arrives; put this in your policy's `style-src` to allow exactly that
/// element (never `'unsafe-inline'`). Under a policy without it the element is inert and
/// the page is styled once hydrated, by the adopted sheet, which needs no allowance.
pub const STYLESHEET_CSP_SOURCE: &str =
    include_str!(concat!(env!("OUT_DIR"), "/moments-embed.min.css.csp"));

/// The Content-Security-Policy for a page with `<MomentsEmbed/>` whose frame lives at
/// `frame_origin`: strict (`'self'` only, no `'unsafe-inline'`), with the frame's origin
/// in `frame-src` and the component's server-rendered stylesheet allowed by its hash
/// ([`STYLESHEET_CSP_SOURCE`]). Add leptos' nonce with
/// [`script_nonce`](ContentSecurityPolicy::script_nonce), and more sources with the
/// other builder methods; its `to_string()` is the header's value.
///
/// ## Usage
/// ```
/// let policy = moments_embed::content_security_policy("https://embeddings.infobip.com")
///     .script_nonce(None)
///     .to_string();
/// assert!(policy.contains(moments_embed::STYLESHEET_CSP_SOURCE));
/// ```
pub fn content_security_policy(frame_origin: impl Into<String>) -> ContentSecurityPolicy {
    ContentSecurityPolicy::new(frame_origin).style_source(STYLESHEET_CSP_SOURCE)
}

/// Puts [`STYLESHEET`] into the current document, once. Does nothing outside a browser
/// (server rendering, native tests), whatever the enabled features.
pub(crate) fn adopt() {
    #[cfg(moments_browser)]
    browser::adopt();
}

#[cfg(moments_browser)]
mod browser {
    use super::STYLESHEET;
    use std::cell::RefCell;
    use wasm_bindgen::JsValue;
    use web_sys::{CssStyleSheet, Document};

    thread_local! {
        /// The one constructed sheet of this wasm instance (a constructed sheet belongs
        /// to the document it was made in, which is this page's).
        static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
    }

    pub(super) fn adopt() {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if !adopt_constructed(&document) {
            append_style_element(&document);
        }
    }

    /// Adds the constructed sheet to `adoptedStyleSheets` unless it is there already.
    /// `false` when this browser has no constructed stylesheets.
    fn adopt_constructed(document: &Document) -> bool {
        let supported = js_sys::Reflect::get(document, &JsValue::from_str("adoptedStyleSheets"))
            .is_ok_and(|list| js_sys::Array::is_array(&list));
        if !supported {
            return false;
        }
        let sheet = SHEET.with(|slot| {
            if let Some(sheet) = slot.borrow().as_ref() {
                return Some(sheet.clone());
            }
            let sheet = CssStyleSheet::new().ok()?;
            sheet.replace_sync(STYLESHEET).ok()?;
            *slot.borrow_mut() = Some(sheet.clone());
            Some(sheet)
        });
        let Some(sheet) = sheet else { return false };
        let adopted = document.adopted_style_sheets();
        if !adopted.includes(&sheet, 0) {
            // A new array rather than `push`: older engines expose a frozen array.
            let next = adopted.slice(0, adopted.length());
            next.push(&sheet);
            document.set_adopted_style_sheets(&next);
        }
        true
    }

    fn append_style_element(document: &Document) {
        if document
            .query_selector("style[data-moments-embed]")
            .ok()
            .flatten()
            .is_some()
        {
            return;
        }
        let (Some(head), Ok(style)) = (document.head(), document.create_element("style")) else {
            return;
        };
        let _ = style.set_attribute("data-moments-embed", "");
        style.set_text_content(Some(STYLESHEET));
        let _ = head.append_child(&style);
    }
}
