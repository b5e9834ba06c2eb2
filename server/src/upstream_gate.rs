//! A global limit on concurrent calls to Infobip, so a burst of page loads (or a slow
//! Infobip) cannot open unbounded sockets or pile up unbounded work.
//!
//! A session request that finds every slot taken waits briefly in a queue (FIFO, as
//! tokio's semaphore is fair); if no slot frees up within the queue timeout it is
//! answered `503 upstream_unavailable` with `Retry-After: 1`, which the component
//! retries with backoff. A slot is held for the whole PAR call, retries and their
//! backoff included, so retries never add load beyond the limit.

use crate::error::AppError;
use crate::metrics::{InFlight, Metrics};
use moments_protocol::ErrorCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How many PAR calls may run at once, and how long a request may wait for a slot.
///
/// ```
/// use moments_par::UpstreamLimit;
/// let limit = UpstreamLimit::default();
/// assert_eq!(limit.concurrency, 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpstreamLimit {
    /// PAR calls in flight at most, per process.
    pub concurrency: usize,
    /// How long a request waits for a free slot before it is answered `503`.
    pub queue_timeout: Duration,
}

impl Default for UpstreamLimit {
    /// 32 calls at once (at Infobip's usual 100 to 300 ms, a few hundred sessions a
    /// second per replica), and one second of queueing.
    fn default() -> Self {
        Self {
            concurrency: 32,
            queue_timeout: Duration::from_secs(1),
        }
    }
}

/// The slots.
#[derive(Debug)]
pub(crate) struct UpstreamGate {
    slots: Semaphore,
    queue_timeout: Duration,
    metrics: Arc<Metrics>,
}

/// A held slot; frees itself on drop.
pub(crate) struct Slot<'a> {
    _permit: SemaphorePermit<'a>,
    _in_flight: InFlight,
}

impl UpstreamGate {
    pub(crate) fn new(limit: UpstreamLimit, metrics: Arc<Metrics>) -> Self {
        Self {
            slots: Semaphore::new(limit.concurrency),
            queue_timeout: limit.queue_timeout,
            metrics,
        }
    }

    /// A slot, or `503 upstream_unavailable` when none frees up in time.
    pub(crate) async fn enter(&self) -> Result<Slot<'_>, AppError> {
        match tokio::time::timeout(self.queue_timeout, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(Slot {
                _permit: permit,
                _in_flight: self.metrics.upstream_call(),
            }),
            // Timed out, or (never, as nothing closes it) the semaphore closed.
            Err(_) | Ok(Err(_)) => {
                self.metrics.upstream_saturated();
                tracing::warn!(
                    queue_timeout_ms =
                        u64::try_from(self.queue_timeout.as_millis()).unwrap_or(u64::MAX),
                    "every upstream slot is busy; answering 503"
                );
                Err(AppError::new(
                    ErrorCode::UpstreamUnavailable,
                    "The server is busy talking to Infobip. Please try again in a moment.",
                )
                .retry_after(Duration::from_secs(1)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_answers_503_after_the_queue_timeout() {
        let metrics = Arc::new(Metrics::new("/s"));
        let limit = UpstreamLimit {
            concurrency: 1,
            queue_timeout: Duration::from_millis(20),
        };
        let gate = UpstreamGate::new(limit, Arc::clone(&metrics));
        let held = gate.enter().await.unwrap();
        let refused = gate.enter().await.err().unwrap();
        assert_eq!(refused.code, ErrorCode::UpstreamUnavailable);
        assert_eq!(refused.retry_after, Some(Duration::from_secs(1)));
        assert!(
            metrics
                .render()
                .contains("moments_par_upstream_saturated_total 1\n")
        );
        drop(held);
        assert!(gate.enter().await.is_ok(), "a freed slot is usable");
    }
}
