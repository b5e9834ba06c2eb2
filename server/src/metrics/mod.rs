//! Prometheus metrics, counted with atomics and written in the text exposition format
//! by hand: a dozen series do not need a metrics framework.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `moments_par_http_requests_total` | counter | `route` (matched path, a server function's path for `leptos::create_session`, or `other`), `status` |
//! | `moments_par_session_duration_seconds` | histogram | |
//! | `moments_par_errors_total` | counter | `code` (every `ErrorCode`, zeros included) |
//! | `moments_par_rate_limited_total` | counter | |
//! | `moments_par_rate_limit_store_failures_total` | counter | `outcome` (`served`: policy open, `refused`: closed) |
//! | `moments_par_upstream_attempts_total` | counter | `outcome` (`ok`, `auth`, `rejected`, `rate_limited`, `unavailable`, `bad_response`) |
//! | `moments_par_upstream_duration_seconds` | histogram (per attempt) | |
//! | `moments_par_upstream_in_flight` | gauge | |
//! | `moments_par_upstream_saturated_total` | counter (no upstream slot in time) | |
//! | `moments_par_build_info` | gauge | `version` |
//! | `process_resident_memory_bytes` | gauge (Linux) | |

mod text;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use moments_protocol::ErrorCode;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use text::{Histogram, counter, escape, header, resident_memory_bytes};

/// Statuses 0 to 599 each have a counter per route: an index, not a search.
const STATUSES: usize = 600;

/// One route's answers, by status.
#[derive(Debug)]
struct RouteCounters {
    route: Arc<str>,
    by_status: Box<[AtomicU64]>,
}

/// Everything counted, shared by the router's layers, the handler and the PAR client.
#[derive(Debug)]
pub(crate) struct Metrics {
    session_route: String,
    /// Per matched route (a handful, known once the router has seen them); written under
    /// the shared read lock, the exclusive one only to add a route never seen before.
    requests: RwLock<Vec<RouteCounters>>,
    session_duration: Histogram,
    errors: [AtomicU64; ErrorCode::ALL.len()],
    rate_limited: AtomicU64,
    /// Shared-store failures, by [`StoreFailureOutcome`].
    store_failures: [AtomicU64; StoreFailureOutcome::ALL.len()],
    /// Calls to Infobip that returned a grant.
    upstream_granted: AtomicU64,
    /// Calls to Infobip that failed, by the code the failure gives the browser.
    upstream_failed: [AtomicU64; ErrorCode::ALL.len()],
    upstream_duration: Histogram,
    upstream_in_flight: AtomicI64,
    upstream_saturated: AtomicU64,
}

impl Metrics {
    pub(crate) fn new(session_route: &str) -> Self {
        Self {
            session_route: session_route.to_owned(),
            requests: RwLock::default(),
            session_duration: Histogram::default(),
            errors: Default::default(),
            rate_limited: AtomicU64::new(0),
            store_failures: Default::default(),
            upstream_granted: AtomicU64::new(0),
            upstream_failed: Default::default(),
            upstream_duration: Histogram::default(),
            upstream_in_flight: AtomicI64::new(0),
            upstream_saturated: AtomicU64::new(0),
        }
    }

    fn request(&self, route: &str, status: u16) {
        let index = usize::from(status).min(STATUSES - 1);
        {
            let routes = self.requests.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(counters) = routes.iter().find(|c| &*c.route == route) {
                counters.by_status[index].fetch_add(1, Relaxed);
                return;
            }
        }
        let mut routes = self
            .requests
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Another request may have added it between the two locks.
        if let Some(counters) = routes.iter().find(|c| &*c.route == route) {
            counters.by_status[index].fetch_add(1, Relaxed);
            return;
        }
        let by_status: Box<[AtomicU64]> = (0..STATUSES).map(|_| AtomicU64::new(0)).collect();
        by_status[index].fetch_add(1, Relaxed);
        routes.push(RouteCounters {
            route: route.into(),
            by_status,
        });
    }

