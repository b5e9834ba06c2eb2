use super::*;
use moments_protocol::frame::AuthorizeFailure;

const SECOND: Duration = Duration::from_secs(1);

fn at(secs: f64) -> Instant {
    Instant::from_millis(secs * 1000.0)
}

fn grant(uri: &str, expires_in_secs: u64) -> Grant {
    Grant {
        request_uri: uri.to_owned(),
        iframe_url: format!("https://frame.test/authorize?request_uri={uri}"),
        expires_in: Duration::from_secs(expires_in_secs),
    }
}

fn eager() -> Session {
    Session::new(
        SessionConfig {
            lazy: false,
            ..SessionConfig::default()
        },
        7,
    )
}

fn lazy() -> Session {
    Session::new(SessionConfig::default(), 7)
}

fn fetch_id(effects: &[Effect]) -> FetchId {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Fetch(id) => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Fetch in {effects:?}"))
}

fn navigated(effects: &[Effect]) -> Option<(FrameId, String)> {
    effects.iter().find_map(|e| match e {
        Effect::Navigate { frame, url } => Some((*frame, url.clone())),
        _ => None,
    })
}

fn timer(effects: &[Effect]) -> Option<(TimerId, Duration)> {
    effects.iter().rev().find_map(|e| match e {
        Effect::SetTimer { timer, after } => Some((*timer, *after)),
        _ => None,
    })
}

fn count_fetches(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Fetch(_)))
        .count()
}

fn unavailable() -> MomentsError {
    MomentsError::Http {
        status: 503,
        code: Some(moments_protocol::ErrorCode::UpstreamUnavailable),
        message: "Infobip could not be reached.".into(),
        retryable: true,
    }
}

#[test]
fn eager_session_fetches_at_once_then_mounts_then_is_ready() {
    let mut s = eager();
    let effects = s.start(at(0.0));
    let id = fetch_id(&effects);
    assert_eq!(s.state(), &SessionState::Fetching { attempt: 1 });

    let effects = s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("a", 60),
        },
        at(0.2),
    );
    let (frame, url) = navigated(&effects).expect("navigates the fresh grant");
    assert!(url.ends_with("request_uri=a"));
    assert_eq!(s.state(), &SessionState::Mounting);
    assert!(timer(&effects).is_some(), "a ready timeout guards Mounting");

    let effects = s.handle(Input::FrameReady { frame }, at(0.5));
    assert_eq!(effects, vec![Effect::ClearTimer]);
    assert_eq!(s.state(), &SessionState::Ready);
}

#[test]
fn lazy_session_waits_for_the_viewport() {
    let mut s = lazy();
    assert!(
        s.start(at(0.0)).is_empty(),
        "nothing before the frame nears the viewport"
    );
    let far = Input::Visibility {
        near: false,
        shown: false,
    };
    assert!(s.handle(far, at(1.0)).is_empty());
    let near = s.handle(
        Input::Visibility {
            near: true,
            shown: false,
        },
        at(2.0),
    );
    let id = fetch_id(&near);
    let effects = s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("a", 60),
        },
        at(2.1),
    );
    assert!(
        navigated(&effects).is_none(),
        "not shown yet: hold the grant"
    );
    assert_eq!(s.state(), &SessionState::Idle);
    let effects = s.handle(
        Input::Visibility {
            near: true,
            shown: true,
        },
        at(3.0),
    );
    assert_eq!(count_fetches(&effects), 0, "the held grant is still good");
    assert!(navigated(&effects).is_some());
}

