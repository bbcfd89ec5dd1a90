//! What every request on one client connection shares: the peer, TLS or not, the socket
//! (for DSCP marking after routing) and the worker's upstream pools.

use std::net::SocketAddr;
use std::sync::Arc;

use http::HeaderValue;

use crate::dscp::Downstream;
use crate::upstream::pool::Pool;

/// The upstream pools of one worker thread: one pool per DSCP mark ([`crate::dscp::MARKS`]),
/// so pooled connections never mix classes.
pub type Upstreams = Arc<Vec<Pool>>;

/// What every request on one downstream connection shares, built once at accept.
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: bool,
    /// A handle on the socket so the service's DSCP mark can be applied after routing.
    pub downstream: Option<Downstream>,
    /// The client's IP as a header value, for `X-Forwarded-For`.
    pub peer_ip: HeaderValue,
    /// This worker's upstream pools.
    pub upstreams: Upstreams,
}

impl ConnInfo {
    pub fn new(peer: SocketAddr, tls: bool, downstream: Option<Downstream>, upstreams: Upstreams) -> Self {
        Self { peer, tls, downstream, peer_ip: peer_ip(peer), upstreams }
    }
}

/// The client's address, formatted once per connection.
pub(crate) fn peer_ip(peer: SocketAddr) -> HeaderValue {
    HeaderValue::from_str(&peer.ip().to_string()).expect("an IP address is a valid header value")
}
