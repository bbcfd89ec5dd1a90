//! L4 (TCP) services: one listener per service port, started and stopped as snapshots
//! change; each connection goes to an endpoint the service's route table picks, and its
//! bytes are copied, counted and shaped per direction as they flow.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::Proxy;
use crate::balancer::EndpointState;
use crate::listen::accept_error;
use crate::runtime::Runtime;
use crate::shaping::{self, Flow, Link, MAX_CHUNK, ServiceSlot};

/// The running L4 listeners, by port.
#[derive(Default)]
pub struct Listeners(Mutex<HashMap<u16, JoinHandle<()>>>);

impl Listeners {
    /// Start or stop listeners to match the runtime's TCP services (on the proxy listener's
    /// address).
    pub(crate) fn reconcile(&self, proxy: &Arc<Proxy>, rt: &Runtime) {
        let mut listeners = self.0.lock().expect("tcp listeners");
        let wanted: Vec<u16> = rt.tcp.iter().map(|t| t.listen_port).collect();
        listeners.retain(|port, task| {
            let keep = wanted.contains(port);
            if !keep {
                task.abort();
                tracing::info!(port, "stopped TCP listener");
            }
            keep
        });
        let ip = proxy.listen_addr.ip();
        let host = if ip.is_unspecified() { "0.0.0.0".to_string() } else { ip.to_string() };
        for port in wanted {
            if listeners.contains_key(&port) {
                continue;
            }
            match std::net::TcpListener::bind((host.as_str(), port)).and_then(|l| {
                l.set_nonblocking(true)?;
                TcpListener::from_std(l)
            }) {
                Ok(l) => {
                    tracing::info!(port, "TCP listener started");
                    listeners.insert(port, tokio::spawn(serve(proxy.clone(), l, port)));
                }
                Err(e) => tracing::error!(port, error = %e, "cannot start TCP listener"),
            }
        }
    }

    /// Stop every listener (shutdown).
    pub(crate) fn stop_all(&self) {
        for (_, t) in self.0.lock().expect("tcp listeners").drain() {
            t.abort();
        }
    }
}

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
///
/// A connection silent in both directions for `idle` is closed (checked once per period, so
/// between one and two periods after it went quiet).
pub async fn copy_counted(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    state: &EndpointState,
    shaping: &Shaping<'_>,
    idle: Duration,
) -> std::io::Result<()> {
    // Bytes this connection carried either way, for the idle check.
    let moved = AtomicU64::new(0);
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
            moved.fetch_add(n as u64, Ordering::Relaxed);
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
            moved.fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    let copy = async { tokio::try_join!(up, down).map(|_| ()) };
    tokio::pin!(copy);
    let mut timer = std::pin::pin!(tokio::time::sleep(idle));
    let mut seen = 0;
    loop {
        tokio::select! {
            r = &mut copy => return r,
            _ = &mut timer => {
                let now = moved.load(Ordering::Relaxed);
                if now == seen {
                    tracing::debug!(idle = ?idle, "closing an idle TCP connection");
                    return Ok(());
                }
                seen = now;
                timer.as_mut().reset(tokio::time::Instant::now() + idle);
            }
        }
    }
}

/// One L4 listener: each connection goes to an endpoint picked by the service's route table.
async fn serve(proxy: Arc<Proxy>, listener: TcpListener, port: u16) {
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                accept_error(&e).await;
                continue;
            }
        };
        let proxy = proxy.clone();
        tokio::spawn(async move {
            if let Err(e) = proxy.tcp_connection(client, port).await {
                tracing::debug!(peer = %peer, port, error = %e, "tcp connection ended with an error");
            }
        });
    }
}

impl Proxy {
    /// One L4 connection: to an endpoint the route table picks (a second one if the first
    /// refuses), DSCP-marked both ways, then bytes copied, counted and shaped.
    async fn tcp_connection(&self, mut client: TcpStream, port: u16) -> std::io::Result<()> {
        let rt = self.runtime.load_full();
        let route = rt.as_ref().and_then(|rt| rt.tcp.iter().find(|t| t.listen_port == port));
        let Some((table, slot)) = route.and_then(|r| r.table.clone().map(|t| (t, r.slot.clone()))) else {
            return Ok(());
        };
        let _ = client.set_nodelay(true);
        let tos = slot.active().map(|s| s.params().tos).unwrap_or(0);
        let v6 = client.peer_addr().map(|a| a.is_ipv6()).unwrap_or(false);
        if tos != 0 {
            let _ = crate::dscp::set_tos(socket2::SockRef::from(&client), v6, tos);
        }
        let mut exclude = None;
        for _attempt in 0..2 {
            let Some(idx) = table.pick(exclude, crate::now_ms()) else { return Ok(()) };
            let ep = &table.endpoints[idx];
            let state = table.states[idx].clone();
            state.counters.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match tokio::time::timeout(std::time::Duration::from_secs(5), self.outbound.connect_tcp(&ep.host, ep.port))
                .await
            {
                Ok(Ok(mut upstream)) => {
                    state.record_result(false, crate::now_ms());
                    let _ = upstream.set_nodelay(true);
                    if tos != 0 {
                        let up_v6 = upstream.peer_addr().map(|a| a.is_ipv6()).unwrap_or(false);
                        let _ = crate::dscp::set_tos(socket2::SockRef::from(&upstream), up_v6, tos);
                    }
                    let shaping = Shaping { slot: &slot, link: self.shaping.link.as_deref() };
                    return copy_counted(&mut client, &mut upstream, &state, &shaping, self.tcp_idle_timeout).await;
                }
                _ => {
                    state.counters.errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    state.record_result(true, crate::now_ms());
                    exclude = Some(idx);
                }
            }
        }
        Ok(())
    }
}
