//! How tall things are: the frame's height (the reported one, coalesced to one write per
//! animation frame, within the `height` option), and the placeholder's, which always
//! takes the frame's room so nothing jumps when one replaces the other.

use super::{Driver, run};
use crate::browser::AnimationFrame;
use crate::handle::MomentsEvent;
use crate::sizing::Height;
use leptos::prelude::{GetUntracked, Set};
use web_sys::HtmlElement;

impl Driver {
    pub(super) fn schedule_height(&mut self, height: f64) {
        self.pending_height = Some(height);
        if self.animation_frame.is_none() {
            let me = self.me.clone();
            self.animation_frame = AnimationFrame::new(move || {
                run(&me, |d| {
                    d.animation_frame = None;
                    d.flush_height()
                });
            });
        }
    }

    fn flush_height(&mut self) -> Vec<MomentsEvent> {
        let Some(height) = self.pending_height.take() else {
            return Vec::new();
        };
        if self.handle.height.get_untracked() == Some(height) {
            return Vec::new();
        }
        self.handle.height.try_set(Some(height));
        self.apply_height();
        vec![MomentsEvent::Resized { height }]
    }

    /// The `height` option changed: follow it at once.
    pub(super) fn set_height_mode(&mut self, mode: Height) -> Vec<MomentsEvent> {
        self.height = mode;
        self.apply_height();
        Vec::new()
    }

    /// The frame's CSS height now: the mode, given the last reported height.
    pub(super) fn frame_height_css(&self) -> String {
        self.height.css(self.handle.height.get_untracked())
    }

    /// Writes the frame's height and the placeholder's (they are the same).
    fn apply_height(&self) {
        let css = self.frame_height_css();
        if let Some(frame) = &self.frame {
            let _ = HtmlElement::style(frame).set_property("height", &css);
        }
        let _ = HtmlElement::style(&self.root).set_property("--moments-embed-min-height", &css);
    }

    /// Sets the root's `--moments-embed-min-height` to the frame's height now, so what
    /// stands in for the frame (loading, an error, a reconnect) takes exactly its room.
    /// The stylesheet's default is the default `Height`'s, so a server render is sized
    /// the same before this runs.
    pub(super) fn size_placeholder(&self) {
        let _ = HtmlElement::style(&self.root)
            .set_property("--moments-embed-min-height", &self.frame_height_css());
    }
}