    /// One answer on `route` with `status`; `session`, how long it took when it answered
    /// a session request (through either transport).
    pub(crate) fn answered(&self, route: &str, status: u16, session: Option<Duration>) {
        self.request(route, status);
        if let Some(took) = session {
            self.session_duration.observe(took);
        }
    }

    pub(crate) fn error(&self, code: ErrorCode) {
        self.errors[slot(code)].fetch_add(1, Relaxed);
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Relaxed);
    }

    /// A check the shared rate-limit store failed, and what happened to the request.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn rate_limit_store_failure(&self, outcome: StoreFailureOutcome) {
        self.store_failures[outcome as usize].fetch_add(1, Relaxed);
    }

    pub(crate) fn upstream_saturated(&self) {
        self.upstream_saturated.fetch_add(1, Relaxed);
    }

    /// One call to Infobip: a grant, or the code its failure gives the browser
    /// ([`ParError::code`](crate::ParError::code)).
    pub(crate) fn upstream_attempt(&self, outcome: Result<(), ErrorCode>, took: Duration) {
        match outcome {
            Ok(()) => &self.upstream_granted,
            Err(code) => &self.upstream_failed[slot(code)],
        }
        .fetch_add(1, Relaxed);
        self.upstream_duration.observe(took);
    }

    /// Counts a call to Infobip in flight until the guard drops.
    pub(crate) fn upstream_call(self: &Arc<Self>) -> InFlight {
        self.upstream_in_flight.fetch_add(1, Relaxed);
        InFlight(Arc::clone(self))
    }

    /// The exposition text.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        header(
            &mut out,
            "moments_par_build_info",
            "gauge",
            "The running version.",
        );
        let _ = writeln!(
            out,
            "moments_par_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        header(
            &mut out,
            "moments_par_http_requests_total",
            "counter",
            "HTTP requests answered, by matched route and status.",
        );
        let routes = self.requests.read().unwrap_or_else(PoisonError::into_inner);
        let mut order: Vec<&RouteCounters> = routes.iter().collect();
        order.sort_by(|a, b| a.route.cmp(&b.route));
        for counters in order {
            for (status, count) in counters.by_status.iter().enumerate() {
                let count = count.load(Relaxed);
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "moments_par_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
                        escape(&counters.route)
                    );
                }
            }
        }
        drop(routes);
        self.session_duration.render(
            &mut out,
            "moments_par_session_duration_seconds",
            "Time to answer a session request, from routing to response.",
        );
        header(
            &mut out,
            "moments_par_errors_total",
            "counter",
            "Error answers, by code.",
        );
        for (code, count) in ErrorCode::ALL.iter().zip(&self.errors) {
            let _ = writeln!(
                out,
                "moments_par_errors_total{{code=\"{code}\"}} {}",
                count.load(Relaxed)
            );
        }
        counter(
            &mut out,
            "moments_par_rate_limited_total",
            "Session requests refused by the per-client rate limit.",
            self.rate_limited.load(Relaxed),
        );
        header(
            &mut out,
            "moments_par_rate_limit_store_failures_total",
            "counter",
            "Rate-limit checks the shared store failed or did not answer in time, by what happened to the request.",
        );
        for (outcome, count) in StoreFailureOutcome::ALL.iter().zip(&self.store_failures) {
            let _ = writeln!(
                out,
                "moments_par_rate_limit_store_failures_total{{outcome=\"{}\"}} {}",
                outcome.label(),
                count.load(Relaxed)
            );
        }
        header(
            &mut out,
            "moments_par_upstream_attempts_total",
            "counter",
            "Calls to Infobip's PAR endpoint (retries included), by outcome.",
        );
        let _ = writeln!(
            out,
            "moments_par_upstream_attempts_total{{outcome=\"ok\"}} {}",
            self.upstream_granted.load(Relaxed)
        );
        // A failed call is labelled with its error code less the `upstream_` every code
        // of a `ParError` has (`upstream_auth`: `auth`).
        for (code, count) in ErrorCode::ALL.iter().zip(&self.upstream_failed) {
            if let Some(outcome) = code.as_str().strip_prefix("upstream_") {
                let _ = writeln!(
                    out,
                    "moments_par_upstream_attempts_total{{outcome=\"{outcome}\"}} {}",
                    count.load(Relaxed)
                );
            }
        }
        self.upstream_duration.render(
            &mut out,
            "moments_par_upstream_duration_seconds",
            "Latency of one call to Infobip's PAR endpoint.",
        );
        header(
            &mut out,
            "moments_par_upstream_in_flight",
            "gauge",
            "Session requests holding an upstream slot now.",
        );
        let _ = writeln!(
            out,
            "moments_par_upstream_in_flight {}",
            self.upstream_in_flight.load(Relaxed)
        );
        counter(
            &mut out,
            "moments_par_upstream_saturated_total",
            "Session requests that found no free upstream slot in time.",
            self.upstream_saturated.load(Relaxed),
        );
        if let Some(rss) = resident_memory_bytes() {
            header(
                &mut out,
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
            );
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

/// Holds one upstream slot in the in-flight gauge.
pub(crate) struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.upstream_in_flight.fetch_sub(1, Relaxed);
    }
}

