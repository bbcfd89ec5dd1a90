//! Protocol upgrades over HTTP/1.1 (`Connection: upgrade` + `Upgrade`, as WebSocket uses).
//!
//! The request path forwards the two fields (hop-by-hop, so otherwise removed) when an
//! HTTP/1.1 request without a body asks for an upgrade. An upstream that answers `101
//! Switching Protocols` hands over its connection ([`crate::upstream::UpBody`] becomes the
//! upstream-to-client stream); the request path then attaches a [`Tunnel`] to the response,
//! and the HTTP/1 server writes the `101` to the client and carries bytes both ways until
//! each side has closed. Both directions pass through the service's QoS shaper and the
//! endpoint's traffic counters, like request and response bodies, and the tunnel counts as
//! a request in flight to its endpoint (the latency algorithm weighs those) for its whole
//! life. The request's trace ends at the `101`. A tunnel silent in both directions for
//! `--tunnel-idle-timeout-seconds` is closed, and so is every tunnel when the proxy shuts
//! down. Any other answer (a `200`, a `426`) is an ordinary response, and the client
//! connection stays HTTP. `h2c` is never forwarded as an upgrade: an upstream that accepted
//! it would hand the client a raw HTTP/2 connection past the proxy's routing.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use http::header::{self, HeaderMap, HeaderValue};

use crate::balancer::{EndpointState, InFlight};
use crate::body::{Counting, Direction, Shaped};
use crate::h1::ClientBody;
use crate::shaping::{Flow, Link, ServiceSlot};
use crate::upstream::UpgradedWriter;
use crate::wire::lists_token;

/// The client-to-upstream half of an upgraded connection.
pub struct Tunnel {
    pub(crate) writer: UpgradedWriter,
    pub(crate) slot: Arc<ServiceSlot>,
    pub(crate) link: Option<Arc<Link>>,
    pub(crate) state: Arc<EndpointState>,
    pub(crate) delay_sink: Option<Arc<AtomicU64>>,
}

/// What the client sends, shaped and counted as ingress.
pub type ClientStream = Counting<Shaped<ClientBody>>;

impl Tunnel {
    /// The client-to-upstream stream over `client` (its bytes after the request head), the
    /// upstream's write half, and the in-flight mark the tunnel holds while it lives.
    pub fn open(self, client: ClientBody) -> (ClientStream, UpgradedWriter, InFlight<Arc<EndpointState>>) {
        let Tunnel { writer, slot, link, state, delay_sink } = self;
        let in_flight = InFlight::new(state.clone());
        let shaped = Shaped::new(client, Some(slot), link, Flow::Ingress, delay_sink);
        (Counting::new(shaped, Some(state), Direction::In), writer, in_flight)
    }
}

/// The protocol an HTTP/1.1 request asks to switch to: its `Upgrade` field, when a
/// `Connection` field lists `upgrade` and the field does not offer `h2c`.
pub fn requested(headers: &HeaderMap) -> Option<HeaderValue> {
    let listed = headers.get_all(header::CONNECTION).iter().any(|v| lists_token(v.as_bytes(), b"upgrade"));
    if !listed {
        return None;
    }
    let protocol = headers.get(header::UPGRADE).filter(|v| !v.is_empty())?;
    (!lists_token(protocol.as_bytes(), b"h2c")).then(|| protocol.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_needs_both_fields() {
        let mut h = HeaderMap::new();
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert_eq!(requested(&h), None, "Upgrade alone is not a request to switch");
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        assert_eq!(requested(&h), Some(HeaderValue::from_static("websocket")));
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        assert_eq!(requested(&h), None);
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.remove(header::UPGRADE);
        assert_eq!(requested(&h), None, "Connection: upgrade without a protocol");
        h.insert(header::UPGRADE, HeaderValue::from_static("foo, H2C"));
        assert_eq!(requested(&h), None, "h2c is never forwarded");
    }
}
