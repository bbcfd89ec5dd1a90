//! Byte copying for L4 (TCP) services, counted and shaped per direction as it flows.

use std::sync::atomic::Ordering;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::balancer::EndpointState;
use crate::shaping::{self, Flow, Link, MAX_CHUNK, ServiceSlot};

/// The service's shaping, consulted per chunk (so live policy changes apply).
pub struct Shaping<'a> {
    pub slot: &'a ServiceSlot,
    pub link: Option<&'a Link>,
}

impl Shaping<'_> {
    /// How much to read at once: the policy's chunk size, so a burst is never exceeded.
    fn chunk(&self) -> usize {
        self.slot.active().map_or(MAX_CHUNK, |s| s.chunk_size())
    }

    async fn grant(&self, flow: Flow, n: usize) {
        if let Some(s) = self.slot.active().map(|s| std::sync::Arc::clone(&s)) {
            let delay = shaping::acquire(&s, self.link, flow, n).await;
            s.record(n, delay, s.params().sla_ms);
        }
    }
}

/// Copy both directions until both sides close, counting and shaping bytes. Reads are
/// at most one chunk, and the next read waits for the grant (backpressure).
pub async fn copy_counted(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    state: &EndpointState,
    shaping: &Shaping<'_>,
) -> std::io::Result<()> {
    let (mut cr, mut cw) = client.split();
    let (mut ur, mut uw) = upstream.split();
    let up = async {
        let mut buf = vec![0u8; MAX_CHUNK];
        loop {
            let n = cr.read(&mut buf[..shaping.chunk()]).await?;
            if n == 0 {
                uw.shutdown().await?;
                return Ok::<_, std::io::Error>(());
            }
            shaping.grant(Flow::Ingress, n).await;
            uw.write_all(&buf[..n]).await?;
            state.counters.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    let down = async {
        let mut buf = vec![0u8; MAX_CHUNK];
        loop {
            let n = ur.read(&mut buf[..shaping.chunk()]).await?;
            if n == 0 {
                cw.shutdown().await?;
                return Ok::<_, std::io::Error>(());
            }
            shaping.grant(Flow::Egress, n).await;
            cw.write_all(&buf[..n]).await?;
            state.counters.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    tokio::try_join!(up, down).map(|_| ())
}