/// What happened to a request whose rate-limit check the shared store failed: the
/// `outcome` label of `moments_par_rate_limit_store_failures_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StoreFailureOutcome {
    /// Served without a limit (the store's policy is open).
    Served,
    /// Refused with `503` (the policy is closed).
    Refused,
}

impl StoreFailureOutcome {
    const ALL: [Self; 2] = [Self::Served, Self::Refused];

    const fn label(self) -> &'static str {
        match self {
            Self::Served => "served",
            Self::Refused => "refused",
        }
    }
}

/// `code`'s counter in a per-code array.
fn slot(code: ErrorCode) -> usize {
    ErrorCode::ALL
        .iter()
        .position(|c| *c == code)
        .unwrap_or_default()
}

/// Middleware: counts every answer by route and status, and error answers by code
/// (from the `ErrorCode` that `AppError` leaves in the response extensions).
pub(crate) async fn track(
    State(metrics): State<Arc<Metrics>>,
    route: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("other", MatchedPath::as_str);
    let session = route == metrics.session_route;
    metrics.answered(
        route,
        response.status().as_u16(),
        session.then(|| started.elapsed()),
    );
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        metrics.error(*code);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_series_in_the_text_format() {
        let metrics = Arc::new(Metrics::new("/s"));
        metrics.request("/s", 200);
        metrics.request("/s", 200);
        metrics.request("/s", 429);
        metrics.error(ErrorCode::RateLimited);
        metrics.rate_limited();
        metrics.upstream_attempt(Ok(()), Duration::from_millis(3));
        metrics.upstream_attempt(Err(ErrorCode::UpstreamUnavailable), Duration::from_secs(30));
        let guard = metrics.upstream_call();
        let text = metrics.render();
        drop(guard);
        for line in [
            "moments_par_http_requests_total{route=\"/s\",status=\"200\"} 2",
            "moments_par_http_requests_total{route=\"/s\",status=\"429\"} 1",
            "moments_par_errors_total{code=\"rate_limited\"} 1",
            "moments_par_errors_total{code=\"upstream_auth\"} 0",
            "moments_par_rate_limited_total 1",
            "moments_par_upstream_attempts_total{outcome=\"ok\"} 1",
            "moments_par_upstream_attempts_total{outcome=\"unavailable\"} 1",
            "moments_par_upstream_attempts_total{outcome=\"bad_response\"} 0",
            "moments_par_rate_limit_store_failures_total{outcome=\"refused\"} 0",
            "moments_par_upstream_duration_seconds_bucket{le=\"0.005\"} 1",
            "moments_par_upstream_duration_seconds_bucket{le=\"10\"} 1",
            "moments_par_upstream_duration_seconds_bucket{le=\"+Inf\"} 2",
            "moments_par_upstream_duration_seconds_sum 30.003",
            "moments_par_upstream_in_flight 1",
            "# TYPE moments_par_session_duration_seconds histogram",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        assert!(
            metrics
                .render()
                .contains("moments_par_upstream_in_flight 0\n")
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
