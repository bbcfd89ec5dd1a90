//! [`OutboundArgs`]: the policy's settings, shared by `marchproxy serve` and `marchproxy
//! proxy` (each is a `--flag` and an environment variable).

use std::str::FromStr;

use crate::policy::{Cidr, OutboundPolicy};

/// A comma-separated list of ranges; an empty value (an empty environment variable) is an
/// empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CidrList(pub Vec<Cidr>);

impl FromStr for CidrList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',').map(str::trim).filter(|c| !c.is_empty()).map(Cidr::from_str).collect::<Result<_, _>>().map(Self)
    }
}

/// Where outbound connections (health probes, span search backends, span exporters, test
/// spans, the license server) may go. Link-local and cloud metadata addresses are always
/// refused unless an allowed range names them.
#[derive(Debug, Clone, clap::Args)]
pub struct OutboundArgs {
    /// Allow outbound connections to private ranges: RFC 1918, loopback, carrier-grade NAT
    /// (100.64.0.0/10) and IPv6 unique-local (fc00::/7). On by default: a multi-cloud
    /// router's endpoints and tracing backends are very often private addresses.
    #[arg(long = "outbound-allow-private", env = "MARCHPROXY_OUTBOUND_ALLOW_PRIVATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub allow_private: bool,

    /// Address ranges outbound connections may reach whatever their kind (comma-separated
    /// CIDRs or addresses); the longest matching range of this and the deny list decides.
    #[arg(long = "outbound-allow", env = "MARCHPROXY_OUTBOUND_ALLOW", default_value = "", hide_default_value = true)]
    pub allow: CidrList,

    /// Address ranges outbound connections must not reach (comma-separated CIDRs or
    /// addresses), e.g. 127.0.0.0/8 to keep private ranges but not this host's own ports.
    #[arg(long = "outbound-deny", env = "MARCHPROXY_OUTBOUND_DENY", default_value = "", hide_default_value = true)]
    pub deny: CidrList,
}

impl Default for OutboundArgs {
    fn default() -> Self {
        Self { allow_private: true, allow: CidrList::default(), deny: CidrList::default() }
    }
}

impl OutboundArgs {
    pub fn policy(&self) -> OutboundPolicy {
        OutboundPolicy::new(self.allow_private, self.allow.0.clone(), self.deny.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        outbound: OutboundArgs,
    }

    #[test]
    fn flags_parse() {
        let c = Cli::parse_from(["x"]);
        assert!(c.outbound.allow_private && c.outbound.allow.0.is_empty() && c.outbound.deny.0.is_empty());
        // An empty value (an empty environment variable) is an empty list.
        let c = Cli::parse_from(["x", "--outbound-deny", "", "--outbound-allow", " , "]);
        assert!(c.outbound.allow.0.is_empty() && c.outbound.deny.0.is_empty());
        let c = Cli::parse_from([
            "x",
            "--outbound-allow-private",
            "false",
            "--outbound-allow",
            "10.1.0.0/16,169.254.10.1",
            "--outbound-deny",
            "127.0.0.0/8",
        ]);
        assert!(!c.outbound.allow_private);
        assert_eq!(c.outbound.allow.0.len(), 2);
        assert_eq!(
            c.outbound.policy().to_string(),
            "private ranges refused, allowed ranges 10.1.0.0/16,169.254.10.1/32, denied ranges 127.0.0.0/8; link-local and cloud metadata refused"
        );
        assert!(Cli::try_parse_from(["x", "--outbound-deny", "not-a-range"]).is_err());
    }
}
