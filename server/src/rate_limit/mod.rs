//! Per-client rate limiting of session requests: GCRA (a token bucket kept as one
//! timestamp per client), in this process ([`local`]) or, with the `redis` feature and a
//! [`RateLimitStore::Redis`], in Redis, shared by every replica ([`shared`]).
//!
//! A client is the tenant the resolver named plus, when known, the peer address (an
//! IPv6 address by its /64, which is what one subscriber usually gets). So a
//! single-tenant deployment limits per address, and one behind an auth proxy (where
//! every request comes from the proxy) limits per tenant. Without `ConnectInfo` (a
//! router merged into an app served without `into_make_service_with_connect_info`) the
//! tenant alone is the client, and a warning says so once; the shared account tenant
//! ([`Tenant::account`](crate::Tenant::account), everyone) is then not limited at all,
//! since one bucket for every user would throttle the whole site.

mod local;
#[cfg(feature = "redis")]
mod shared;
#[cfg(feature = "redis")]
mod store;

#[cfg(feature = "redis")]
pub use store::{RedisStore, StoreFailure, StoreUrl};

use crate::tenant::ACCOUNT_KEY;
use crate::trusted_proxies::TrustedProxies;
use axum::extract::ConnectInfo;
use http::HeaderName;
use http::request::Parts;
use local::LocalBuckets;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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

/// Where the rate limit keeps its buckets.
#[derive(Clone, Debug, Default)]
pub enum RateLimitStore {
    /// In this process (the default). Each replica limits on its own, so N replicas
    /// allow a client N times the limit.
    #[default]
    InProcess,
    /// In Redis, shared by every replica: the limit holds across all of them.
    #[cfg(feature = "redis")]
    Redis(RedisStore),
}

/// Why a request was not taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Over the limit; a bucket frees up after this long.
    Limited(Duration),
    /// The shared store failed and its policy is closed.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    StoreUnavailable,
}

/// Where a client's address comes from: a proxy's header when one is configured (and,
/// with trusted proxies listed, only on a connection from one of them), else the peer.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientIp {
    pub(crate) header: Option<HeaderName>,
    pub(crate) proxies: Option<TrustedProxies>,
}

/// The limiter: who the client is, and the buckets, here or in the shared store.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    client_ip: ClientIp,
    warned_no_address: AtomicBool,
    buckets: Buckets,
}

#[derive(Debug)]
enum Buckets {
    Local(LocalBuckets),
    #[cfg(feature = "redis")]
    Redis(Box<shared::RedisLimiter>),
}

impl RateLimiter {
    /// `limit` must have validated (positive rate and burst, non-zero period).
    pub(crate) fn new(limit: RateLimit, client_ip: ClientIp) -> Self {
        let (interval, tolerance) = gcra(limit);
        Self {
            client_ip,
            warned_no_address: AtomicBool::new(false),
            buckets: Buckets::Local(LocalBuckets::new(interval, tolerance)),
        }
    }

    /// As [`RateLimiter::new`], the buckets in `store`. Fails when its URL is not one.
    #[cfg(feature = "redis")]
    pub(crate) fn shared(
        limit: RateLimit,
        client_ip: ClientIp,
        store: RedisStore,
        metrics: std::sync::Arc<crate::metrics::Metrics>,
    ) -> Result<Self, String> {
        let (interval, tolerance) = gcra(limit);
        Ok(Self {
            client_ip,
            warned_no_address: AtomicBool::new(false),
            buckets: Buckets::Redis(Box::new(shared::RedisLimiter::new(
                store, interval, tolerance, metrics,
            )?)),
        })
    }

    /// Takes one request from this client's bucket, or says why not.
    pub(crate) async fn check(&self, tenant: &str, request: &Parts) -> Result<(), Refusal> {
        let address = self.client_address(request);
        if address.is_none() && tenant == ACCOUNT_KEY {
            return Ok(());
        }
        match &self.buckets {
            Buckets::Local(buckets) => buckets.check((tenant, address)).map_err(Refusal::Limited),
            #[cfg(feature = "redis")]
            Buckets::Redis(store) => {
                let client = match address {
                    Some(address) => format!("{tenant}\0{address}"),
                    None => format!("{tenant}\0"),
                };
                match store.check(client.as_bytes()).await {
                    shared::Verdict::Allowed => Ok(()),
                    shared::Verdict::Limited(wait) => Err(Refusal::Limited(wait)),
                    shared::Verdict::Unavailable => Err(Refusal::StoreUnavailable),
                }
            }
        }
    }

