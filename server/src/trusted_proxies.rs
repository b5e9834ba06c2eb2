//! Which peers may speak for a client: the addresses of the proxies in front of the
//! companion, whose headers it believes.
//!
//! Two settings take a client's word from a header: the trusted-header tenant (who is
//! signed in, set by an auth proxy) and the client IP header (who to rate-limit, set by a
//! reverse proxy). Both are only as safe as the guarantee that no client reaches the
//! companion except through that proxy, since a client can send the same header. With
//! [`TrustedProxies`] the companion checks that guarantee itself, on the socket's peer
//! address: a tenant header from anyone else is refused, and a client IP header from
//! anyone else is ignored (the peer itself is the client then).

use crate::config_error::ConfigError;
use axum::extract::ConnectInfo;
use http::request::Parts;
use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The proxies whose headers the companion believes: addresses (`10.0.0.7`) and
/// networks (`10.0.0.0/8`, `fd00::/8`), checked against the connection's peer.
///
/// The peer comes from axum's `ConnectInfo<SocketAddr>`, which the binary always has;
/// a host merging the router serves it with
/// `into_make_service_with_connect_info::<SocketAddr>()`. Without it no peer is
/// trusted.
///
/// ## Usage
/// ```
/// use moments_par::TrustedProxies;
/// let proxies = TrustedProxies::parse(["10.0.0.0/8", "::1"])?;
/// assert!(proxies.contains("10.1.2.3".parse().unwrap()));
/// assert!(!proxies.contains("192.0.2.1".parse().unwrap()));
/// # Ok::<(), moments_par::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses each entry, an address or a network in CIDR form. The error names the
    /// entry that is neither, or a network with bits set past its prefix (`10.0.0.1/8`
    /// is most likely a typo for `10.0.0.1` or `10.0.0.0/8`).
    pub fn parse<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> Result<Self, ConfigError> {
        entries
            .into_iter()
            .map(|entry| network(entry.as_ref().trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `address` is one of the proxies. An IPv4 peer on a dual-stack socket
    /// (`::ffff:a.b.c.d`) is `a.b.c.d`; an IPv6 network holds the IPv4 addresses it
    /// holds mapped (`::/0` holds them all).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        let mapped = match address {
            IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
            IpAddr::V6(_) => None,
        };
        self.0
            .iter()
            .any(|net| net.contains(&address) || mapped.is_some_and(|m| net.contains(&m)))
    }

    /// The peer of the connection `request` came on, if it is one of the proxies.
    pub(crate) fn peer_of(&self, request: &Parts) -> Option<IpAddr> {
        request
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .filter(|peer| self.contains(*peer))
    }
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

/// One entry: an address (a network of one) or a network.
fn network(entry: &str) -> Result<IpNet, ConfigError> {
    let invalid = |why: &str| {
        ConfigError::new(format!(
            "trusted proxy `{entry}` {why}: give an address (10.0.0.7) or a network (10.0.0.0/8)"
        ))
    };
    let parse_address = |address: &str| {
        address
            .parse::<IpAddr>()
            .map_err(|_| invalid("is not an IP address"))
    };
    // Split by hand rather than `IpNet::from_str`, so the message can say which half is wrong.
    let net = match entry.split_once('/') {
        None => IpNet::from(parse_address(entry)?),
        Some((address, prefix)) => {
            let address = parse_address(address)?;
            prefix
                .parse::<u8>()
                .ok()
                .and_then(|prefix| IpNet::new(address, prefix).ok())
                .ok_or_else(|| invalid("has a prefix length out of range"))?
        }
    };
    if net.trunc() != net {
        return Err(invalid("has bits set past its prefix length"));
    }
    // `::ffff:10.0.0.0/104` is `10.0.0.0/8`, as the peers it should match are.
    Ok(
        match (net.addr().to_canonical(), net.prefix_len().checked_sub(96)) {
            (v4 @ IpAddr::V4(_), Some(prefix)) if net.addr().is_ipv6() => {
                IpNet::new(v4, prefix).unwrap_or(net)
            }
            _ => net,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks_of_both_families() {
        let proxies =
            TrustedProxies::parse(["10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1", " 0.0.0.0/0 "])
                .unwrap();
        assert!(proxies.contains(ip("10.255.0.1")));
        assert!(proxies.contains(ip("192.0.2.7")));
        assert!(proxies.contains(ip("fd12::3")));
        assert!(proxies.contains(ip("::1")));
        // 0.0.0.0/0: every IPv4 address, and no IPv6 one.
        assert!(proxies.contains(ip("203.0.113.9")));
        assert!(!proxies.contains(ip("2001:db8::1")));

        let narrow = TrustedProxies::parse(["10.0.0.0/8", "192.0.2.7", "fd00::/8"]).unwrap();
        assert!(!narrow.contains(ip("11.0.0.1")));
        assert!(!narrow.contains(ip("192.0.2.8")));
        assert!(!narrow.contains(ip("fe00::1")));
        assert!(!narrow.contains(ip("127.0.0.1")));
        // A v4 peer on a dual-stack socket matches its v4 network.
        assert!(narrow.contains(ip("::ffff:10.1.2.3")));
        let everyone_v6 = TrustedProxies::parse(["::/0"]).unwrap();
        assert!(everyone_v6.contains(ip("2001:db8::1")));
        assert!(everyone_v6.contains(ip("10.0.0.1")), "as ::ffff:10.0.0.1");
        // A network written IPv4-mapped is the IPv4 network it maps.
        let mapped = TrustedProxies::parse(["::ffff:10.0.0.0/104", "::ffff:192.0.2.7"]).unwrap();
        assert!(mapped.contains(ip("10.9.9.9")) && mapped.contains(ip("::ffff:10.9.9.9")));
        assert!(mapped.contains(ip("192.0.2.7")));
        assert!(!mapped.contains(ip("11.0.0.1")) && !mapped.contains(ip("192.0.2.8")));
        assert_eq!(format!("{mapped:?}"), "[10.0.0.0/8, 192.0.2.7/32]");
        assert!(
            TrustedProxies::parse(Vec::<String>::new())
                .unwrap()
                .0
                .is_empty()
        );
    }

    #[test]
    fn a_bad_entry_is_named_with_what_is_wrong() {
        for (entry, why) in [
            ("proxy.internal", "is not an IP address"),
            ("10.0.0.0/33", "prefix length out of range"),
            ("fd00::/129", "prefix length out of range"),
            ("10.0.0.0/x", "prefix length out of range"),
            ("10.0.0.1/8", "bits set past its prefix length"),
            ("", "is not an IP address"),
        ] {
            let error = TrustedProxies::parse(["10.0.0.0/8", entry])
                .unwrap_err()
                .to_string();
            assert!(error.contains(&format!("`{entry}`")), "{error}");
            assert!(error.contains(why), "{entry}: {error}");
        }
    }

    #[test]
    fn only_a_listed_peer_is_returned() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8"]).unwrap();
        let from = |peer: &str| {
            let mut request = http::Request::new(()).into_parts().0;
            request
                .extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            request
        };
        assert_eq!(
            proxies.peer_of(&from("10.0.0.9:4000")),
            Some(ip("10.0.0.9"))
        );
        assert_eq!(proxies.peer_of(&from("127.0.0.1:4000")), None);
        let unknown = http::Request::new(()).into_parts().0;
        assert_eq!(proxies.peer_of(&unknown), None, "no peer, no trust");
    }
}
