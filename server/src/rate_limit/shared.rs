//! The rate limit's buckets in Redis, shared by every replica (the `redis` feature).
//!
//! One round trip per request: a Lua script runs the same GCRA as the in-process
//! limiter, atomically, on Redis's own clock (`TIME`), so replicas with skewed clocks
//! still agree. Each key expires when its bucket would be full again, so the store holds
//! only clients seen within one refill, and never grows without bound.
//!
//! Every check is bounded by the store's timeout. When Redis is slow or away the
//! configured [`StoreFailure`] policy decides: serve (open, the default) or refuse with
//! `503 unavailable` (closed). Either way the failure is logged (at most once every ten
//! seconds) and counted in `/metrics`.

use super::store::{RedisStore, StoreFailure};
use crate::metrics::{Metrics, StoreFailureOutcome};
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// GCRA in Redis. KEYS[1]: the client's bucket; ARGV[1]: the interval between requests,
/// ARGV[2]: the burst tolerance, both in microseconds. Returns 0 (allowed) or the wait
/// in microseconds.
const SCRIPT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return allowed_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.floor((next_tat - now) / 1000) + 1)
return 0
";

/// What a check found.
pub(crate) enum Verdict {
    /// Take the request.
    Allowed,
    /// Over the limit: wait this long.
    Limited(Duration),
    /// The store did not answer in time and the policy is closed.
    Unavailable,
}

/// The shared limiter: a connection (made on first use, remade after a failure), the
/// script, the limit in microseconds, and the failure policy.
pub(crate) struct RedisLimiter {
    client: redis::Client,
    connection: Mutex<Option<ConnectionManager>>,
    script: redis::Script,
    interval_us: u64,
    tolerance_us: u64,
    store: RedisStore,
    metrics: Arc<Metrics>,
    last_warning: AtomicU64,
    started: Instant,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// `interval` and `tolerance` as the in-process limiter computes them.
    pub(crate) fn new(
        store: RedisStore,
        interval: Duration,
        tolerance: Duration,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let client = redis::Client::open(store.url.expose())
            .map_err(|e| format!("the rate-limit store's URL: {e}"))?;
        Ok(Self {
            client,
            connection: Mutex::new(None),
            script: redis::Script::new(SCRIPT),
            interval_us: micros(interval),
            tolerance_us: micros(tolerance),
            store,
            metrics,
            last_warning: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    /// Takes one request from the bucket of `client` (already the tenant and address),
    /// within the store's timeout.
    pub(crate) async fn check(&self, client: &[u8]) -> Verdict {
        let key = bucket_key(client);
        match tokio::time::timeout(self.store.timeout, self.run(&key)).await {
            Ok(Ok(0)) => Verdict::Allowed,
            Ok(Ok(wait)) => Verdict::Limited(Duration::from_micros(wait.unsigned_abs())),
            Ok(Err(error)) => self.failed(&error.to_string()).await,
            Err(_) => {
                let timeout = self.store.timeout;
                self.failed(&format!("no answer within {timeout:?}")).await
            }
        }
    }

    async fn run(&self, key: &str) -> redis::RedisResult<i64> {
        let mut connection = self.connection().await?;
        self.script
            .key(key)
            .arg(self.interval_us)
            .arg(self.tolerance_us)
            .invoke_async(&mut connection)
            .await
    }

    /// The connection, made now if there is none. `ConnectionManager` reconnects by
    /// itself; it is remade only after a failure dropped it.
    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.store.timeout))
            .set_response_timeout(Some(self.store.timeout))
            .set_number_of_retries(0);
        let connection = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// The store failed this check: count it, say so now and then, and apply the policy.
    async fn failed(&self, why: &str) -> Verdict {
        // Whatever state the connection is in, start from a fresh one next time.
        *self.connection.lock().await = None;
        let served = self.store.on_failure == StoreFailure::Open;
        self.metrics.rate_limit_store_failure(if served {
            StoreFailureOutcome::Served
        } else {
            StoreFailureOutcome::Refused
        });
        // Seconds since start, plus one, so 0 can mean "never warned": the first failure
        // is always logged, however soon after start it comes.
        let now = self.started.elapsed().as_secs() + 1;
        let last = self.last_warning.load(Ordering::Relaxed);
        if (last == 0 || now >= last + 10)
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            if served {
                tracing::warn!(
                    reason = why,
                    "the rate-limit store failed; serving without a limit (policy: open)"
                );
            } else {
                tracing::error!(
                    reason = why,
                    "the rate-limit store failed; refusing session requests (policy: closed)"
                );
            }
        }
        if served {
            Verdict::Allowed
        } else {
            Verdict::Unavailable
        }
    }

    /// Whether the store answers a `PING` within its timeout (for `/readyz`).
    pub(crate) async fn reachable(&self) -> bool {
        let ping = async {
            let mut connection = self.connection().await?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        };
        matches!(
            tokio::time::timeout(self.store.timeout, ping).await,
            Ok(Ok(_))
        )
    }

    /// Whether a store outage should take this replica out of the load balancer.
    pub(crate) fn required_for_readiness(&self) -> bool {
        self.store.required_for_readiness
    }
}

/// `moments-par:rl:<32 hex>`: the client's bucket under a hash that is the same in every
/// replica (the in-process limiter's is seeded per process) and names no tenant or
/// address in the store.
fn bucket_key(client: &[u8]) -> String {
    let digest = Sha256::digest(client);
    let high = u128::from_be_bytes(digest[..16].try_into().unwrap_or_default());
    format!("moments-par:rl:{high:032x}")
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
