//! The session lifecycle as a pure state machine: no web-sys, no clock of its own.
//!
//! The hook feeds it [`Input`]s with the current time from a monotonic clock
//! (`performance.now()`), and carries out the [`Effect`]s it returns: start or abort a
//! fetch, point a fresh frame at a URL, set or clear the one timer. Everything the
//! component promises about request URIs lives here, where native tests and property
//! tests can hold it to them:
//!
//! - a `request_uri` is navigated to at most once, and never at or after its deadline;
//! - an unused one past `deadline - margin` is dropped, and a fresh one is fetched only
//!   when the frame is about to be shown;
//! - retryable errors back off exponentially with full jitter, honour `Retry-After`, and
//!   stop after `max_attempts`;
//! - no state is a dead end: each has a fetch in flight, a timer, or a user action
//!   (Retry, scrolling into view) leading out.

use crate::protocol::{Grant, MomentsError};
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
    /// Abort the fetch in flight.
    AbortFetch,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimerPurpose {
    Retry,
    ReadyTimeout,
    DropHeld,
}

#[derive(Clone, Debug)]
struct Held {
    grant: Grant,
    usable_until: Instant,
}

/// The lifecycle of one `<MomentsEmbed/>`.
#[derive(Clone, Debug)]
pub struct Session {
    config: SessionConfig,
    state: SessionState,
    attempt: u32,
    near: bool,
    shown: bool,
    held: Option<Held>,
    fetch: Option<FetchId>,
    frame: Option<FrameId>,
    timer: Option<(TimerId, TimerPurpose)>,
    next_id: u64,
    rng: u64,
    unmounted: bool,
}

impl Session {
    /// A session in `Idle`. `seed` drives the backoff jitter (any value; 0 is fine).
    pub fn new(config: SessionConfig, seed: u64) -> Self {
        let always_visible = !config.lazy;
        Self {
            config,
            state: SessionState::Idle,
            attempt: 0,
            near: always_visible,
            shown: always_visible,
            held: None,
            fetch: None,
            frame: None,
            timer: None,
            next_id: 0,
            // xorshift must not start at 0.
            rng: seed | 1,
            unmounted: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// The frame currently shown, if any.
    pub fn frame(&self) -> Option<FrameId> {
        self.frame
    }

    /// The first effects: with `lazy` off, the fetch starts at once.
    pub fn start(&mut self, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.advance_idle(now, &mut effects);
        effects
    }

    /// Applies `input` at `now` and returns what to do, in order.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.unmounted {
            return effects;
        }
        match input {
            Input::Visibility { near, shown } => {
                if self.config.lazy {
                    self.near = near;
                    self.shown = shown;
                }
                self.advance_idle(now, &mut effects);
            }
            Input::Fetched { fetch, grant } if self.fetch == Some(fetch) => {
                self.fetch = None;
                self.on_grant(grant, now, &mut effects);
            }
            Input::FetchFailed {
                fetch,
                error,
                retry_after,
            } if self.fetch == Some(fetch) => {
                self.fetch = None;
                self.fail(error, retry_after, &mut effects);
            }
            Input::FrameLoaded { frame }
                if self.frame == Some(frame) && self.state == SessionState::Mounting =>
            {
                // A silent frame (the real one may not speak our protocol) is ready once
                // loaded. The attempt count is kept: a frame that loads and then refuses
                // its URI must not reset the retry budget, or it would loop forever.
                self.clear_timer(&mut effects);
                self.state = SessionState::Ready;
            }
            Input::FrameReady { frame } if self.frame == Some(frame) && self.frame_is_up() => {
                self.clear_timer(&mut effects);
                self.attempt = 0;
                self.state = SessionState::Ready;
            }
            Input::FrameSessionExpired { frame }
                if self.frame == Some(frame)
                    && matches!(self.state, SessionState::Ready | SessionState::Mounting) =>
            {
                self.begin_fetch(true, &mut effects);
            }
            Input::FrameRefused {
                frame,
                reason,
                message,
            } if self.frame == Some(frame) && self.frame_is_up() => {
                self.fail(
                    MomentsError::Authorize { reason, message },
                    None,
                    &mut effects,
                );
            }
            Input::CspBlocked {
                directive,
                blocked_uri,
            } if self.frame_is_up() => {
                let error = MomentsError::CspBlocked {
                    directive,
                    blocked_uri,
                };
                self.fail(error, None, &mut effects);
            }
            Input::TimerFired { timer } if self.timer.map(|(id, _)| id) == Some(timer) => {
                let purpose = self.timer.take().map(|(_, purpose)| purpose);
                self.on_timer(purpose, now, &mut effects);
            }
            Input::PageVisible | Input::Online => {
                // Coming back is the best moment to retry what failed on the way out; a
                // fatal error stays put (that would only be a retry storm).
                if matches!(&self.state, SessionState::Error { error, .. } if error.retryable()) {
                    self.begin_fetch(false, &mut effects);
                } else {
                    self.advance_idle(now, &mut effects);
                }
            }
            Input::Retry if matches!(self.state, SessionState::Error { .. }) => {
                self.begin_fetch(false, &mut effects);
            }
            Input::Reload => self.reload(now, &mut effects),
            Input::Unmount => {
                if self.fetch.take().is_some() {
                    effects.push(Effect::AbortFetch);
                }
                self.clear_timer(&mut effects);
                self.held = None;
                self.unmounted = true;
            }
            // Stale ids, or inputs that mean nothing in this state.
            _ => {}
        }
        effects
    }

