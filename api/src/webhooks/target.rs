//! Which addresses a webhook may reach (推送目标限制).
//!
//! A subscription names a URL, and this service then sends requests to it on its own
//! initiative, from inside the bureau's network. Unchecked, a subscriber could point it
//! at the service's own loopback, the database next to it, a cloud metadata address or
//! any internal host (server-side request forgery), and learn from the delivery errors
//! what answers there. So a target must resolve to public unicast addresses only:
//! loopback, private (RFC 1918, IPv6 unique local), shared (100.64/10), link-local,
//! multicast, broadcast, unspecified and "this network" addresses are refused, whatever
//! way they are written (`localhost`, `0`, `2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`)
//! — unless an operator allow-lists them (`serve --webhook-allow CIDR`).
//!
//! The check runs when subscribing and again before every delivery, on the addresses the
//! name resolves to at that moment; the connection goes to an address so checked, never
//! to a second resolution, so a name that resolves differently later (DNS rebinding)
//! gains nothing. Refusals say what failed, never which address a name resolved to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a target is refused; the text is shown to the subscriber.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefused {
    /// The host is, or resolves to, an address that is not public.
    #[error(
        "the target host is or resolves to an address this service does not deliver to \
         (loopback, private, link-local, multicast, broadcast or unspecified); an operator \
         may allow it with serve --webhook-allow"
    )]
    NotPublic,
    /// The host name does not resolve now.
    #[error("the target host name does not resolve")]
    Unresolved,
}

/// The operator's allow-list: networks a webhook may reach although not public.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Each allowed network: its address and prefix length.
    allow: Vec<(IpAddr, u8)>,
}

impl TargetPolicy {
    /// Public addresses only: the default.
    pub fn public_only() -> TargetPolicy {
        TargetPolicy::default()
    }

    /// Public addresses and the networks of `allow`, each `ADDRESS` or `ADDRESS/PREFIX`
    /// (`127.0.0.1`, `10.1.0.0/16`, `::1/128`); the error names the entry and what was
    /// expected.
    pub fn allowing<S: AsRef<str>>(allow: &[S]) -> Result<TargetPolicy, String> {
        let mut out = TargetPolicy::default();
        for entry in allow {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            let (address, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let address: IpAddr = address.parse().map_err(|_| {
                format!("--webhook-allow {entry:?}: expected an IP address or ADDRESS/PREFIX")
            })?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                    format!("--webhook-allow {entry:?}: expected a prefix length 0..={max}")
                })?,
            };
            out.allow.push((address, prefix));
        }
        Ok(out)
    }

    /// Whether a delivery may go to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        is_public(ip) || self.allow.iter().any(|(net, len)| within(ip, *net, *len))
    }

    /// The addresses `host:port` resolves to now, each allowed; refused when any is not
    /// (a name with one private address among public ones is refused whole).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, TargetRefused> {
        let addresses: Vec<SocketAddr> = match literal(host) {
            Some(ip) => vec![SocketAddr::new(ip, port)],
            None => tokio::net::lookup_host((host, port))
                .await
                .map_err(|_| TargetRefused::Unresolved)?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(TargetRefused::Unresolved);
        }
        if addresses.iter().all(|a| self.allows(a.ip())) {
            Ok(addresses)
        } else {
            Err(TargetRefused::NotPublic)
        }
    }

    /// The check when subscribing: a literal address (in any of its spellings) must be
    /// allowed; a name must resolve to allowed addresses, or, when it does not resolve
    /// now, at least not be a name of this machine (`localhost`).
    pub async fn check_subscription(&self, host: &str, port: u16) -> Result<(), TargetRefused> {
        match self.resolve(host, port).await {
            Ok(_) => Ok(()),
            Err(TargetRefused::Unresolved) if !is_local_name(host) => Ok(()),
            Err(TargetRefused::Unresolved) => Err(TargetRefused::NotPublic),
            Err(e) => Err(e),
        }
    }
}

/// `localhost` and its subdomains (RFC 6761), which never leave the machine.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// `host` as an address, also in the legacy IPv4 spellings that resolvers accept
/// (`inet_aton`: one to four parts, each decimal, octal with a leading 0 or hex with 0x).
pub fn literal(host: &str) -> Option<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(ip);
    }
    legacy_ipv4(host).map(IpAddr::V4)
}

