//! Binding listeners, and what every accept loop shares: pausing after an accept error and
//! waiting for the stop signal.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;

/// Bind, with a clear error.
pub async fn bind(addr: &str) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let l = TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let a = l.local_addr()?;
    Ok((l, a))
}

/// Bind `n` listeners on one address with SO_REUSEPORT, one per worker. The address is
/// first bound alone (without SO_REUSEPORT), so a port another process listens on is
/// still an error rather than a silently shared port.
pub async fn bind_workers(addr: &str, n: usize) -> anyhow::Result<(Vec<std::net::TcpListener>, SocketAddr)> {
    let err = |e: std::io::Error| anyhow::anyhow!("cannot listen on {addr}: {e}");
    let mut resolved = tokio::net::lookup_host(addr).await.map_err(err)?;
    let want = resolved.next().ok_or_else(|| anyhow::anyhow!("cannot listen on {addr}: no address"))?;
    let probe = std::net::TcpListener::bind(want).map_err(err)?;
    let actual = probe.local_addr().map_err(err)?;
    drop(probe);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let sock =
            socket2::Socket::new(socket2::Domain::for_address(actual), socket2::Type::STREAM, None).map_err(err)?;
        sock.set_reuse_address(true).map_err(err)?;
        #[cfg(unix)]
        sock.set_reuse_port(true).map_err(err)?;
        sock.set_nonblocking(true).map_err(err)?;
        sock.bind(&actual.into()).map_err(err)?;
        sock.listen(4096).map_err(err)?;
        out.push(std::net::TcpListener::from(sock));
    }
    Ok((out, actual))
}

/// An accept error (EMFILE, ENOBUFS, ...): log it and pause, so a persistent error does not
/// spin the loop.
pub(crate) async fn accept_error(e: &std::io::Error) {
    tracing::warn!(error = %e, "accept failed");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
}

/// Until `stop` flips to true (or its sender is gone: the proxy is going away).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
