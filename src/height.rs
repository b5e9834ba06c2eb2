//! How tall the frame is: [`Height`].

/// How tall the frame is.
///
/// The default is `Auto { min: 640, max: ∞ }`, chosen for the frame that never reports a
/// height (a *silent* frame, which the real Infobip frame may be: its messages are not
/// documented). Such a frame stays at `min`, and its content scrolls inside it. 480 px
/// made a five-step wizard scroll at every step; embedded flows elsewhere ask for at least
/// 600 px (Wise's); 640 px fits a wizard step's form and still fits, below a host's
/// header, on a 768 px laptop screen, so the page and the frame do not both scroll. A
/// frame that reports its height grows to it. When you know better, say so: `Fixed(px)`,
/// or `Fill` inside a container you size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Height {
    /// Follows the height the frame reports (a [`FrameSignal::Resize`](crate::FrameSignal)),
    /// clamped to `min..=max` CSS pixels; `min` until the first report, and the last
    /// report is kept across reloads so nothing jumps. A silent frame stays at `min`.
    Auto {
        /// Smallest height, also the height before the first report.
        min: f64,
        /// Largest height; `f64::INFINITY` for none.
        max: f64,
    },
    /// Fills the container: give the component's parent a height.
    Fill,
    /// Always this many CSS pixels.
    Fixed(f64),
}

/// The default `Height::Auto` minimum, and so the height of a silent frame: 640 CSS px.
pub const DEFAULT_MIN_HEIGHT: f64 = 640.0;

impl Default for Height {
    fn default() -> Self {
        Self::Auto {
            min: DEFAULT_MIN_HEIGHT,
            max: f64::INFINITY,
        }
    }
}

impl Height {
    /// The CSS modifier, as in `moments-embed--height-auto`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Auto { .. } => "auto",
            Self::Fill => "fill",
            Self::Fixed(_) => "fixed",
        }
    }

    /// Whether the frame, given the last height it reported, is as tall as its content:
    /// then it has nothing to scroll, and shows no scrollbar (one that appeared while it
    /// was shorter could otherwise stay, as a track with nothing to scroll).
    #[cfg_attr(
        not(any(moments_browser, test)),
        expect(dead_code, reason = "only the browser's driver sizes a frame")
    )]
    pub(crate) fn holds_content(&self, reported: Option<f64>) -> bool {
        matches!((*self, reported), (Self::Auto { max, .. }, Some(height)) if height <= max)
    }

    /// The frame's CSS `height`, given the last height the frame reported.
    pub fn css(&self, reported: Option<f64>) -> String {
        match *self {
            // min/max rather than `clamp`: clamp's panic message formats floats, which
            // would pull float printing into the wasm for a case that cannot happen here.
            Self::Auto { min, max } => css_px(reported.unwrap_or(min).min(max).max(min)),
            Self::Fill => "100%".to_owned(),
            Self::Fixed(height) => css_px(height),
        }
    }
}

/// Whole CSS pixels. Integer formatting keeps float printing (several KB of wasm) out of
/// the bundle; a sub-pixel of frame height is invisible.
pub(crate) fn css_px(value: f64) -> String {
    // Frame heights are validated to 0..=100_000 and min/max are the host's; anything
    // outside u32 saturates, which is what a CSS length would do with it anyway.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = value.ceil().max(0.0) as u32;
    crate::text::with_decimal("", u64::from(whole), "px")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_clamps_and_starts_at_min() {
        let auto = Height::Auto {
            min: 400.0,
            max: 900.0,
        };
        assert_eq!(auto.css(None), "400px");
        assert_eq!(auto.css(Some(120.0)), "400px");
        assert_eq!(auto.css(Some(640.2)), "641px");
        assert_eq!(auto.css(Some(5000.0)), "900px");
        assert_eq!(Height::default().css(Some(1e6)), "1000000px");
        assert_eq!(
            Height::default().css(None),
            "640px",
            "a silent frame's documented height"
        );
        let inverted = Height::Auto {
            min: 500.0,
            max: 100.0,
        };
        assert_eq!(
            inverted.css(Some(50.0)),
            "500px",
            "a max below min means min"
        );
    }

    #[test]
    fn only_a_frame_sized_to_what_it_reported_holds_its_content() {
        let auto = Height::Auto {
            min: 400.0,
            max: 900.0,
        };
        assert!(auto.holds_content(Some(882.0)));
        assert!(
            auto.holds_content(Some(100.0)),
            "shorter than min: room to spare"
        );
        assert!(
            !auto.holds_content(Some(901.0)),
            "clamped: the rest scrolls"
        );
        assert!(
            !auto.holds_content(None),
            "a silent frame may need to scroll"
        );
        assert!(!Height::Fixed(900.0).holds_content(Some(100.0)));
        assert!(!Height::Fill.holds_content(Some(100.0)));
    }

    #[test]
    fn fill_and_fixed() {
        assert_eq!(Height::Fill.css(Some(640.0)), "100%");
        assert_eq!(Height::Fixed(720.0).css(Some(640.0)), "720px");
        assert_eq!(Height::Fill.as_str(), "fill");
    }
}
