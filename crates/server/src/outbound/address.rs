//! Which addresses outgoing requests may reach: the deny-list of server-side request forgery
//! targets, and the administrator's `--outbound-allow` exemptions from it.
//!
//! This module only classifies addresses and names; resolving and connecting happen in
//! [`connect`](super::connect).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why an address is refused as the target of an outgoing request.
///
/// An administrator types the URL of the application to link, and status checks and the proxy
/// then request it on their own. Without this list, that URL could reach services that trust
/// the server's network position: the loopback interface, the private network, a cloud's
/// metadata service at `169.254.169.254`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeniedRange {
    /// `0.0.0.0/8` and `::`: "this host", which connects to the loopback interface on Linux.
    Unspecified,
    /// `127.0.0.0/8` and `::1`.
    Loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7` and the deprecated
    /// site-local `fec0::/10`.
    Private,
    /// `100.64.0.0/10`, the shared address space of carrier-grade NAT.
    SharedAddressSpace,
    /// `169.254.0.0/16` (where clouds serve instance metadata) and `fe80::/10`.
    LinkLocal,
    /// `224.0.0.0/4` and `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24` and `2001:db8::/32`.
    Documentation,
    /// Other special-purpose ranges: `192.0.0.0/24`, `198.18.0.0/15`, `240.0.0.0/4`,
    /// `100::/64`, Teredo `2001::/32` and IPv4-compatible `::/96`.
    Reserved,
}

impl DeniedRange {
    /// Words for an administrator's message: "… is a {description} address".
    pub fn description(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified (this-host)",
            Self::Loopback => "loopback",
            Self::Private => "private-network",
            Self::SharedAddressSpace => "carrier-grade NAT (shared)",
            Self::LinkLocal => "link-local (cloud metadata)",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Documentation => "documentation-only",
            Self::Reserved => "reserved special-purpose",
        }
    }
}

impl fmt::Display for DeniedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// The range that makes `address` a forbidden target, or `None` for a public address.
///
/// IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
/// NAT64 `64:ff9b::/96` and 6to4 `2002::/16`) are judged by the IPv4 address inside, so
/// `::ffff:127.0.0.1` is loopback.
pub fn denied_range(address: IpAddr) -> Option<DeniedRange> {
    match address {
        IpAddr::V4(v4) => denied_v4(v4),
        IpAddr::V6(v6) => denied_v6(v6),
    }
}

fn denied_v4(address: Ipv4Addr) -> Option<DeniedRange> {
    let [a, b, c, _] = address.octets();
    let range = match (a, b, c) {
        (0, _, _) => DeniedRange::Unspecified,
        (127, _, _) => DeniedRange::Loopback,
        (10, _, _) | (192, 168, _) => DeniedRange::Private,
        (172, 16..=31, _) => DeniedRange::Private,
        (100, 64..=127, _) => DeniedRange::SharedAddressSpace,
        (169, 254, _) => DeniedRange::LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => DeniedRange::Documentation,
        (192, 0, 0) | (198, 18..=19, _) => DeniedRange::Reserved,
        (224..=239, _, _) => DeniedRange::Multicast,
        _ if address == Ipv4Addr::BROADCAST => DeniedRange::Broadcast,
        (240..=255, _, _) => DeniedRange::Reserved,
        _ => return None,
    };
    Some(range)
}

fn denied_v6(address: Ipv6Addr) -> Option<DeniedRange> {
    let segments = address.segments();
    if address.is_unspecified() {
        return Some(DeniedRange::Unspecified);
    }
    if address.is_loopback() {
        return Some(DeniedRange::Loopback);
    }
    if let Some(v4) = address.to_ipv4_mapped() {
        return denied_v4(v4);
    }
    let embedded = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    let range = match segments {
        // IPv4-compatible addresses are deprecated (RFC 4291 §2.5.5.1); none is legitimate.
        [0, 0, 0, 0, 0, 0, high, low] => {
            denied_v4(embedded(high, low)).unwrap_or(DeniedRange::Reserved)
        }
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => return denied_v4(embedded(high, low)),
        [0x2002, high, low, ..] => return denied_v4(embedded(high, low)),
        [0x2001, 0xdb8, ..] => DeniedRange::Documentation,
        [0x2001, 0, ..] | [0x100, 0, 0, 0, ..] => DeniedRange::Reserved,
        [first, ..] if first & 0xfe00 == 0xfc00 => DeniedRange::Private,
        [first, ..] if first & 0xffc0 == 0xfec0 => DeniedRange::Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => DeniedRange::LinkLocal,
        [first, ..] if first & 0xff00 == 0xff00 => DeniedRange::Multicast,
        _ => return None,
    };
    Some(range)
}

/// The exemptions from the deny-list, from `--outbound-allow` (`APPLINKS_OUTBOUND_ALLOW`).
///
/// Written as comma-separated entries, each a CIDR block (`10.1.0.0/16`, `fd00::/8`), a single
/// address (`192.168.1.20`, `::1`) or a host name (`jira.internal`). Linked applications on a
/// private network are reached by allowing their addresses or names; tests allow loopback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    rules: Vec<AllowRule>,
}

impl AllowList {
    /// An allow-list with these rules.
    pub fn new(rules: Vec<AllowRule>) -> Self {
        Self { rules }
    }

    /// The rules, in the order they were given.
    pub fn rules(&self) -> &[AllowRule] {
        &self.rules
    }

    /// Whether requests to `host` (a domain name as it appears in a URL) skip the deny-list.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = normalise_name(host);
        self.rules
            .iter()
            .any(|rule| matches!(rule, AllowRule::Host(name) if *name == host))
    }

    /// Whether `address` is inside an allowed network.
    pub fn allows_address(&self, address: IpAddr) -> bool {
        self.rules
            .iter()
            .any(|rule| matches!(rule, AllowRule::Network(network) if network.contains(address)))
    }
}

impl FromStr for AllowList {
    type Err = AllowRuleError;

    /// Parses comma-separated rules; blanks around entries and empty entries are ignored, so an
    /// empty string is an empty list.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let rules = raw
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, rule) in self.rules.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{rule}")?;
        }
        Ok(())
    }
}

/// One exemption from the deny-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowRule {
    /// Addresses inside this network are allowed, whatever name led to them.
    Network(Cidr),
    /// This host name (lower case, without a trailing dot) skips the check of the addresses it
    /// resolves to. A name allows itself only: `jira.internal` does not allow
    /// `x.jira.internal`.
    Host(String),
}

impl FromStr for AllowRule {
    type Err = AllowRuleError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let entry = raw.trim();
        let refuse = |reason: &str| AllowRuleError {
            entry: entry.to_owned(),
            reason: reason.to_owned(),
        };

        if entry.is_empty() {
            return Err(refuse("the entry is empty"));
        }
        if entry.contains("://") {
            return Err(refuse(
                "write a host name without scheme or port, like `jira.internal`",
            ));
        }
        if entry.contains('/') || entry.parse::<IpAddr>().is_ok() {
            return entry.parse().map(Self::Network);
        }
        if entry.starts_with('[') && entry.ends_with(']') {
            return entry[1..entry.len() - 1]
                .parse::<Cidr>()
                .map(Self::Network)
                .map_err(|_| refuse("not an IPv6 address"));
        }
        if entry.contains(':') {
            return Err(refuse(
                "write a host name without scheme or port, like `jira.internal`",
            ));
        }

        let name = normalise_name(entry);
        // A name ending in a number is how URLs spell IPv4 addresses (`10.1` is 10.0.0.1),
        // so such an entry would never match a URL's host as a name.
        if name.rsplit('.').next().is_some_and(|last| {
            last.chars().all(|c| c.is_ascii_digit())
                || last.starts_with("0x")
                || last.starts_with("0X")
        }) {
            return Err(refuse(
                "looks like a partial IP address; write a full address or a CIDR block",
            ));
        }
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if name.len() > 253 || !name.split('.').all(valid_label) {
            return Err(refuse(
                "not a host name (letters, digits, `-` and `_` in dot-separated labels)",
            ));
        }
        Ok(Self::Host(name))
    }
}

impl fmt::Display for AllowRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(network) => write!(f, "{network}"),
            Self::Host(name) => f.write_str(name),
        }
    }
}

/// An `--outbound-allow` entry that is neither a CIDR block, an address nor a host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --outbound-allow entry `{entry}`: {reason}")]
pub struct AllowRuleError {
    /// The entry as given.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A block of addresses, `address/prefix`, with no bits set after the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The block's first address.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The number of leading bits that every address in the block shares.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `address` is inside the block. An IPv4-mapped IPv6 address is inside an IPv4
    /// block when its IPv4 address is.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => mask_v4(address, self.prefix) == network,
            (IpAddr::V6(network), IpAddr::V6(address)) => mask_v6(address, self.prefix) == network,
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = AllowRuleError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let refuse = |reason: String| AllowRuleError {
            entry: raw.to_owned(),
            reason,
        };
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| refuse(format!("`{address}` is not an IP address")))?;
        let address = address.to_canonical();
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(digits) => digits
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= max)
                .ok_or_else(|| refuse(format!("the prefix length must be 0 to {max}")))?,
        };

        let network = match address {
            IpAddr::V4(v4) => IpAddr::V4(mask_v4(v4, prefix)),
            IpAddr::V6(v6) => IpAddr::V6(mask_v6(v6, prefix)),
        };
        if network != address {
            return Err(refuse(format!(
                "bits are set after the prefix; did you mean {network}/{prefix}?"
            )));
        }
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn mask_v4(address: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    Ipv4Addr::from(u32::from(address) & mask)
}

fn mask_v6(address: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    Ipv6Addr::from(u128::from(address) & mask)
}

/// A host name as rules and URLs are compared: lower case, without the root's trailing dot.
fn normalise_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(address: &str) -> Option<DeniedRange> {
        denied_range(address.parse().unwrap())
    }

    #[test]
    fn ssrf_targets_are_denied() {
        for (address, expected) in [
            ("127.0.0.1", DeniedRange::Loopback),
            ("127.255.0.9", DeniedRange::Loopback),
            ("0.0.0.0", DeniedRange::Unspecified),
            ("10.0.0.1", DeniedRange::Private),
            ("172.16.0.1", DeniedRange::Private),
            ("172.31.255.255", DeniedRange::Private),
            ("192.168.1.1", DeniedRange::Private),
            ("100.64.0.1", DeniedRange::SharedAddressSpace),
            ("169.254.169.254", DeniedRange::LinkLocal),
            ("224.0.0.1", DeniedRange::Multicast),
            ("255.255.255.255", DeniedRange::Broadcast),
            ("240.0.0.1", DeniedRange::Reserved),
            ("192.0.2.10", DeniedRange::Documentation),
            ("::", DeniedRange::Unspecified),
            ("::1", DeniedRange::Loopback),
            ("fc00::1", DeniedRange::Private),
            ("fd12:3456::1", DeniedRange::Private),
            ("fe80::1", DeniedRange::LinkLocal),
            ("ff02::1", DeniedRange::Multicast),
            ("2001:db8::1", DeniedRange::Documentation),
            ("::ffff:127.0.0.1", DeniedRange::Loopback),
            ("::ffff:169.254.169.254", DeniedRange::LinkLocal),
            ("::ffff:10.1.2.3", DeniedRange::Private),
            ("::127.0.0.1", DeniedRange::Loopback),
            ("::8.8.8.8", DeniedRange::Reserved),
            ("64:ff9b::a9fe:a9fe", DeniedRange::LinkLocal),
            ("2002:7f00:1::", DeniedRange::Loopback),
        ] {
            assert_eq!(range(address), Some(expected), "{address}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for address in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(range(address), None, "{address}");
        }
    }

    #[test]
    fn allow_list_parses_networks_addresses_and_names() {
        let list: AllowList = " 10.1.0.0/16, 127.0.0.1 ,, [::1], fd00::/8, Jira.Internal. "
            .parse()
            .unwrap();
        assert_eq!(
            list.to_string(),
            "10.1.0.0/16,127.0.0.1/32,::1/128,fd00::/8,jira.internal"
        );
        assert!(list.allows_address("10.1.200.3".parse().unwrap()));
        assert!(!list.allows_address("10.2.0.1".parse().unwrap()));
        assert!(list.allows_address("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!list.allows_address("127.0.0.2".parse().unwrap()));
        assert!(list.allows_host("JIRA.internal."));
        assert!(!list.allows_host("x.jira.internal"));
        assert_eq!("".parse::<AllowList>().unwrap(), AllowList::default());
        assert!(
            "0.0.0.0/0"
                .parse::<AllowList>()
                .unwrap()
                .allows_address("8.8.8.8".parse().unwrap())
        );
    }

    #[test]
    fn invalid_allow_entries_are_refused_with_the_reason() {
        for (entry, reason) in [
            ("10.0.0.1/8", "did you mean 10.0.0.0/8?"),
            ("10.0.0.0/33", "prefix length must be 0 to 32"),
            ("fd00::/129", "prefix length must be 0 to 128"),
            ("10.0.0.0/x", "prefix length"),
            ("not-an-ip/8", "is not an IP address"),
            ("http://jira.internal", "without scheme or port"),
            ("jira.internal:8080", "without scheme or port"),
            ("10.1", "partial IP address"),
            ("0x7f.1", "partial IP address"),
            ("jira..internal", "not a host name"),
            ("-jira", "not a host name"),
            ("jira internal", "not a host name"),
            ("[nope]", "not an IPv6 address"),
        ] {
            let error = entry.parse::<AllowList>().unwrap_err();
            assert!(error.to_string().contains(reason), "{entry}: {error}");
            assert!(error.to_string().contains("--outbound-allow"), "{error}");
        }
    }
}
