//! The policy itself: what an address is ([`AddrClass`]), CIDR lists ([`Cidr`]), and
//! [`OutboundPolicy`], which decides whether an address or a host name may be contacted.
//! No I/O here (resolving and connecting are in `net`).

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;

/// What an address is, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrClass {
    /// A routable unicast address.
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and the deprecated site-local fec0::/10.
    Private,
    /// RFC 6598 shared address space (carrier-grade NAT), 100.64.0.0/10.
    Shared,
    /// Unique local IPv6, fc00::/7.
    UniqueLocal,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// An address where clouds serve instance metadata and credentials: 169.254.169.254
    /// (AWS, GCP, Azure, OpenStack, Oracle…), 169.254.170.2 (AWS ECS task credentials),
    /// fd00:ec2::254 (AWS over IPv6), 100.100.100.200 (Alibaba), 192.0.0.192 (Oracle).
    Metadata,
    /// 0.0.0.0/8, :: (connecting to it reaches this host).
    Unspecified,
    /// Multicast and broadcast: never a probe or backend target.
    NotUnicast,
}

impl AddrClass {
    /// Of an address (IPv4-mapped and NAT64 `64:ff9b::/96` IPv6 addresses are classed by the
    /// IPv4 address they carry).
    pub fn of(ip: IpAddr) -> Self {
        match canonical(ip) {
            IpAddr::V4(v4) => class_v4(v4),
            IpAddr::V6(v6) => class_v6(v6),
        }
    }

    /// Whether the policy's private-range switch governs this class.
    pub fn is_private(self) -> bool {
        matches!(self, Self::Loopback | Self::Private | Self::Shared | Self::UniqueLocal)
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Public => "a public address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::Shared => "a shared (carrier-grade NAT) address",
            Self::UniqueLocal => "a unique local address",
            Self::LinkLocal => "a link-local address",
            Self::Metadata => "a cloud metadata address",
            Self::Unspecified => "an unspecified address",
            Self::NotUnicast => "a multicast or broadcast address",
        }
    }
}

const METADATA_V4: [Ipv4Addr; 4] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(192, 0, 0, 192),
];
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)];

/// Host names of cloud metadata services, refused before any DNS lookup (they resolve to
/// metadata addresses anyway, which are refused after resolution).
const METADATA_NAMES: [&str; 7] = [
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.com",
    "metadata.tencentyun.com",
    "instance-data",
    "instance-data.ec2.internal",
];

fn class_v4(ip: Ipv4Addr) -> AddrClass {
    let o = ip.octets();
    if METADATA_V4.contains(&ip) {
        AddrClass::Metadata
    } else if o[0] == 0 {
        AddrClass::Unspecified
    } else if ip.is_loopback() {
        AddrClass::Loopback
    } else if ip.is_private() {
        AddrClass::Private
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        AddrClass::Shared
    } else if ip.is_link_local() {
        AddrClass::LinkLocal
    } else if ip.is_multicast() || ip.is_broadcast() {
        AddrClass::NotUnicast
    } else {
        AddrClass::Public
    }
}

fn class_v6(ip: Ipv6Addr) -> AddrClass {
    let s = ip.segments();
    if METADATA_V6.contains(&ip) {
        AddrClass::Metadata
    } else if ip.is_unspecified() {
        AddrClass::Unspecified
    } else if ip.is_loopback() {
        AddrClass::Loopback
    } else if (s[0] & 0xffc0) == 0xfe80 {
        AddrClass::LinkLocal
    } else if (s[0] & 0xffc0) == 0xfec0 {
        AddrClass::Private
    } else if (s[0] & 0xfe00) == 0xfc00 {
        AddrClass::UniqueLocal
    } else if ip.is_multicast() {
        AddrClass::NotUnicast
    } else {
        AddrClass::Public
    }
}