    /// For `/readyz`: the shared store's state (`None` in-process), and whether an
    /// unreachable store makes this replica unready.
    pub(crate) async fn store_state(&self) -> Option<(bool, bool)> {
        match &self.buckets {
            Buckets::Local(_) => None,
            #[cfg(feature = "redis")]
            Buckets::Redis(store) => {
                Some((store.reachable().await, store.required_for_readiness()))
            }
        }
    }

    /// The peer's address (by /64 for IPv6), from the configured header when a proxy
    /// sets it (a trusted one, when they are listed), else from `ConnectInfo`.
    fn client_address(&self, request: &Parts) -> Option<IpAddr> {
        let ClientIp { header, proxies } = &self.client_ip;
        let believed = proxies
            .as_ref()
            .is_none_or(|proxies| proxies.peer_of(request).is_some());
        let from_header = header.as_ref().filter(|_| believed).and_then(|name| {
            // The last line too: a proxy may add its own line rather than extend one.
            let value = request
                .headers
                .get_all(name)
                .iter()
                .next_back()?
                .to_str()
                .ok()?;
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
            if header.is_some() && proxies.is_some() {
                // The header is there to be read, but only from a trusted proxy, and
                // without the peer's address no connection is from one.
                tracing::warn!(
                    "no peer address, so the client IP header is ignored (it is believed only from the trusted proxies): serve the app with into_make_service_with_connect_info::<SocketAddr>(); until then the rate limit counts per tenant only, and not at all for the shared account tenant"
                );
            } else {
                tracing::warn!(
                    "no client address (serve the app with into_make_service_with_connect_info::<SocketAddr>(), or set a client IP header): rate limiting per tenant only, and not at all for the shared account tenant"
                );
            }
        }
        address.map(|ip| match ip.to_canonical() {
            IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            v4 @ IpAddr::V4(_) => v4,
        })
    }
}

/// GCRA's two numbers for `limit`: one request per interval, and how far ahead of the
/// schedule a client may be (the burst).
fn gcra(limit: RateLimit) -> (Duration, Duration) {
    let interval = limit.per / limit.requests.max(1);
    (interval, interval.saturating_mul(limit.burst.max(1) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    impl RateLimiter {
        /// The in-process check, which never waits: one poll answers it.
        fn check_now(&self, tenant: &str, request: &Parts) -> Result<(), Duration> {
            let mut check = pin!(self.check(tenant, request));
            match check.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Ok(())) => Ok(()),
                Poll::Ready(Err(Refusal::Limited(wait))) => Err(wait),
                other => panic!("the in-process limiter answered {other:?}"),
            }
        }
    }

    fn from(peer: &str) -> Parts {
        let mut parts = http::Request::new(()).into_parts().0;
        let addr: SocketAddr = peer.parse().unwrap();
        parts.extensions.insert(ConnectInfo(addr));
        parts
    }

    #[test]
    fn a_client_gets_its_burst_then_waits_one_interval() {
        let limiter =
            RateLimiter::new(RateLimit::per_minute(60).with_burst(3), ClientIp::default());
        let me = from("10.0.0.1:1000");
        for _ in 0..3 {
            assert_eq!(limiter.check_now("t", &me), Ok(()));
        }
        let wait = limiter.check_now("t", &me).unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Others are not affected: another address, another tenant.
        assert_eq!(limiter.check_now("t", &from("10.0.0.2:1000")), Ok(()));
        assert_eq!(limiter.check_now("u", &me), Ok(()));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_ports_do_not_matter() {
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), ClientIp::default());
        assert_eq!(limiter.check_now("t", &from("[2001:db8:1:2::1]:1")), Ok(()));
        assert!(
            limiter
                .check_now("t", &from("[2001:db8:1:2::ffff]:2"))
                .is_err()
        );
        assert_eq!(limiter.check_now("t", &from("[2001:db8:1:3::1]:1")), Ok(()));
        assert_eq!(limiter.check_now("t", &from("10.0.0.1:1")), Ok(()));
        assert!(limiter.check_now("t", &from("10.0.0.1:2")).is_err());
    }