#[test]
fn an_expired_held_grant_is_dropped_and_exactly_one_fresh_one_is_fetched() {
    let mut s = lazy();
    let near = Input::Visibility {
        near: true,
        shown: false,
    };
    let id = fetch_id(&s.handle(near, at(0.0)));
    let effects = s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("old", 10),
        },
        at(0.0),
    );
    let (drop_timer, after) = timer(&effects).expect("a timer drops the held grant");
    assert_eq!(
        after,
        5 * SECOND,
        "dropped `expiry_margin` before it expires"
    );

    let effects = s.handle(Input::TimerFired { timer: drop_timer }, at(5.0));
    assert!(
        effects.is_empty(),
        "dropping alone fetches nothing: {effects:?}"
    );

    let shown = Input::Visibility {
        near: true,
        shown: true,
    };
    let effects = s.handle(shown, at(30.0));
    assert_eq!(count_fetches(&effects), 1, "{effects:?}");
    assert!(
        navigated(&effects).is_none(),
        "the old grant is never presented"
    );
    let id = fetch_id(&effects);
    let effects = s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("new", 10),
        },
        at(30.1),
    );
    assert!(navigated(&effects).unwrap().1.ends_with("=new"));
}

#[test]
fn a_late_timer_cannot_make_a_stale_grant_look_fresh() {
    // Background tabs throttle timers: the drop timer may fire long after it was due.
    let mut s = lazy();
    let near = Input::Visibility {
        near: true,
        shown: false,
    };
    let id = fetch_id(&s.handle(near, at(0.0)));
    s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("old", 10),
        },
        at(0.0),
    );
    let shown = Input::Visibility {
        near: true,
        shown: true,
    };
    let effects = s.handle(shown, at(9.0));
    assert!(
        navigated(&effects).is_none(),
        "9 s into a 10 s URI is inside the margin"
    );
    assert_eq!(count_fetches(&effects), 1);
}

#[test]
fn retryable_failures_back_off_honour_retry_after_and_stop() {
    let mut s = eager();
    let mut id = fetch_id(&s.start(at(0.0)));
    let mut now = 0.0;
    for attempt in 1..=5 {
        let effects = s.handle(
            Input::FetchFailed {
                fetch: id,
                error: unavailable(),
                retry_after: Some(3 * SECOND),
            },
            at(now),
        );
        match s.state() {
            SessionState::Error {
                attempt: failed,
                retry_in: Some(wait),
                ..
            } if attempt < 5 => {
                assert_eq!(*failed, attempt);
                assert!(*wait >= 3 * SECOND, "Retry-After is a floor: {wait:?}");
                let (t, after) = timer(&effects).unwrap();
                assert_eq!(after, *wait);
                now += after.as_secs_f64();
                let effects = s.handle(Input::TimerFired { timer: t }, at(now));
                id = fetch_id(&effects);
                assert_eq!(
                    s.state(),
                    &SessionState::Fetching {
                        attempt: attempt + 1
                    }
                );
            }
            SessionState::Error {
                attempt: 5,
                retry_in: None,
                ..
            } => assert_eq!(attempt, 5),
            other => panic!("attempt {attempt}: unexpected {other:?}"),
        }
    }
    let effects = s.handle(Input::Retry, at(now + 1.0));
    assert_eq!(count_fetches(&effects), 1, "Retry starts a fresh cycle");
    assert_eq!(s.state(), &SessionState::Fetching { attempt: 1 });
}

#[test]
fn fatal_errors_wait_for_the_person_and_ignore_coming_back() {
    let mut s = eager();
    let id = fetch_id(&s.start(at(0.0)));
    let fatal = MomentsError::Http {
        status: 502,
        code: Some(moments_protocol::ErrorCode::UpstreamAuth),
        message: "refused".into(),
        retryable: false,
    };
    let effects = s.handle(
        Input::FetchFailed {
            fetch: id,
            error: fatal,
            retry_after: None,
        },
        at(0.1),
    );
    assert!(
        timer(&effects).is_none(),
        "no automatic retry for a fatal error"
    );
    assert!(s.handle(Input::Online, at(1.0)).is_empty());
    assert!(s.handle(Input::PageVisible, at(2.0)).is_empty());
    assert_eq!(count_fetches(&s.handle(Input::Retry, at(3.0))), 1);
}