/// The address a connection really reaches: IPv4-mapped (`::ffff:a.b.c.d`) and NAT64
/// well-known-prefix (`64:ff9b::a.b.c.d`) IPv6 addresses as their IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let o = v6.octets();
                return IpAddr::V4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            ip
        }
        v4 => v4,
    }
}

/// An address range: `10.0.0.0/8`, `fd00::/8`, or one address (`/32`, `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, String> {
        if canonical(addr) != addr {
            return Err("write IPv4 ranges in IPv4 notation".into());
        }
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(format!("prefix /{prefix} is longer than {max} bits"));
        }
        let net = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Ok(Self { net, prefix })
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` (canonical) is in this range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => u32::from(a) & mask32(self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask128(self.prefix) == u128::from(n),
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
}

fn mask128(prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("`{s}` is not an address or CIDR range"))?;
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| format!("`{s}`: bad prefix length"))?,
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        Cidr::new(addr, prefix).map_err(|e| format!("`{s}`: {e}"))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

/// Why the policy refused a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Its class is refused: link-local, metadata, unspecified, not unicast, or private
    /// while private ranges are not allowed.
    Class(AddrClass),
    /// A range in the deny list matched (more specifically than any allowed range).
    DenyList,
    /// A cloud metadata service's host name.
    MetadataName,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Class(c) if c.is_private() => {
                write!(f, "{} and private ranges are not allowed (MARCHPROXY_OUTBOUND_ALLOW_PRIVATE)", c.describe())
            }
            Self::Class(c) => f.write_str(c.describe()),
            Self::DenyList => f.write_str("in a denied range (MARCHPROXY_OUTBOUND_DENY)"),
            Self::MetadataName => f.write_str("a cloud metadata host name"),
        }
    }
}

/// Which addresses outbound connections may reach. Cheap to clone.
///
/// An address is decided by, in order:
/// 1. the allow and deny lists: the longest matching range wins (deny on a tie), so a deny
///    list of `0.0.0.0/0` with an allow list of `10.1.0.0/16` allows only that range, and
///    an allowed range can re-allow a single link-local address;
/// 2. its class: link-local, cloud metadata, unspecified, multicast and broadcast are
///    refused; loopback, RFC 1918, CGNAT and unique-local ranges follow the private switch
///    (allowed by default); anything else is allowed.
///
/// Host names of metadata services are refused before any lookup; every other name is
/// decided by the addresses it resolves to.
#[derive(Clone)]
pub struct OutboundPolicy(Arc<Inner>);

struct Inner {
    allow_private: bool,
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
    /// Names answered without DNS (their addresses are checked like any answer).
    hosts: HashMap<String, Vec<IpAddr>>,
}

impl Default for OutboundPolicy {
    /// Private ranges allowed, no lists.
    fn default() -> Self {
        Self::new(true, Vec::new(), Vec::new())
    }
}

impl fmt::Debug for OutboundPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundPolicy")
            .field("allow_private", &self.0.allow_private)
            .field("allow", &self.0.allow)
            .field("deny", &self.0.deny)
            .finish()
    }
}

impl fmt::Display for OutboundPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |l: &[Cidr]| {
            if l.is_empty() { "none".to_string() } else { l.iter().map(Cidr::to_string).collect::<Vec<_>>().join(",") }
        };
        write!(
            f,
            "private ranges {}, allowed ranges {}, denied ranges {}; link-local and cloud metadata refused",
            if self.0.allow_private { "allowed" } else { "refused" },
            list(&self.0.allow),
            list(&self.0.deny)
        )
    }
}

impl OutboundPolicy {
    pub fn new(allow_private: bool, allow: Vec<Cidr>, deny: Vec<Cidr>) -> Self {
        Self(Arc::new(Inner { allow_private, allow, deny, hosts: HashMap::new() }))
    }

    /// The same policy, answering `name` with `addrs` instead of asking DNS. The addresses
    /// are checked like any DNS answer (tests use it to make a name resolve to a refused
    /// address).
    pub fn with_host(self, name: &str, addrs: &[IpAddr]) -> Self {
        let mut inner = Inner {
            allow_private: self.0.allow_private,
            allow: self.0.allow.clone(),
            deny: self.0.deny.clone(),
            hosts: self.0.hosts.clone(),
        };
        inner.hosts.insert(normalise_name(name), addrs.to_vec());
        Self(Arc::new(inner))
    }

    pub fn allows_private(&self) -> bool {
        self.0.allow_private
    }

    /// May a connection reach `ip`?
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Reason> {
        let longest = |l: &[Cidr]| l.iter().filter(|c| c.contains(ip)).map(|c| c.prefix()).max();
        match (longest(&self.0.allow), longest(&self.0.deny)) {
            (Some(a), Some(d)) if a > d => return Ok(()),
            (_, Some(_)) => return Err(Reason::DenyList),
            (Some(_), None) => return Ok(()),
            (None, None) => {}
        }
        match AddrClass::of(ip) {
            AddrClass::Public => Ok(()),
            c if c.is_private() && self.0.allow_private => Ok(()),
            c => Err(Reason::Class(c)),
        }
    }

    /// May a connection to the host name `name` be attempted at all (before resolving it)?
    pub fn check_name(&self, name: &str) -> Result<(), Reason> {
        let n = normalise_name(name);
        if METADATA_NAMES.contains(&n.as_str()) { Err(Reason::MetadataName) } else { Ok(()) }
    }

    /// The addresses configured for `name` with [`OutboundPolicy::with_host`].
    pub(crate) fn static_host(&self, name: &str) -> Option<&[IpAddr]> {
        self.0.hosts.get(&normalise_name(name)).map(Vec::as_slice)
    }
}

fn normalise_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classes() {
        for (a, c) in [
            ("169.254.169.254", AddrClass::Metadata),
            ("169.254.170.2", AddrClass::Metadata),
            ("100.100.100.200", AddrClass::Metadata),
            ("192.0.0.192", AddrClass::Metadata),
            ("fd00:ec2::254", AddrClass::Metadata),
            ("::ffff:169.254.169.254", AddrClass::Metadata),
            ("64:ff9b::a9fe:a9fe", AddrClass::Metadata),
            ("169.254.1.1", AddrClass::LinkLocal),
            ("fe80::1", AddrClass::LinkLocal),
            ("febf::1", AddrClass::LinkLocal),
            ("127.0.0.1", AddrClass::Loopback),
            ("::1", AddrClass::Loopback),
            ("::ffff:127.0.0.1", AddrClass::Loopback),
            ("10.1.2.3", AddrClass::Private),
            ("172.31.0.1", AddrClass::Private),
            ("192.168.1.1", AddrClass::Private),
            ("100.64.0.1", AddrClass::Shared),
            ("100.127.255.254", AddrClass::Shared),
            ("fd12::1", AddrClass::UniqueLocal),
            ("fc00::1", AddrClass::UniqueLocal),
            ("0.0.0.0", AddrClass::Unspecified),
            ("::", AddrClass::Unspecified),
            ("224.0.0.1", AddrClass::NotUnicast),
            ("255.255.255.255", AddrClass::NotUnicast),
            ("ff02::1", AddrClass::NotUnicast),
            ("8.8.8.8", AddrClass::Public),
            ("100.128.0.1", AddrClass::Public),
            ("172.32.0.1", AddrClass::Public),
            ("2001:4860::8888", AddrClass::Public),
        ] {
            assert_eq!(AddrClass::of(ip(a)), c, "{a}");
        }
    }

    #[test]
    fn default_refuses_link_local_and_metadata_but_allows_private() {
        let p = OutboundPolicy::default();
        for a in ["169.254.169.254", "fe80::1", "fd00:ec2::254", "100.100.100.200", "0.0.0.0", "::ffff:169.254.169.254"]
        {
            assert!(p.check_ip(ip(a)).is_err(), "{a}");
        }
        for a in ["127.0.0.1", "10.0.0.1", "192.168.0.10", "100.64.1.1", "fd12::1", "::1", "8.8.8.8"] {
            assert_eq!(p.check_ip(ip(a)), Ok(()), "{a}");
        }
        assert_eq!(p.check_name("metadata.google.internal."), Err(Reason::MetadataName));
        assert_eq!(p.check_name("Metadata.Azure.com"), Err(Reason::MetadataName));
        assert_eq!(p.check_name("jaeger.internal"), Ok(()));
    }

    #[test]
    fn private_switch_and_lists() {
        let p = OutboundPolicy::new(false, vec![], vec![]);
        assert_eq!(p.check_ip(ip("10.0.0.1")), Err(Reason::Class(AddrClass::Private)));
        assert_eq!(p.check_ip(ip("127.0.0.1")), Err(Reason::Class(AddrClass::Loopback)));
        assert_eq!(p.check_ip(ip("8.8.8.8")), Ok(()));
        // An allowed range re-allows part of the private space (or one link-local address).
        let p =
            OutboundPolicy::new(false, vec!["10.1.0.0/16".parse().unwrap(), "169.254.10.1".parse().unwrap()], vec![]);
        assert_eq!(p.check_ip(ip("10.1.2.3")), Ok(()));
        assert!(p.check_ip(ip("10.2.0.1")).is_err());
        assert_eq!(p.check_ip(ip("169.254.10.1")), Ok(()));
        assert!(p.check_ip(ip("169.254.10.2")).is_err());
        // Deny everything but one range: the longest match wins.
        let p = OutboundPolicy::new(
            true,
            vec!["10.1.0.0/16".parse().unwrap()],
            vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()],
        );
        assert_eq!(p.check_ip(ip("10.1.9.9")), Ok(()));
        assert_eq!(p.check_ip(ip("10.2.0.1")), Err(Reason::DenyList));
        assert_eq!(p.check_ip(ip("2001:db8::1")), Err(Reason::DenyList));
        // Private allowed, but not this host's own services.
        let p = OutboundPolicy::new(true, vec![], vec!["127.0.0.0/8".parse().unwrap()]);
        assert_eq!(p.check_ip(ip("127.0.0.1")), Err(Reason::DenyList));
        assert_eq!(p.check_ip(ip("::ffff:127.0.0.1")), Err(Reason::DenyList), "a mapped address is the same host");
        assert_eq!(p.check_ip(ip("10.0.0.1")), Ok(()));
        // A tie is a deny.
        let p = OutboundPolicy::new(true, vec!["8.8.8.8".parse().unwrap()], vec!["8.8.8.8/32".parse().unwrap()]);
        assert_eq!(p.check_ip(ip("8.8.8.8")), Err(Reason::DenyList));
    }

    #[test]
    fn cidr_parsing() {
        assert_eq!("10.1.2.3/8".parse::<Cidr>().unwrap().to_string(), "10.0.0.0/8");
        assert_eq!("fd00::1".parse::<Cidr>().unwrap().to_string(), "fd00::1/128");
        assert_eq!(" 127.0.0.1 ".parse::<Cidr>().unwrap().to_string(), "127.0.0.1/32");
        assert!("::ffff:10.0.0.0/104".parse::<Cidr>().is_err());
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("example.com".parse::<Cidr>().is_err());
        assert!("10.0.0.0/x".parse::<Cidr>().is_err());
        assert!("".parse::<Cidr>().is_err());
    }

    #[test]
    fn refusals_read_well() {
        assert_eq!(Reason::Class(AddrClass::LinkLocal).to_string(), "a link-local address");
        assert!(Reason::Class(AddrClass::Private).to_string().contains("MARCHPROXY_OUTBOUND_ALLOW_PRIVATE"));
    }
}
