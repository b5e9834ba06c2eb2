//! How tall the frame is: the `height` option (reactive), the height the frame reports
//! (written at most once per animation frame), and the placeholder, which always takes
//! the frame's room so nothing jumps when one replaces the other.

use super::frame::Frame;
use crate::browser::AnimationFrame;
use crate::handle::MomentsEvent;
use crate::height::Height;
use leptos::prelude::*;

pub(super) struct Sizing {
    /// The `height` option as it is now.
    mode: Height,
    /// The last height the frame reported, as the handle publishes it.
    reported: RwSignal<Option<f64>>,
    /// A report waiting for the next animation frame.
    pending: Option<f64>,
    animation_frame: Option<AnimationFrame>,
}

impl Sizing {
    pub(super) fn new(mode: Height, reported: RwSignal<Option<f64>>) -> Self {
        Self {
            mode,
            reported,
            pending: None,
            animation_frame: None,
        }
    }

    /// The frame's CSS height now: the mode, given the last reported height.
    pub(super) fn css(&self) -> String {
        self.mode.css(self.reported.get_untracked())
    }

    /// Writes the height to the frame and the placeholder. The stylesheet's default is
    /// the default `Height`'s, so a server render is sized the same before this runs.
    pub(super) fn apply(&self, frame: &Frame) {
        let reported = self.reported.get_untracked();
        frame.set_height(&self.css(), self.mode.holds_content(reported));
    }

    /// The `height` option changed: follow it at once.
    pub(super) fn set_mode(&mut self, mode: Height, frame: &Frame) {
        self.mode = mode;
        self.apply(frame);
    }

    /// The frame reported `height`: kept until the next animation frame, which calls
    /// `on_frame` (whose job is to call [`flush`](Self::flush)), together with any later
    /// report before it.
    pub(super) fn report(&mut self, height: f64, on_frame: impl FnOnce() + 'static) {
        self.pending = Some(height);
        if self.animation_frame.is_none() {
            self.animation_frame = AnimationFrame::new(on_frame);
        }
    }

    /// Applies the last report, if any and new: the animation frame came.
    pub(super) fn flush(&mut self, frame: &Frame) -> Option<MomentsEvent> {
        self.animation_frame = None;
        let height = self.pending.take()?;
        if self.reported.get_untracked() == Some(height) {
            return None;
        }
        self.reported.try_set(Some(height));
        self.apply(frame);
        Some(MomentsEvent::Resized { height })
    }

    /// Drops a pending write (unmount).
    pub(super) fn cancel(&mut self) {
        self.pending = None;
        self.animation_frame = None;
    }
}