#[test]
fn coming_back_online_retries_at_once() {
    let mut s = eager();
    let id = fetch_id(&s.start(at(0.0)));
    s.handle(
        Input::FetchFailed {
            fetch: id,
            error: MomentsError::Network("offline".into()),
            retry_after: None,
        },
        at(0.1),
    );
    let effects = s.handle(Input::Online, at(0.2));
    assert_eq!(count_fetches(&effects), 1);
    assert!(
        effects.contains(&Effect::ClearTimer),
        "the backoff timer is cancelled"
    );
}

#[test]
fn stale_answers_and_frames_are_ignored() {
    let mut s = eager();
    let first = fetch_id(&s.start(at(0.0)));
    let effects = s.handle(
        Input::Fetched {
            fetch: first,
            grant: grant("a", 60),
        },
        at(0.1),
    );
    let (frame_a, _) = navigated(&effects).unwrap();
    s.handle(Input::FrameLoaded { frame: frame_a }, at(0.2));
    let effects = s.handle(Input::FrameSessionExpired { frame: frame_a }, at(100.0));
    assert_eq!(s.state(), &SessionState::Refreshing { attempt: 1 });
    let second = fetch_id(&effects);
    // The old fetch id answering again changes nothing.
    assert!(
        s.handle(
            Input::Fetched {
                fetch: first,
                grant: grant("x", 60)
            },
            at(100.1)
        )
        .is_empty()
    );
    let effects = s.handle(
        Input::Fetched {
            fetch: second,
            grant: grant("b", 60),
        },
        at(100.2),
    );
    let (frame_b, url) = navigated(&effects).unwrap();
    assert!(url.ends_with("=b"));
    assert!(
        s.handle(Input::FrameReady { frame: frame_a }, at(100.3))
            .is_empty(),
        "the replaced frame cannot make the new one ready"
    );
    s.handle(Input::FrameReady { frame: frame_b }, at(100.4));
    assert_eq!(s.state(), &SessionState::Ready);
}

#[test]
fn a_frame_that_never_loads_times_out_and_retries() {
    let mut s = eager();
    let id = fetch_id(&s.start(at(0.0)));
    let effects = s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("a", 60),
        },
        at(0.0),
    );
    let (t, after) = timer(&effects).unwrap();
    assert_eq!(after, SessionConfig::default().ready_timeout);
    let effects = s.handle(Input::TimerFired { timer: t }, at(20.0));
    assert!(effects.contains(&Effect::DropFrame));
    assert!(matches!(
        s.state(),
        SessionState::Error {
            error: MomentsError::FrameTimeout(_),
            retry_in: Some(_),
            ..
        }
    ));
}

#[test]
fn a_frame_that_loads_then_refuses_its_uri_is_retried_a_bounded_number_of_times() {
    let mut s = eager();
    let mut effects = s.start(at(0.0));
    let mut now = 0.0;
    let mut fetches = 0;
    for n in 0..50 {
        let Some(id) = effects.iter().find_map(|e| match e {
            Effect::Fetch(id) => Some(*id),
            _ => None,
        }) else {
            break;
        };
        fetches += 1;
        let nav = s.handle(
            Input::Fetched {
                fetch: id,
                grant: grant(&format!("u{n}"), 60),
            },
            at(now),
        );
        let (frame, _) = navigated(&nav).unwrap();
        s.handle(Input::FrameLoaded { frame }, at(now));
        let failed = s.handle(
            Input::FrameRefused {
                frame,
                reason: AuthorizeFailure::Expired,
                message: String::new(),
            },
            at(now),
        );
        effects = match timer(&failed) {
            Some((t, after)) => {
                now += after.as_secs_f64();
                s.handle(Input::TimerFired { timer: t }, at(now))
            }
            None => Vec::new(),
        };
    }
    assert_eq!(fetches, SessionConfig::default().max_attempts as usize);
}

