//! The buckets in this process: GCRA (a token bucket kept as one timestamp per client),
//! in memory, sharded, bounded.
//!
//! Memory is bounded: entries whose bucket is full again are dropped when a shard
//! fills up; if a shard is still full after that, the newcomer is let through
//! untracked rather than refused, so a flood of addresses cannot lock out real users
//! (the upstream concurrency limit still protects Infobip).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const SHARDS: usize = 16;
const MAX_CLIENTS_PER_SHARD: usize = 8192;

/// One "theoretical arrival time" per client, in nanoseconds since `epoch`.
#[derive(Debug)]
pub(crate) struct LocalBuckets {
    interval: u64,
    tolerance: u64,
    epoch: Instant,
    hasher: RandomState,
    shards: Box<[Mutex<HashMap<u64, u64>>]>,
}

impl LocalBuckets {
    /// One request per `interval`, `tolerance` ahead of that at most (the burst).
    pub(crate) fn new(interval: Duration, tolerance: Duration) -> Self {
        Self {
            interval: nanos(interval),
            tolerance: nanos(tolerance),
            epoch: Instant::now(),
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// Takes one request from `client`'s bucket, or says how long until one is free.
    pub(crate) fn check(&self, client: impl Hash) -> Result<(), Duration> {
        let key = self.hasher.hash_one(client);
        let now = nanos(self.epoch.elapsed());
        let shard = &self.shards[usize::try_from(key % SHARDS as u64).unwrap_or(0)];
        let mut clients = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let tat = clients.get(&key).copied().unwrap_or(now).max(now);
        let allowed_at = tat.saturating_sub(self.tolerance);
        if now < allowed_at {
            return Err(Duration::from_nanos(allowed_at - now));
        }
        if clients.len() >= MAX_CLIENTS_PER_SHARD && !clients.contains_key(&key) {
            clients.retain(|_, tat| *tat > now);
            if clients.len() >= MAX_CLIENTS_PER_SHARD {
                return Ok(());
            }
        }
        clients.insert(key, tat + self.interval);
        Ok(())
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
