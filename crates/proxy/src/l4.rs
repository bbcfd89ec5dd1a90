//! Byte copying for L4 (TCP) services, counted per direction as it flows.

use std::sync::atomic::Ordering;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::balancer::EndpointState;

/// Copy both directions until both sides close, counting bytes.
pub async fn copy_counted(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    state: &EndpointState,
) -> std::io::Result<()> {
    let (mut cr, mut cw) = client.split();
    let (mut ur, mut uw) = upstream.split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0 {
                uw.shutdown().await?;
                return Ok::<_, std::io::Error>(());
            }
            uw.write_all(&buf[..n]).await?;
            state.counters.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = ur.read(&mut buf).await?;
            if n == 0 {
                cw.shutdown().await?;
                return Ok::<_, std::io::Error>(());
            }
            cw.write_all(&buf[..n]).await?;
            state.counters.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    tokio::try_join!(up, down).map(|_| ())
}