    fn frame_is_up(&self) -> bool {
        matches!(self.state, SessionState::Mounting | SessionState::Ready)
    }

    /// In `Idle`: fetch when near, navigate a held grant when shown.
    fn advance_idle(&mut self, now: Instant, effects: &mut Vec<Effect>) {
        if self.state != SessionState::Idle {
            return;
        }
        match self.held.take() {
            Some(held) if self.shown && now < held.usable_until => {
                self.navigate(held.grant, effects);
            }
            // Too old to present: drop it and fetch exactly one replacement.
            Some(_) if self.shown => self.begin_fetch(false, effects),
            Some(held) => self.held = Some(held),
            None if self.near || self.shown => self.begin_fetch(false, effects),
            None => {}
        }
    }

    /// Starts a fetch. `fresh_cycle` resets the attempt count (a new reason to fetch);
    /// otherwise this is the next attempt of the current cycle.
    fn begin_fetch(&mut self, fresh_cycle: bool, effects: &mut Vec<Effect>) {
        let refreshing = self.frame_is_up();
        self.attempt = if fresh_cycle || !self.is_retrying() {
            1
        } else {
            self.attempt + 1
        };
        self.clear_timer(effects);
        self.held = None;
        if self.fetch.take().is_some() {
            effects.push(Effect::AbortFetch);
        }
        let id = FetchId(self.next_id());
        self.fetch = Some(id);
        self.state = if refreshing {
            SessionState::Refreshing {
                attempt: self.attempt,
            }
        } else {
            SessionState::Fetching {
                attempt: self.attempt,
            }
        };
        effects.push(Effect::Fetch(id));
    }

    /// Whether the current cycle is already failing (so the next fetch is a retry).
    fn is_retrying(&self) -> bool {
        matches!(
            self.state,
            SessionState::Error {
                retry_in: Some(_),
                ..
            }
        )
    }

    fn on_grant(&mut self, grant: Grant, now: Instant, effects: &mut Vec<Effect>) {
        let margin = self.config.expiry_margin.min(grant.expires_in / 2);
        let usable_until = now + grant.expires_in.saturating_sub(margin);
        if self.shown {
            self.navigate(grant, effects);
        } else {
            // Fetched ahead, but no longer wanted right now: keep it until just before
            // it expires, then forget it.
            self.state = SessionState::Idle;
            let after = now.until(usable_until);
            self.held = Some(Held {
                grant,
                usable_until,
            });
            self.set_timer(TimerPurpose::DropHeld, after, effects);
        }
    }

