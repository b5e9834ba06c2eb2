//! The operations endpoints: `/healthz` (alive), `/readyz` (ready to serve; with
//! `?upstream`, also "Infobip answers"), `/metrics` (Prometheus text).
//!
//! Plain `/readyz` does not call Infobip on purpose: an Infobip outage failing every
//! replica's readiness would take them all out of the load balancer, and browsers would
//! get connection errors instead of a clear, retryable `upstream_unavailable`. Ask for
//! `?upstream` (a deploy check, a dashboard) to include a reachability probe, cached
//! for a few seconds so a busy prober cannot turn into load on Infobip.

use crate::metrics::Metrics;
use crate::par_client::ParClient;
use crate::rate_limit::RateLimiter;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long an upstream probe's answer is reused.
const PROBE_CACHE: Duration = Duration::from_secs(5);
/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the operations endpoints are served; `None` leaves one out.
///
/// A [`Config`](crate::Config) serves none of them until asked (the `moments-par` binary
/// asks for all three): a router merged into your app adds no public routes by surprise,
/// and `/metrics` tells anyone who can reach it how busy you are. `default()` is all
/// three at their usual paths; already have a `/healthz`? Leave ours out:
/// ```
/// use moments_par::OpsRoutes;
/// let ops = OpsRoutes { healthz: None, ..OpsRoutes::default() };
/// assert_eq!(ops.metrics.as_deref(), Some("/metrics"));
/// // config.with_ops_routes(ops)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpsRoutes {
    /// Liveness: `200 ok` while the process serves. Default `/healthz`.
    pub healthz: Option<String>,
    /// Readiness, `?upstream` to probe Infobip too. Default `/readyz`.
    pub readyz: Option<String>,
    /// Prometheus metrics. Default `/metrics`.
    pub metrics: Option<String>,
}

impl Default for OpsRoutes {
    fn default() -> Self {
        Self {
            healthz: Some("/healthz".to_owned()),
            readyz: Some("/readyz".to_owned()),
            metrics: Some("/metrics".to_owned()),
        }
    }
}

impl OpsRoutes {
    /// No operations endpoints at all (the host has its own).
    pub fn none() -> Self {
        Self {
            healthz: None,
            readyz: None,
            metrics: None,
        }
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        [&self.healthz, &self.readyz, &self.metrics]
            .into_iter()
            .filter_map(|p| p.as_deref())
    }
}

/// What `/readyz` needs: the client to probe with, and the last probe's outcome.
#[derive(Debug)]
pub(crate) struct Readiness {
    par: ParClient,
    last_probe: Mutex<Option<(Instant, Result<(), String>)>>,
    rate_limiter: Option<Arc<RateLimiter>>,
}

impl Readiness {
    pub(crate) fn new(par: ParClient, rate_limiter: Option<Arc<RateLimiter>>) -> Self {
        Self {
            par,
            last_probe: Mutex::new(None),
            rate_limiter,
        }
    }

    /// The cached probe outcome, or a fresh one. Holding the lock across the probe
    /// makes concurrent callers share one probe instead of each sending their own.
    async fn upstream(&self) -> Result<(), String> {
        let mut last = self.last_probe.lock().await;
        if let Some((at, outcome)) = last.as_ref()
            && at.elapsed() < PROBE_CACHE
        {
            return outcome.clone();
        }
        let outcome = self.par.probe(PROBE_TIMEOUT).await;
        if let Err(reason) = &outcome {
            tracing::warn!(reason, "readiness probe: Infobip is not reachable");
        }
        *last = Some((Instant::now(), outcome.clone()));
        outcome
    }
}

pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

/// `{"status": "ready"}`; with `?upstream`, Infobip's reachability too; with a shared
/// rate-limit store, its state (`reachable`/`unreachable`), which makes the replica
/// unready only when the operator asked for that.
pub(crate) async fn readyz(State(readiness): State<Arc<Readiness>>, request: Request) -> Response {
    let wants_upstream = request.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("upstream"))
    });
    let mut ready = true;
    let mut body = serde_json::Map::new();
    if let Some(limiter) = &readiness.rate_limiter
        && let Some((reachable, required)) = limiter.store_state().await
    {
        body.insert(
            "rate_limit_store".into(),
            json!(if reachable {
                "reachable"
            } else {
                "unreachable"
            }),
        );
        ready &= reachable || !required;
    }
    if wants_upstream {
        let reachable = readiness.upstream().await.is_ok();
        body.insert(
            "upstream".into(),
            json!(if reachable {
                "reachable"
            } else {
                "unreachable"
            }),
        );
        ready &= reachable;
    }
    body.insert(
        "status".into(),
        json!(if ready { "ready" } else { "not ready" }),
    );
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(serde_json::Value::Object(body))).into_response()
}

pub(crate) async fn metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    let mut response = metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
