//! Focus order for a kept frame ([`crate::KeepAlive`]), which lives at the end of
//! `<body>` while its slot is in the page: the slot takes the frame's place in the tab
//! order, and two guards around the frame lead focus back into the page where the slot
//! is, so Tab goes *page → frame → page* in the page's order, not through the frame last.
//!
//! - Tab reaches the slot: focus goes into the frame.
//! - Tab leaves the frame's last control: the guard after it sends focus to the first
//!   focusable element after the slot; Shift+Tab out of its first, the guard before it
//!   to the last one before the slot.
//!
//! The slot also `aria-owns` the frame, so assistive technology reads it in place.

use crate::browser::Listener;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlIFrameElement, Node};

/// What a person can Tab to, before filtering out the disabled, inert and unrendered.
const FOCUSABLE: &str = "a[href], area[href], button, input, select, textarea, iframe, summary, \
     [tabindex], [contenteditable='true'], [contenteditable='']";

/// The guards and listeners of one shown kept frame; dropping it removes them.
pub(super) struct FocusBridge {
    guards: [HtmlElement; 2],
    _listeners: Vec<Listener>,
}

impl FocusBridge {
    /// Bridges `slot` (in the page) and `frame` (in the stage).
    pub(super) fn new(slot: &HtmlElement, frame: &HtmlIFrameElement) -> Option<Self> {
        let document = slot.owner_document()?;
        let guard = || -> Option<HtmlElement> {
            let guard: HtmlElement = document.create_element("span").ok()?.dyn_into().ok()?;
            let _ = guard.set_attribute("class", "moments-embed__guard");
            guard.set_tab_index(0);
            Some(guard)
        };
        let (before, after) = (guard()?, guard()?);
        frame.before_with_node_1(&before).ok()?;
        frame.after_with_node_1(&after).ok()?;
        slot.set_tab_index(0);
        let _ = slot.set_attribute("aria-owns", &frame.id());
        let listeners = [
            (slot, Target::Frame),
            (&before, Target::Before),
            (&after, Target::After),
        ]
        .into_iter()
        .filter_map(|(element, target)| {
            let (slot, frame) = (slot.clone(), frame.clone());
            Listener::new(element, "focus", false, move |_| match target {
                Target::Frame => {
                    let _ = frame.focus();
                }
                Target::Before | Target::After => {
                    if let Some(next) = beside(&slot, target == Target::After) {
                        let _ = next.focus();
                    }
                }
            })
        })
        .collect();
        Some(Self {
            guards: [before, after],
            _listeners: listeners,
        })
    }
}

impl Drop for FocusBridge {
    fn drop(&mut self) {
        for guard in &self.guards {
            guard.remove();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Frame,
    Before,
    After,
}

/// The first focusable element after `slot` (`forward`), or the last one before it, in
/// document order, leaving out the stage (other kept frames are reached by their slots).
fn beside(slot: &HtmlElement, forward: bool) -> Option<HtmlElement> {
    let all = slot.owner_document()?.query_selector_all(FOCUSABLE).ok()?;
    let mut candidates = (0..all.length())
        .filter_map(|i| all.get(i))
        .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
        .filter(|element| is_tabbable(element) && !slot.contains(Some(element)));
    let side = if forward {
        Node::DOCUMENT_POSITION_FOLLOWING
    } else {
        Node::DOCUMENT_POSITION_PRECEDING
    };
    let on_side = |element: &HtmlElement| slot.compare_document_position(element) & side != 0;
    if forward {
        candidates.find(on_side)
    } else {
        candidates.rev().find(on_side)
    }
}

fn is_tabbable(element: &HtmlElement) -> bool {
    let element_ref: &Element = element;
    element.tab_index() >= 0
        && !element_ref.matches(":disabled").unwrap_or(true)
        && element_ref
            .closest("[inert], [data-moments-stage]")
            .ok()
            .flatten()
            .is_none()
        && (element.offset_width() > 0 || element.offset_height() > 0)
}