    #[test]
    fn a_trusted_header_names_the_client_behind_a_proxy() {
        let header = HeaderName::from_static("x-forwarded-for");
        let client_ip = ClientIp {
            header: Some(header),
            proxies: None,
        };
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), client_ip);
        let mut a = from("127.0.0.1:1");
        a.headers
            .insert("x-forwarded-for", "6.6.6.6, 1.1.1.1".parse().unwrap());
        let mut b = from("127.0.0.1:1");
        b.headers
            .insert("x-forwarded-for", "6.6.6.6, 2.2.2.2".parse().unwrap());
        assert_eq!(limiter.check_now("t", &a), Ok(()));
        assert_eq!(
            limiter.check_now("t", &b),
            Ok(()),
            "the last hop decides, not the spoofable first"
        );
        assert!(limiter.check_now("t", &a).is_err());
    }

    #[test]
    fn with_trusted_proxies_only_theirs_is_believed() {
        let client_ip = ClientIp {
            header: Some(HeaderName::from_static("x-forwarded-for")),
            proxies: Some(TrustedProxies::parse(["10.0.0.0/8"]).unwrap()),
        };
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), client_ip);
        let via = |peer: &str, claimed: &str| {
            let mut request = from(peer);
            request
                .headers
                .insert("x-forwarded-for", claimed.parse().unwrap());
            request
        };
        // Through the proxy: each claimed client has its own bucket.
        assert_eq!(
            limiter.check_now("t", &via("10.0.0.2:1", "1.1.1.1")),
            Ok(())
        );
        assert_eq!(
            limiter.check_now("t", &via("10.0.0.2:2", "2.2.2.2")),
            Ok(())
        );
        // A proxy that adds a line of its own rather than extending the client's: its
        // line (the last) names the client, not the one the client sent.
        let mut appended = via("10.0.0.2:3", "9.9.9.9");
        appended
            .headers
            .append("x-forwarded-for", "1.1.1.1".parse().unwrap());
        assert!(
            limiter.check_now("t", &appended).is_err(),
            "1.1.1.1's bucket"
        );
        // Straight from a client: a new claim every time buys nothing, its own address
        // is its bucket.
        assert_eq!(
            limiter.check_now("t", &via("192.0.2.9:1", "3.3.3.3")),
            Ok(())
        );
        assert!(
            limiter
                .check_now("t", &via("192.0.2.9:2", "4.4.4.4"))
                .is_err()
        );
    }

    #[test]
    fn with_proxies_and_no_peer_address_the_warning_says_what_is_missing() {
        let client_ip = ClientIp {
            header: Some(HeaderName::from_static("x-forwarded-for")),
            proxies: Some(TrustedProxies::parse(["10.0.0.0/8"]).unwrap()),
        };
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), client_ip);
        let mut request = http::Request::new(()).into_parts().0;
        request
            .headers
            .insert("x-forwarded-for", "1.1.1.1".parse().unwrap());
        let logs = crate::test_log::captured(|| {
            let _ = limiter.check_now("t", &request);
            let _ = limiter.check_now("t", &request);
        });
        assert_eq!(logs.matches("no peer address").count(), 1, "once: {logs}");
        assert!(
            logs.contains("the client IP header is ignored")
                && logs.contains("into_make_service_with_connect_info::<SocketAddr>()"),
            "{logs}"
        );
        assert!(
            !logs.contains("or set a client IP header"),
            "one is set: {logs}"
        );
    }

    #[test]
    fn without_an_address_the_tenant_is_the_client() {
        let limiter = RateLimiter::new(RateLimit::per_minute(1).with_burst(1), ClientIp::default());
        let anonymous = http::Request::new(()).into_parts().0;
        assert_eq!(limiter.check_now("t", &anonymous), Ok(()));
        assert!(limiter.check_now("t", &anonymous).is_err());
        assert_eq!(limiter.check_now("u", &anonymous), Ok(()));
        for _ in 0..3 {
            assert_eq!(
                limiter.check_now(ACCOUNT_KEY, &anonymous),
                Ok(()),
                "everyone is not one client"
            );
        }
        assert_eq!(limiter.check_now(ACCOUNT_KEY, &from("10.0.0.1:1")), Ok(()));
        assert!(
            limiter.check_now(ACCOUNT_KEY, &from("10.0.0.1:1")).is_err(),
            "by address"
        );
    }
}
