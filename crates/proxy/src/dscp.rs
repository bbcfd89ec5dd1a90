//! DSCP marking: the TOS byte (IPv4 `IP_TOS`) or traffic class (IPv6 `IPV6_TCLASS`) on the
//! sockets of a service's traffic, and an upstream connector per mark (set before the SYN)
//! so pooled upstream connections never mix classes.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::time::Duration;

use http::Uri;
use hyper_util::rt::TokioIo;
use marchproxy_outbound::OutboundPolicy;
use tokio::net::{TcpSocket, TcpStream};

/// DSCP values the model allows; index into the per-mark client pools.
pub const MARKS: [u8; 6] = [0, 10, 18, 26, 34, 46];

pub fn mark_index(dscp: u8) -> usize {
    MARKS.iter().position(|m| *m == dscp).unwrap_or(0)
}

/// Set the TOS byte (DSCP << 2) on a socket, IPv4 or IPv6.
pub fn set_tos(sock: socket2::SockRef<'_>, peer_is_v6: bool, tos: u8) -> std::io::Result<()> {
    if peer_is_v6 { sock.set_tclass_v6(tos as u32) } else { sock.set_tos_v4(tos as u32) }
}

/// Read the TOS byte back (tests, diagnostics).
pub fn get_tos(sock: socket2::SockRef<'_>, peer_is_v6: bool) -> std::io::Result<u8> {
    Ok(if peer_is_v6 { sock.tclass_v6()? } else { sock.tos_v4()? } as u8)
}

fn is_v6(addr: std::io::Result<SocketAddr>) -> bool {
    addr.map(|a| a.is_ipv6()).unwrap_or(false)
}

/// Connects upstream TCP sockets marked with one TOS byte from the first packet (SYN),
/// with TCP_NODELAY and a connect timeout, to the addresses the outbound policy allows
/// (an endpoint that resolves to a cloud metadata address is refused like any other
/// outbound target).
#[derive(Clone)]
pub struct DscpConnector {
    tos: u8,
    timeout: Duration,
    outbound: OutboundPolicy,
}

impl DscpConnector {
    pub fn new(dscp: u8, timeout: Duration, outbound: OutboundPolicy) -> Self {
        Self { tos: dscp << 2, timeout, outbound }
    }
}

/// Why an upstream connection failed (hyper's client reports it as a connect error).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid upstream URI: {0}")]
    Uri(String),
    #[error("{0}")]
    Refused(marchproxy_outbound::OutboundError),
    #[error("connecting to {0}: {1}")]
    Connect(SocketAddr, std::io::Error),
    #[error("connecting to {0}: timed out")]
    Timeout(String),
}

async fn connect_one(addr: SocketAddr, tos: u8) -> std::io::Result<TcpStream> {
    let sock = if addr.is_ipv6() { TcpSocket::new_v6()? } else { TcpSocket::new_v4()? };
    sock.set_nodelay(true)?;
    if tos != 0 {
        if addr.is_ipv6() { sock.set_tclass_v6(tos as u32)? } else { sock.set_tos_v4(tos as u32)? }
    }
    sock.connect(addr).await
}

impl tower_service::Service<Uri> for DscpConnector {
    type Response = TokioIo<TcpStream>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let (tos, timeout, outbound) = (self.tos, self.timeout, self.outbound.clone());
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| ConnectError::Uri(uri.to_string()))?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
            let attempt = async {
                let addrs = outbound.resolve(&host, port).await.map_err(ConnectError::Refused)?;
                let mut last = None;
                for addr in addrs {
                    match connect_one(addr, tos).await {
                        Ok(s) => return Ok(TokioIo::new(s)),
                        Err(e) => last = Some(ConnectError::Connect(addr, e)),
                    }
                }
                Err(last.unwrap_or_else(|| ConnectError::Timeout(format!("{host}:{port}"))))
            };
            tokio::time::timeout(timeout, attempt).await.map_err(|_| ConnectError::Timeout(format!("{host}:{port}")))?
        })
    }
}

/// The downstream socket of a connection, kept so the mark can follow the service.
pub struct Downstream {
    sock: socket2::Socket,
    v6: bool,
    current: std::sync::atomic::AtomicU8,
}

impl Downstream {
    /// Keep a duplicate handle of the accepted socket.
    pub fn new(stream: &TcpStream) -> Option<Self> {
        use std::os::fd::AsFd;
        let fd = stream.as_fd().try_clone_to_owned().ok()?;
        Some(Self {
            sock: socket2::Socket::from(fd),
            v6: is_v6(stream.peer_addr()),
            current: std::sync::atomic::AtomicU8::new(0),
        })
    }

    /// Mark the connection (no syscall when unchanged).
    pub fn mark(&self, tos: u8) {
        if self.current.swap(tos, std::sync::atomic::Ordering::Relaxed) != tos
            && let Err(e) = set_tos(socket2::SockRef::from(&self.sock), self.v6, tos)
        {
            tracing::warn!(error = %e, "cannot set DSCP on a downstream connection");
        }
    }

    pub fn tos(&self) -> u8 {
        get_tos(socket2::SockRef::from(&self.sock), self.v6).unwrap_or(0)
    }
}