#[test]
fn unmount_aborts_the_fetch_and_clears_the_timer_then_ignores_everything() {
    let mut s = eager();
    let id = fetch_id(&s.start(at(0.0)));
    let effects = s.handle(Input::Unmount, at(0.1));
    assert_eq!(effects, vec![Effect::DropFetch]);
    assert!(
        s.handle(
            Input::Fetched {
                fetch: id,
                grant: grant("a", 60)
            },
            at(0.2)
        )
        .is_empty()
    );
    assert!(s.handle(Input::Retry, at(0.3)).is_empty());
}

#[test]
fn reload_from_ready_fetches_a_fresh_session_and_is_ignored_while_fetching() {
    let mut s = eager();
    let id = fetch_id(&s.start(at(0.0)));
    assert!(
        s.handle(Input::Reload, at(0.1)).is_empty(),
        "one fetch at a time"
    );
    let effects = s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("a", 60),
        },
        at(0.2),
    );
    let (frame, _) = navigated(&effects).unwrap();
    s.handle(Input::FrameLoaded { frame }, at(0.3));
    let effects = s.handle(Input::Reload, at(5.0));
    assert_eq!(count_fetches(&effects), 1);
    assert_eq!(s.state(), &SessionState::Refreshing { attempt: 1 });
}

#[test]
fn a_csp_block_is_fatal() {
    let mut s = eager();
    let id = fetch_id(&s.start(at(0.0)));
    s.handle(
        Input::Fetched {
            fetch: id,
            grant: grant("a", 60),
        },
        at(0.0),
    );
    let effects = s.handle(
        Input::CspBlocked {
            directive: "frame-src".into(),
            blocked_uri: "https://frame.test".into(),
        },
        at(0.1),
    );
    assert!(effects.contains(&Effect::DropFrame));
    assert!(matches!(
        s.state(),
        SessionState::Error { retry_in: None, .. }
    ));
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    //! Random schedules of everything that can happen, checked against the promises in
    //! the module docs after every step.

    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Advance(u32),
        Visibility(bool, bool),
        Answer {
            ok: bool,
            expires_in: u8,
            retryable: bool,
            retry_after: Option<u8>,
        },
        StaleAnswer,
        FireTimer,
        Loaded,
        Ready,
        Expired,
        Refused(u8),
        StaleFrameMessage,
        Csp,
        PageVisible,
        Online,
        Retry,
        Reload,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0_u32..40_000).prop_map(Op::Advance),
            2 => (any::<bool>(), any::<bool>()).prop_map(|(n, s)| Op::Visibility(n, s)),
            4 => (any::<bool>(), 1_u8..120, any::<bool>(), proptest::option::of(0_u8..200))
                .prop_map(|(ok, expires_in, retryable, retry_after)| Op::Answer { ok, expires_in, retryable, retry_after }),
            1 => Just(Op::StaleAnswer),
            4 => Just(Op::FireTimer),
            2 => Just(Op::Loaded),
            2 => Just(Op::Ready),
            1 => Just(Op::Expired),
            1 => (0_u8..3).prop_map(Op::Refused),
            1 => Just(Op::StaleFrameMessage),
            1 => Just(Op::Csp),
            1 => Just(Op::PageVisible),
            1 => Just(Op::Online),
            1 => Just(Op::Retry),
            1 => Just(Op::Reload),
        ]
    }

    /// Plays the browser around a session and checks every effect it asks for.
    struct World {
        session: Session,
        now: f64,
        fetch: Option<FetchId>,
        timer: Option<(TimerId, f64)>,
        frame: Option<FrameId>,
        /// request_uri → (received at, expires at), for every grant handed out.
        issued: HashMap<String, (f64, f64)>,
        navigated: HashSet<String>,
        minted: u64,
        longest_timer: Duration,
    }

    impl World {
        fn new(config: SessionConfig, seed: u64) -> Self {
            let mut world = Self {
                session: Session::new(config, seed),
                now: 0.0,
                fetch: None,
                timer: None,
                frame: None,
                issued: HashMap::new(),
                navigated: HashSet::new(),
                minted: 0,
                longest_timer: Duration::ZERO,
            };
            let effects = world.session.start(at(0.0));
            world.apply(&effects);
            world
        }

        fn input(&mut self, input: Input) {
            let effects = self.session.handle(input, Instant::from_millis(self.now));
            self.apply(&effects);
        }

        fn apply(&mut self, effects: &[Effect]) {
            for effect in effects {
                match effect {
                    Effect::Fetch(id) => {
                        assert!(self.fetch.is_none(), "two fetches in flight");
                        self.fetch = Some(*id);
                    }
                    Effect::DropFetch => {
                        assert!(self.fetch.take().is_some(), "letting go of no fetch");
                    }
                    Effect::Navigate { frame, url } => {
                        let uri = url.rsplit('=').next().unwrap().to_owned();
                        assert!(self.navigated.insert(uri.clone()), "{uri} navigated twice");
                        let (_, expires_at) = self.issued[&uri];
                        assert!(self.now < expires_at, "{uri} navigated after it expired");
                        self.frame = Some(*frame);
                    }
                    Effect::DropFrame => self.frame = None,
                    Effect::SetTimer { timer, after } => {
                        self.longest_timer = self.longest_timer.max(*after);
                        self.timer = Some((*timer, self.now + after.as_secs_f64() * 1000.0));
                    }
                    Effect::ClearTimer => {
                        assert!(self.timer.take().is_some(), "clearing no timer");
                    }
                }
            }
        }

        fn step(&mut self, op: Op) {
            match op {
                Op::Advance(ms) => self.now += f64::from(ms),
                Op::Visibility(near, shown) => self.input(Input::Visibility { near, shown }),
                Op::Answer {
                    ok,
                    expires_in,
                    retryable,
                    retry_after,
                } => {
                    // The machine lets go of the fetch itself (DropFetch).
                    let Some(fetch) = self.fetch else {
                        return;
                    };
                    self.now += 30.0;
                    if ok {
                        self.minted += 1;
                        let uri = format!("u{}", self.minted);
                        let expires_in = u64::from(expires_in);
                        #[allow(clippy::cast_precision_loss)]
                        let expires_at = self.now + expires_in as f64 * 1000.0;
                        self.issued.insert(uri.clone(), (self.now, expires_at));
                        self.input(Input::Fetched {
                            fetch,
                            grant: grant(&uri, expires_in),
                        });
                    } else {
                        let error = MomentsError::Http {
                            status: 503,
                            code: None,
                            message: "x".into(),
                            retryable,
                        };
                        let retry_after = retry_after.map(|s| Duration::from_secs(u64::from(s)));
                        self.input(Input::FetchFailed {
                            fetch,
                            error,
                            retry_after,
                        });
                    }
                }
                Op::StaleAnswer => self.input(Input::Fetched {
                    fetch: FetchId(u64::MAX),
                    grant: grant("stale", 60),
                }),
                Op::FireTimer => {
                    if let Some((timer, due)) = self.timer.take() {
                        // Timers fire at or after their due time, never before.
                        self.now = self.now.max(due);
                        self.input(Input::TimerFired { timer });
                    }
                }
                Op::Loaded => {
                    if let Some(frame) = self.frame {
                        self.input(Input::FrameLoaded { frame });
                    }
                }
                Op::Ready => {
                    if let Some(frame) = self.frame {
                        self.input(Input::FrameReady { frame });
                    }
                }
                Op::Expired => {
                    if let Some(frame) = self.frame {
                        self.input(Input::FrameSessionExpired { frame });
                    }
                }
                Op::Refused(n) => {
                    if let Some(frame) = self.frame {
                        let reason = [
                            AuthorizeFailure::Unknown,
                            AuthorizeFailure::Reused,
                            AuthorizeFailure::Expired,
                        ][usize::from(n)];
                        self.input(Input::FrameRefused {
                            frame,
                            reason,
                            message: String::new(),
                        });
                    }
                }
                Op::StaleFrameMessage => self.input(Input::FrameReady {
                    frame: FrameId(u64::MAX),
                }),
                Op::Csp => self.input(Input::CspBlocked {
                    directive: "frame-src".into(),
                    blocked_uri: "x".into(),
                }),
                Op::PageVisible => self.input(Input::PageVisible),
                Op::Online => self.input(Input::Online),
                Op::Retry => self.input(Input::Retry),
                Op::Reload => self.input(Input::Reload),
            }
        }

        /// Every state has a way out: a fetch in flight, a timer, or a person's action.
        fn check_no_dead_end(&self) {
            let has_timer = self.timer.is_some();
            match self.session.state() {
                SessionState::Fetching { .. } | SessionState::Refreshing { .. } => {
                    assert!(self.fetch.is_some(), "fetching with no fetch in flight");
                }
                SessionState::Mounting => assert!(has_timer, "mounting with no ready timeout"),
                SessionState::Error {
                    retry_in: Some(_), ..
                } => {
                    assert!(has_timer, "a scheduled retry with no timer");
                }
                SessionState::Error { retry_in: None, .. } => {
                    let mut probe = self.session.clone();
                    let effects = probe.handle(Input::Retry, Instant::from_millis(self.now));
                    assert!(
                        effects.iter().any(|e| matches!(e, Effect::Fetch(_))),
                        "Retry leads nowhere"
                    );
                }
                SessionState::Idle => {
                    // Either waiting for the viewport (a scroll leads out) or holding a
                    // grant with a timer to drop it.
                    let mut probe = self.session.clone();
                    let effects = probe.handle(
                        Input::Visibility {
                            near: true,
                            shown: true,
                        },
                        Instant::from_millis(self.now),
                    );
                    assert!(
                        effects
                            .iter()
                            .any(|e| matches!(e, Effect::Fetch(_) | Effect::Navigate { .. })),
                        "idle and nothing brings it out: {effects:?}"
                    );
                }
                SessionState::Ready => {}
            }
            if !matches!(
                self.session.state(),
                SessionState::Fetching { .. } | SessionState::Refreshing { .. }
            ) {
                assert!(
                    self.fetch.is_none(),
                    "a fetch in flight outside Fetching/Refreshing"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        #[test]
        fn request_uris_are_used_once_never_expired_and_nothing_is_a_dead_end(
            lazy in any::<bool>(),
            seed in any::<u64>(),
            ops in proptest::collection::vec(op(), 1..120),
        ) {
            let config = SessionConfig { lazy, ..SessionConfig::default() };
            let bound = config
                .backoff_cap
                .max(config.max_retry_after)
                .max(config.ready_timeout)
                .max(Duration::from_secs(u64::from(moments_protocol::MAX_EXPIRES_IN_SECS)));
            let mut world = World::new(config, seed);
            for op in ops {
                world.step(op);
                world.check_no_dead_end();
            }
            prop_assert!(world.longest_timer <= bound, "timer {:?} over {:?}", world.longest_timer, bound);
        }

        #[test]
        fn backoff_grows_exponentially_to_its_cap_with_full_jitter(seed in any::<u64>()) {
            // The envelope min(cap, base·2^(attempt-1)) doubles each attempt and the
            // draws fill it from ~0 to its top: a flat or unjittered delay fails here.
            let config = SessionConfig::default();
            let mut s = Session::new(config.clone(), seed);
            // 600 draws: a top below 95 % of the envelope has odds of 0.95^600 ≈ 4e-14.
            const DRAWS: u32 = 600;
            let mut previous_top = Duration::ZERO;
            for attempt in 1_u32..=10 {
                let ceiling = config
                    .backoff_base
                    .saturating_mul(1 << (attempt - 1))
                    .min(config.backoff_cap);
                let waits: Vec<Duration> = (0..DRAWS).map(|_| s.backoff(attempt, None)).collect();
                let top = waits.iter().copied().max().unwrap_or_default();
                let bottom = waits.iter().copied().min().unwrap_or_default();
                let mean = waits.iter().sum::<Duration>() / DRAWS;
                prop_assert!(top <= ceiling, "attempt {attempt}: {top:?} over {ceiling:?}");
                prop_assert!(top >= ceiling.mul_f64(0.95), "attempt {attempt}: the envelope is reached ({top:?} of {ceiling:?})");
                prop_assert!(bottom <= ceiling.mul_f64(0.05), "attempt {attempt}: full jitter reaches ~0 ({bottom:?})");
                prop_assert!(
                    mean >= ceiling.mul_f64(0.4) && mean <= ceiling.mul_f64(0.6),
                    "attempt {attempt}: uniform, mean {mean:?} of {ceiling:?}"
                );
                if ceiling < config.backoff_cap {
                    prop_assert!(top > previous_top.mul_f64(1.5), "attempt {attempt}: grows ({previous_top:?} -> {top:?})");
                }
                previous_top = top;
            }
        }

        #[test]
        fn backoff_stays_within_its_ceiling_and_respects_retry_after(
            seed in any::<u64>(),
            attempt in 1_u32..64,
            retry_after in proptest::option::of(0_u64..100_000),
        ) {
            let config = SessionConfig::default();
            let mut s = Session::new(config.clone(), seed);
            let retry_after = retry_after.map(Duration::from_millis);
            let wait = s.backoff(attempt, retry_after);
            let floor = retry_after.unwrap_or_default().min(config.max_retry_after);
            prop_assert!(wait >= floor);
            prop_assert!(wait <= config.backoff_cap.max(floor));
        }
    }
}

#[test]
fn an_adopted_session_is_ready_fetches_nothing_and_refreshes_when_its_frame_ends() {
    let mut s = Session::adopted(SessionConfig::default(), 7);
    assert_eq!(s.state(), &SessionState::Ready);
    assert!(
        s.start(at(0.0)).is_empty(),
        "nothing to fetch: the frame is up"
    );
    let frame = s.frame().expect("the adopted frame is the current one");
    assert!(
        s.handle(
            Input::Visibility {
                near: false,
                shown: false
            },
            at(1.0)
        )
        .is_empty(),
        "scrolling away does not drop or refetch a kept frame"
    );
    let back = Input::Visibility {
        near: true,
        shown: true,
    };
    assert!(s.handle(back, at(1.2)).is_empty());
    // Its load and ready signals are old news: no timer, no state change.
    assert!(s.handle(Input::FrameReady { frame }, at(1.5)).is_empty());
    assert_eq!(s.state(), &SessionState::Ready);
    let effects = s.handle(Input::FrameSessionExpired { frame }, at(2.0));
    assert_eq!(count_fetches(&effects), 1, "exactly one fresh session");
    assert_eq!(s.state(), &SessionState::Refreshing { attempt: 1 });
    let effects = s.handle(
        Input::Fetched {
            fetch: fetch_id(&effects),
            grant: grant("fresh", 60),
        },
        at(2.2),
    );
    let (next, _) = navigated(&effects).expect("the fresh grant replaces the kept frame");
    assert_ne!(
        next, frame,
        "a new frame id: the kept frame's messages are stale now"
    );
}

#[test]
fn an_adopted_session_reloads_like_any_ready_one() {
    let mut s = Session::adopted(SessionConfig::default(), 7);
    let effects = s.handle(Input::Reload, at(0.0));
    assert_eq!(count_fetches(&effects), 1);
    assert_eq!(s.state(), &SessionState::Refreshing { attempt: 1 });
}
