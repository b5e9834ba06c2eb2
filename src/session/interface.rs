//! What goes into the machine and what comes out: its clock ([`Instant`]), its
//! [`SessionConfig`], the [`SessionState`] it publishes, the [`Input`]s it is fed and the
//! [`Effect`]s it asks for. Plain data: the machine itself is in the parent module.

use crate::error::MomentsError;
use crate::parse::Grant;
use moments_protocol::frame::AuthorizeFailure;
use std::ops::Add;
use std::time::Duration;

/// A point on a monotonic clock, in milliseconds (the browser's `performance.now()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Instant(f64);

impl Instant {
    /// The instant `ms` milliseconds after the clock's origin. Non-finite becomes 0.
    pub fn from_millis(ms: f64) -> Self {
        Self(if ms.is_finite() { ms } else { 0.0 })
    }

    /// Milliseconds since the clock's origin.
    pub fn as_millis(self) -> f64 {
        self.0
    }

    /// How long from `self` until `later`, in whole milliseconds; zero if `later` is not
    /// later. (Integer arithmetic: `Duration::from_secs_f64` can panic, and its message
    /// would bring float formatting into the wasm.)
    pub fn until(self, later: Self) -> Duration {
        Duration::from_millis(whole_millis(later.0 - self.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Self;

    fn add(self, rhs: Duration) -> Self {
        Self(self.0 + rhs.as_secs_f64() * 1000.0)
    }
}

/// How the lifecycle behaves. `Default` gives production values.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionConfig {
    /// Wait for the frame to near the viewport before fetching (see [`Input::Visibility`]).
    pub lazy: bool,
    /// Attempts per cycle before an error waits for the user.
    pub max_attempts: u32,
    /// Backoff ceiling after the first failure; doubles each attempt.
    pub backoff_base: Duration,
    /// Largest backoff ceiling.
    pub backoff_cap: Duration,
    /// Longest `Retry-After` honoured as is; longer ones are cut to this.
    pub max_retry_after: Duration,
    /// An unused `request_uri` is dropped this long before it expires (at most half its
    /// lifetime), so it is never presented at the last moment.
    pub expiry_margin: Duration,
    /// How long a frame may take to load or say it is ready.
    pub ready_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            lazy: true,
            max_attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            expiry_margin: Duration::from_secs(5),
            ready_timeout: Duration::from_secs(20),
        }
    }
}

/// Where the component is in its lifecycle. The host reads it; only the hook writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SessionState {
    /// Waiting to be needed: lazy and not near the viewport yet, or holding an unused
    /// `request_uri` until the frame is shown.
    #[default]
    Idle,
    /// Asking the backend for a `request_uri`.
    Fetching {
        /// 1 for the first attempt of this cycle.
        attempt: u32,
    },
    /// The frame is navigating to its `request_uri` and has not loaded yet.
    Mounting,
    /// The frame is loaded (or said `moments:ready`).
    Ready,
    /// The shown frame's session ended; a replacement `request_uri` is being fetched.
    Refreshing {
        /// 1 for the first attempt of this cycle.
        attempt: u32,
    },
    /// Something failed.
    Error {
        /// What.
        error: MomentsError,
        /// The attempt that failed.
        attempt: u32,
        /// When the next attempt starts by itself; `None` waits for Retry.
        retry_in: Option<Duration>,
    },
}

impl SessionState {
    /// The lower-case name used in `data-state` and the CSS modifier.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Fetching { .. } => "fetching",
            Self::Mounting => "mounting",
            Self::Ready => "ready",
            Self::Refreshing { .. } => "refreshing",
            Self::Error { .. } => "error",
        }
    }

    /// Whether a person is waiting for the frame: it is not there yet (not started, or
    /// held until it is in view), or it is on its way. Drives `aria-busy` and the
    /// loading placeholder, which is also what a server render shows.
    pub fn is_loading(&self) -> bool {
        matches!(
            self,
            Self::Idle | Self::Fetching { .. } | Self::Mounting | Self::Refreshing { .. }
        )
    }
}

/// Identifies one fetch, so a late answer to an abandoned one is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchId(pub u64);

/// Identifies one frame navigation, so messages from a replaced frame are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameId(pub u64);

/// Identifies one timer, so a stale timer firing is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId(pub u64);

/// Something that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Where the frame's box is: `near` the viewport (fetch ahead) and `shown` in it
    /// (navigate now). Ignored unless `lazy`: then the frame is always both.
    Visibility {
        /// Within the prefetch margin of the viewport.
        near: bool,
        /// Intersecting the viewport.
        shown: bool,
    },
    /// Fetch `fetch` answered with a grant.
    Fetched {
        /// Which fetch.
        fetch: FetchId,
        /// The validated grant.
        grant: Grant,
    },
    /// Fetch `fetch` failed.
    FetchFailed {
        /// Which fetch.
        fetch: FetchId,
        /// Why.
        error: MomentsError,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// Frame `frame` fired `load`.
    FrameLoaded {
        /// Which frame.
        frame: FrameId,
    },
    /// Frame `frame` said `moments:ready`.
    FrameReady {
        /// Which frame.
        frame: FrameId,
    },
    /// Frame `frame` said `moments:session-expired`.
    FrameSessionExpired {
        /// Which frame.
        frame: FrameId,
    },
    /// Frame `frame` said its `request_uri` was refused.
    FrameRefused {
        /// Which frame.
        frame: FrameId,
        /// Why.
        reason: AuthorizeFailure,
        /// What it said.
        message: String,
    },
    /// The page's CSP blocked the frame.
    CspBlocked {
        /// The violated directive.
        directive: String,
        /// What was blocked.
        blocked_uri: String,
    },
    /// Timer `timer` fired.
    TimerFired {
        /// Which timer.
        timer: TimerId,
    },
    /// The tab became visible again.
    PageVisible,
    /// The browser came back online.
    Online,
    /// The person pressed Retry.
    Retry,
    /// The host asked for a fresh session (`reload()`).
    Reload,
    /// The component is going away.
    Unmount,
}

/// Something the hook must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// POST to the endpoint; answer with `Fetched`/`FetchFailed` carrying this id.
    Fetch(FetchId),
    /// Let go of the fetch in flight: it has answered, or is no longer wanted (then abort
    /// it). The machine is the one owner of "a fetch is in flight".
    DropFetch,
    /// Show a new frame (replacing any) at `url`.
    Navigate {
        /// The new frame's id.
        frame: FrameId,
        /// Where it goes (the grant's `iframe_url`).
        url: String,
    },
    /// Remove the frame.
    DropFrame,
    /// Fire `TimerFired(timer)` after `after`, replacing any pending timer.
    SetTimer {
        /// The timer's id.
        timer: TimerId,
        /// When, from now.
        after: Duration,
    },
    /// Cancel the pending timer.
    ClearTimer,
}

/// `ms` rounded up to whole milliseconds, saturating: negative and NaN become 0.
pub(super) fn whole_millis(ms: f64) -> u64 {
    if ms.is_nan() || ms <= 0.0 {
        return 0;
    }
    // Saturating by definition of `as` for floats; sub-millisecond precision is noise
    // next to the browser's timer resolution.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = ms.ceil() as u64;
    whole
}