fn legacy_ipv4(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for part in &parts {
        let (digits, radix) =
            if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                (hex, 16)
            } else if part.len() > 1 && part.starts_with('0') {
                (&part[1..], 8)
            } else {
                (*part, 10)
            };
        if digits.is_empty() && radix != 16 {
            return None;
        }
        let n = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        numbers.push(n);
    }
    // the last part fills the remaining bytes: a.b.c.d, a.b.(c,d), a.(b,c,d), (a,b,c,d)
    let (last, leading) = numbers.split_last()?;
    let rest_bits = 8 * (4 - leading.len() as u32);
    if leading.iter().any(|n| *n > 255) || *last >= 1u64 << rest_bits {
        return None;
    }
    let mut value: u64 = 0;
    for (i, n) in leading.iter().enumerate() {
        value |= n << (24 - 8 * i as u32);
    }
    value |= last;
    Some(Ipv4Addr::from(u32::try_from(value).ok()?))
}

/// An IPv4-mapped or IPv4-compatible IPv6 address as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Public unicast: none of the ranges of the module's list.
fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || is_ipv4_compatible(v6))
        }
    }
}

/// `::a.b.c.d` (deprecated IPv4-compatible addresses, which some stacks still route).
fn is_ipv4_compatible(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    s[..6].iter().all(|x| *x == 0) && !v6.is_unspecified() && !v6.is_loopback()
}

/// Whether `ip` lies in `net/len`.
fn within(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, canonical(net)) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        match literal(s) {
            Some(ip) => ip,
            None => panic!("{s} is not an address"),
        }
    }

    #[test]
    fn every_spelling_of_an_internal_address_is_refused() {
        let policy = TargetPolicy::public_only();
        for internal in [
            "127.0.0.1",
            "127.1",
            "2130706433",
            "0x7f000001",
            "0x7f.1",
            "0177.0.0.1",
            "0",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "fe80::1",
            "fd00::1",
            "ff02::1",
        ] {
            assert!(!policy.allows(ip(internal)), "{internal}");
        }
        for public in ["8.8.8.8", "203.0.113.10", "2001:db8::1", "2606:4700::1111"] {
            assert!(policy.allows(ip(public)), "{public}");
        }
        assert_eq!(literal("example.org"), None);
        assert_eq!(literal("1.2.3.4.5"), None);
        assert_eq!(literal("256.1.1.1"), None);
    }

    #[test]
    fn an_operator_allows_networks_by_prefix() {
        let Ok(policy) = TargetPolicy::allowing(&["127.0.0.1", "10.1.0.0/16", "fd00::/8"]) else {
            panic!("a valid allow-list")
        };
        assert!(policy.allows(ip("127.0.0.1")));
        assert!(policy.allows(ip("::ffff:127.0.0.1")));
        assert!(!policy.allows(ip("127.0.0.2")));
        assert!(policy.allows(ip("10.1.200.3")));
        assert!(!policy.allows(ip("10.2.0.1")));
        assert!(policy.allows(ip("fd12::1")));
        assert!(TargetPolicy::allowing(&["10.0.0.0/33"]).is_err());
        assert!(TargetPolicy::allowing(&["intranet"]).is_err());
    }

    #[tokio::test]
    async fn names_of_this_machine_are_refused_when_subscribing() {
        let policy = TargetPolicy::public_only();
        for host in ["localhost", "LOCALHOST.", "api.localhost", "127.0.0.1", "0"] {
            assert_eq!(
                policy.check_subscription(host, 80).await,
                Err(TargetRefused::NotPublic),
                "{host}"
            );
        }
        assert_eq!(
            policy.resolve("127.0.0.1", 80).await,
            Err(TargetRefused::NotPublic)
        );
        let Ok(allowed) = TargetPolicy::allowing(&["127.0.0.1/32"]) else {
            panic!("allow-list")
        };
        assert_eq!(
            allowed.resolve("127.0.0.1", 8080).await.map(|a| a.len()),
            Ok(1)
        );
    }
}
