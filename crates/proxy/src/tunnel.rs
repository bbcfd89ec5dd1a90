//! Protocol upgrades over HTTP/1.1 (`Connection: upgrade` + `Upgrade`, as WebSocket uses).
//!
//! The request path forwards the two fields (hop-by-hop, so otherwise removed) when an
//! HTTP/1.1 request without a body asks for an upgrade. An upstream that answers `101
//! Switching Protocols` hands over its connection ([`crate::upstream::UpBody`] becomes the
//! upstream-to-client stream); the request path then attaches a [`Tunnel`] to the response,
//! and the HTTP/1 server writes the `101` to the client and carries bytes both ways until
//! each side has closed. Both directions pass through the service's QoS shaper and the
//! endpoint's traffic counters, like request and response bodies. Any other answer (a
//! `200`, a `426`) is an ordinary response, and the client connection stays HTTP.

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use http::header::{self, HeaderMap, HeaderValue};
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;

use crate::balancer::EndpointState;
use crate::body::{Counting, Direction, Shaped};
use crate::h1::ClientBody;
use crate::shaping::{Flow, Link, ServiceSlot};
use crate::upstream::UpgradedWriter;

/// The client-to-upstream half of an upgraded connection.
pub struct Tunnel {
    pub(crate) writer: UpgradedWriter,
    pub(crate) slot: Arc<ServiceSlot>,
    pub(crate) link: Option<Arc<Link>>,
    pub(crate) state: Arc<EndpointState>,
    pub(crate) delay_sink: Option<Arc<AtomicU64>>,
}

impl Tunnel {
    /// Carry what the client sends to the upstream, shaped and counted as ingress, until
    /// the client closes its side; then close the upstream's write side.
    pub async fn pump(self, client: ClientBody) -> io::Result<()> {
        let Tunnel { mut writer, slot, link, state, delay_sink } = self;
        let shaped = Shaped::new(client, Some(slot), link, Flow::Ingress, delay_sink);
        let mut body = Counting::new(shaped, Some(state), Direction::In);
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                writer.write_all(&data).await?;
                writer.flush().await?;
            }
        }
        writer.shutdown().await
    }
}

/// The protocol an HTTP/1.1 request asks to switch to: its `Upgrade` field, when a
/// `Connection` field lists `upgrade`.
pub fn requested(headers: &HeaderMap) -> Option<HeaderValue> {
    let listed = headers
        .get_all(header::CONNECTION)
        .iter()
        .any(|v| v.as_bytes().split(|b| *b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade")));
    if !listed {
        return None;
    }
    headers.get(header::UPGRADE).filter(|v| !v.is_empty()).cloned()
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
    }
}
