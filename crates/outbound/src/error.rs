//! [`OutboundError`]: a target refused by the policy, a name that does not resolve, or a
//! connection that failed. Its messages are summaries fit to show a viewer.

use std::fmt;
use std::io;
use std::net::IpAddr;

use crate::policy::Reason;

/// Why an outbound connection was not made.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The policy refused the target; nothing was sent to it.
    #[error("{0}")]
    Refused(Refusal),
    /// DNS could not answer for the name.
    #[error("cannot resolve {host}")]
    Resolve {
        host: String,
        #[source]
        source: io::Error,
    },
    /// DNS answered with no address.
    #[error("{host} has no address")]
    NoAddress { host: String },
    /// Every allowed address failed to connect (the last error).
    #[error("{}", crate::text::io_summary(.0))]
    Connect(#[source] io::Error),
    /// Not an http(s) URL with a host.
    #[error("invalid URL: {0}")]
    BadUrl(String),
}

impl OutboundError {
    /// Whether the policy refused the target (trying again will not help).
    pub fn is_refused(&self) -> bool {
        matches!(self, Self::Refused(_))
    }
}

/// A target the policy refused: a host name, or the address it was given or resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The name or literal address asked for.
    pub host: String,
    /// The refused address, when the host is a name that resolved to it.
    pub resolved: Option<IpAddr>,
    pub reason: Reason,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = crate::text::bounded(&self.host, 80);
        match self.resolved {
            Some(ip) => write!(f, "refused by outbound policy: {host} resolves to {ip}, {}", self.reason),
            None => write!(f, "refused by outbound policy: {host} is {}", self.reason),
        }
    }
}
