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

mod interface;

pub use interface::{
    Effect, FetchId, FrameId, Input, Instant, SessionConfig, SessionState, TimerId,
};

use crate::error::MomentsError;
use crate::parse::Grant;
use interface::whole_millis;
use std::time::Duration;

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

    /// A session whose frame is already up and ready: one adopted from a parked frame
    /// ([`KeepAlive`](crate::KeepAlive)). Its frame is [`FrameId`]`(1)`; nothing is
    /// fetched until that frame's session ends or the host reloads.
    pub fn adopted(config: SessionConfig, seed: u64) -> Self {
        let mut session = Self::new(config, seed);
        session.frame = Some(FrameId(session.next_id()));
        session.state = SessionState::Ready;
        session.near = true;
        session.shown = true;
        session
    }

    /// The current state.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// Where the machine last heard the frame's box was: `(near, shown)`.
    pub fn visibility(&self) -> (bool, bool) {
        (self.near, self.shown)
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
                effects.push(Effect::DropFetch);
                self.on_grant(grant, now, &mut effects);
            }
            Input::FetchFailed {
                fetch,
                error,
                retry_after,
            } if self.fetch == Some(fetch) => {
                self.fetch = None;
                effects.push(Effect::DropFetch);
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
                    effects.push(Effect::DropFetch);
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
            effects.push(Effect::DropFetch);
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

#[cfg(test)]
mod tests;
