//! Protocol upgrades over HTTP/1.1 (`Connection: upgrade` + `Upgrade`, as WebSocket uses).
//!
//! The request path forwards the two fields (hop-by-hop, so otherwise removed) when an
//! HTTP/1.1 request without a body asks for an upgrade. An upstream that answers `101
//! Switching Protocols` hands over its connection ([`crate::upstream::response::UpBody`]
//! becomes the upstream-to-client stream); the request path then attaches a [`Tunnel`] to
//! the response, and the HTTP/1 server hands its connection to `run`, which writes the
//! `101` to the client and carries bytes both ways until each side has closed. Both directions pass through the service's QoS shaper and the
//! endpoint's traffic counters, like request and response bodies, and the tunnel counts as
//! a request in flight to its endpoint (the latency algorithm weighs those) for its whole
//! life. The request's trace ends at the `101`. A tunnel silent in both directions for
//! `--tunnel-idle-timeout-seconds` is closed, and so is every tunnel when the proxy shuts
//! down. Any other answer (a `200`, a `426`) is an ordinary response, and the client
//! connection stays HTTP. `h2c` is never forwarded as an upgrade: an upstream that accepted
//! it would hand the client a raw HTTP/2 connection past the proxy's routing.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http::header::{self, HeaderMap, HeaderValue};
use http_body::Body;
use http_body_util::BodyExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::balancer::{EndpointState, InFlight};
use crate::body::counting::{Counting, Direction};
use crate::body::shaped::Shaped;
use crate::codec::{ClientBody, Framing, H1Body, Reader};
use crate::shaping::{Flow, Link, ServiceSlot};
use crate::upstream::response::UpgradedWriter;
use crate::wire::{lists_token, put_field};

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

/// Write the `101` head, then carry bytes both ways until each side has closed, either
/// fails, the tunnel is silent both ways for `idle`, or the proxy stops.
pub(crate) async fn run<W, S, B>(
    reader: Reader,
    mut w: W,
    wbuf: &mut Vec<u8>,
    resp: Response<B>,
    tunnel: Box<Tunnel>,
    idle: Duration,
    mut stopping: Pin<&mut S>,
) where
    W: AsyncWrite + Unpin,
    S: Future<Output = ()>,
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, mut body) = resp.into_parts();
    wbuf.clear();
    wbuf.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\n");
    for (name, value) in &parts.headers {
        put_field(wbuf, name.as_str().as_bytes(), value.as_bytes());
    }
    wbuf.extend_from_slice(b"\r\n");
    if w.write_all(wbuf).await.is_err() || w.flush().await.is_err() {
        return;
    }
    // Everything the client sends from now on, until it closes; nothing reads it afterwards.
    let client = ClientBody::H1(H1Body::new(reader, Framing::Tunnel, Arc::new(Mutex::new(None))));
    let (mut from_client, mut to_upstream, _in_flight) = tunnel.open(client);
    // Bytes carried either way, for the idle check.
    let moved = std::sync::atomic::AtomicU64::new(0);
    let up = async {
        while let Some(frame) = from_client.frame().await {
            if let Ok(data) = frame?.into_data() {
                moved.fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
                to_upstream.write_all(&data).await?;
                to_upstream.flush().await?;
            }
        }
        to_upstream.shutdown().await
    };
    let down = async {
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.map_err(|e| io::Error::other(e.into()))?.into_data() {
                moved.fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
                w.write_all(&data).await?;
                w.flush().await?;
            }
        }
        w.shutdown().await
    };
    tokio::pin!(up, down);
    let mut timer = std::pin::pin!(tokio::time::sleep(idle));
    let (mut up_done, mut down_done, mut seen) = (false, false, 0u64);
    while !(up_done && down_done) {
        let failed = tokio::select! {
            r = &mut up, if !up_done => { up_done = true; r.is_err() }
            r = &mut down, if !down_done => { down_done = true; r.is_err() }
            _ = &mut timer => {
                let now_moved = moved.load(std::sync::atomic::Ordering::Relaxed);
                if now_moved == seen {
                    return; // silent for a whole period
                }
                seen = now_moved;
                timer.as_mut().reset(tokio::time::Instant::now() + idle);
                false
            }
            _ = &mut stopping => return,
        };
        if failed {
            // A reset or a broken side ends both directions.
            return;
        }
    }
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