    fn navigate(&mut self, grant: Grant, effects: &mut Vec<Effect>) {
        let frame = FrameId(self.next_id());
        self.frame = Some(frame);
        self.state = SessionState::Mounting;
        effects.push(Effect::Navigate {
            frame,
            url: grant.iframe_url,
        });
        self.set_timer(
            TimerPurpose::ReadyTimeout,
            self.config.ready_timeout,
            effects,
        );
    }

    fn fail(
        &mut self,
        error: MomentsError,
        retry_after: Option<Duration>,
        effects: &mut Vec<Effect>,
    ) {
        if self.frame.take().is_some() {
            effects.push(Effect::DropFrame);
        }
        let attempt = self.attempt.max(1);
        let retry_in = (error.retryable() && attempt < self.config.max_attempts)
            .then(|| self.backoff(attempt, retry_after));
        match retry_in {
            Some(after) => self.set_timer(TimerPurpose::Retry, after, effects),
            None => self.clear_timer(effects),
        }
        self.state = SessionState::Error {
            error,
            attempt,
            retry_in,
        };
    }

    fn on_timer(&mut self, purpose: Option<TimerPurpose>, now: Instant, effects: &mut Vec<Effect>) {
        match purpose {
            Some(TimerPurpose::Retry) => self.begin_fetch(false, effects),
            Some(TimerPurpose::ReadyTimeout) if self.state == SessionState::Mounting => {
                let timeout = self.config.ready_timeout;
                self.fail(MomentsError::FrameTimeout(timeout), None, effects);
            }
            // Fetch again only if shown: merely being near must not spend a URI per TTL.
            Some(TimerPurpose::DropHeld) => {
                self.held = None;
                if self.shown {
                    self.advance_idle(now, effects);
                }
            }
            _ => {}
        }
    }

    fn reload(&mut self, now: Instant, effects: &mut Vec<Effect>) {
        match self.state {
            SessionState::Fetching { .. } | SessionState::Refreshing { .. } => {}
            SessionState::Idle => {
                self.held = None;
                self.clear_timer(effects);
                self.advance_idle(now, effects);
            }
            _ => self.begin_fetch(true, effects),
        }
    }

    /// Full jitter: uniform in `[0, min(cap, base·2^(attempt-1))]`, but never sooner than
    /// the server's `Retry-After` (itself capped).
    fn backoff(&mut self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self
            .config
            .backoff_base
            .saturating_mul(2_u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.config.backoff_cap);
        #[allow(clippy::cast_precision_loss)]
        let ceiling_ms = ceiling.as_millis() as f64;
        let jittered = Duration::from_millis(whole_millis(ceiling_ms * self.random_unit()));
        let floor = retry_after
            .unwrap_or_default()
            .min(self.config.max_retry_after);
        jittered.max(floor)
    }

    /// xorshift64*: a few lines of deterministic randomness, so tests replay exactly.
    fn random_unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        let bits = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        // 53 random bits over 2^53: uniform in [0, 1).
        #[allow(clippy::cast_precision_loss)]
        let unit = bits as f64 / (1_u64 << 53) as f64;
        unit
    }

    fn set_timer(&mut self, purpose: TimerPurpose, after: Duration, effects: &mut Vec<Effect>) {
        let timer = TimerId(self.next_id());
        self.timer = Some((timer, purpose));
        effects.push(Effect::SetTimer { timer, after });
    }

    fn clear_timer(&mut self, effects: &mut Vec<Effect>) {
        if self.timer.take().is_some() {
            effects.push(Effect::ClearTimer);
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// `ms` rounded up to whole milliseconds, saturating: negative and NaN become 0.
fn whole_millis(ms: f64) -> u64 {
    if ms.is_nan() || ms <= 0.0 {
        return 0;
    }
    // Saturating by definition of `as` for floats; sub-millisecond precision is noise
    // next to the browser's timer resolution.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = ms.ceil() as u64;
    whole
}

#[cfg(test)]
mod tests;
