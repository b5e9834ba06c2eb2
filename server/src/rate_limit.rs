//! Per-client rate limiting of session requests: GCRA (a token bucket kept as one
//! timestamp per client), in memory, sharded, bounded.
//!
//! A client is the tenant the resolver named plus, when known, the peer address (an
//! IPv6 address by its /64, which is what one subscriber usually gets). So a
//! single-tenant deployment limits per address, and one behind an auth proxy (where
//! every request comes from the proxy) limits per tenant. Without `ConnectInfo` (a
//! router merged into an app served without `into_make_service_with_connect_info`) the
//! tenant alone is the client, and a warning says so once; the shared account tenant
//! ([`Tenant::account`](crate::Tenant::account), everyone) is then not limited at all,
//! since one bucket for every user would throttle the whole site.
//!
//! Memory is bounded: entries whose bucket is full again are dropped when a shard
//! fills up; if a shard is still full after that, the newcomer is let through
//! untracked rather than refused, so a flood of addresses cannot lock out real users
//! (the upstream concurrency limit still protects Infobip).

use crate::tenant::ACCOUNT_KEY;
use axum::extract::ConnectInfo;
use http::HeaderName;
use http::request::Parts;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const SHARDS: usize = 16;
const MAX_CLIENTS_PER_SHARD: usize = 8192;

/// How many session requests one client may make.
///
/// A steady `requests` per `per`, with up to `burst` at once after a quiet spell.
///
/// ```
/// use moments_par::RateLimit;
/// use std::time::Duration;
/// let limit = RateLimit::per_minute(60).with_burst(20);
/// assert_eq!(limit.per, Duration::from_secs(60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per `per`, on average.
    pub requests: u32,
    /// The period `requests` refers to.
    pub per: Duration,
    /// Requests allowed at once (the bucket's size); at least 1.
    pub burst: u32,
}

impl RateLimit {
    /// `requests` per minute, with a burst of `requests / 3` (at least 1).
    pub fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(60),
            burst: (requests / 3).max(1),
        }
    }

    /// The same rate with a burst of `burst`.
    #[must_use]
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }
}

impl Default for RateLimit {
    /// 60 per minute per client, 20 at once: far above what one person opening and
    /// reopening the frame needs, far below what a script would want.
    fn default() -> Self {
        Self::per_minute(60).with_burst(20)
    }
}

/// The limiter: one "theoretical arrival time" per client key.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: u64,
    tolerance: u64,
    epoch: Instant,
    hasher: RandomState,
    shards: Box<[Mutex<HashMap<u64, u64>>]>,
    client_ip_header: Option<HeaderName>,
    warned_no_address: AtomicBool,
}

impl RateLimiter {
    /// `limit` must have validated (positive rate and burst, non-zero period).
    pub(crate) fn new(limit: RateLimit, client_ip_header: Option<HeaderName>) -> Self {
        let interval = nanos(limit.per) / u64::from(limit.requests.max(1));
        Self {
            interval,
            tolerance: interval.saturating_mul(u64::from(limit.burst.max(1) - 1)),
            epoch: Instant::now(),
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            client_ip_header,
            warned_no_address: AtomicBool::new(false),
        }
    }

    /// Takes one request from this client's bucket, or says how long until one is free.
    pub(crate) fn check(&self, tenant: &str, request: &Parts) -> Result<(), Duration> {
        let address = self.client_address(request);
        if address.is_none() && tenant == ACCOUNT_KEY {
            return Ok(());
        }
        let key = self.hasher.hash_one((tenant, address));
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

    /// The peer's address (by /64 for IPv6), from the configured header when a proxy
    /// sets it, else from `ConnectInfo`.
    fn client_address(&self, request: &Parts) -> Option<IpAddr> {
        let from_header = self.client_ip_header.as_ref().and_then(|name| {
            let value = request.headers.get(name)?.to_str().ok()?;
            // The last entry is the one the nearest (trusted) proxy added.
            value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        let address = from_header.or_else(|| {
            request
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip())
        });
        if address.is_none() && !self.warned_no_address.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "no client address (serve the app with into_make_service_with_connect_info::<SocketAddr>(), or set a client IP header): rate limiting per tenant only, and not at all for the shared account tenant"
            );
        }
        address.map(|ip| match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            },
            v4 @ IpAddr::V4(_) => v4,
        })
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(peer: &str) -> Parts {
        let mut parts = http::Request::new(()).into_parts().0;
        let addr: SocketAddr = peer.parse().unwrap();
        parts.extensions.insert(ConnectInfo(addr));
        parts
    }

    #[test]
    fn a_client_gets_its_burst_then_waits_one_interval() {
        let limiter = RateLimiter::new(RateLimit::per_minute(60).with_burst(3), None);
        let me = from("10.0.0.1:1000");
        for _ in 0..3 {
            assert_eq!(limiter.check("t", &me), Ok(()));
        }
        let wait = limiter.check("t", &me).unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Others are not affected: another address, another tenant.
        assert_eq!(limiter.check("t", &from("10.0.0.2:1000")), Ok(()));
        assert_eq!(limiter.check("u", &me), Ok(()));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_ports_do_not_matter() {
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), None);
        assert_eq!(limiter.check("t", &from("[2001:db8:1:2::1]:1")), Ok(()));
        assert!(limiter.check("t", &from("[2001:db8:1:2::ffff]:2")).is_err());
        assert_eq!(limiter.check("t", &from("[2001:db8:1:3::1]:1")), Ok(()));
        assert_eq!(limiter.check("t", &from("10.0.0.1:1")), Ok(()));
        assert!(limiter.check("t", &from("10.0.0.1:2")).is_err());
    }

    #[test]
    fn a_trusted_header_names_the_client_behind_a_proxy() {
        let header = HeaderName::from_static("x-forwarded-for");
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), Some(header));
        let mut a = from("127.0.0.1:1");
        a.headers
            .insert("x-forwarded-for", "6.6.6.6, 1.1.1.1".parse().unwrap());
        let mut b = from("127.0.0.1:1");
        b.headers
            .insert("x-forwarded-for", "6.6.6.6, 2.2.2.2".parse().unwrap());
        assert_eq!(limiter.check("t", &a), Ok(()));
        assert_eq!(
            limiter.check("t", &b),
            Ok(()),
            "the last hop decides, not the spoofable first"
        );
        assert!(limiter.check("t", &a).is_err());
    }

    #[test]
    fn without_an_address_the_tenant_is_the_client() {
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), None);
        let anonymous = http::Request::new(()).into_parts().0;
        assert_eq!(limiter.check("t", &anonymous), Ok(()));
        assert!(limiter.check("t", &anonymous).is_err());
        assert_eq!(limiter.check("u", &anonymous), Ok(()));
        for _ in 0..3 {
            assert_eq!(
                limiter.check(ACCOUNT_KEY, &anonymous),
                Ok(()),
                "everyone is not one client"
            );
        }
        assert_eq!(limiter.check(ACCOUNT_KEY, &from("10.0.0.1:1")), Ok(()));
        assert!(
            limiter.check(ACCOUNT_KEY, &from("10.0.0.1:1")).is_err(),
            "by address"
        );
    }
}
