//! The HTTP(S) proxy listener: one worker thread per CPU, each with its own runtime,
//! SO_REUSEPORT listener and upstream pools; connections balanced between workers; per
//! connection, HTTP/1.x ([`crate::h1`]) or HTTP/2 (hyper: h2c by prior knowledge, h2 by
//! ALPN over TLS); graceful drain at shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::Proxy;
use crate::conn::{ConnInfo, Upstreams};
use crate::listen::{accept_error, stopped};

/// How often idle upstream connections are swept.
const IDLE_SWEEP: std::time::Duration = std::time::Duration::from_secs(10);
/// Longest wait for in-flight requests at shutdown.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Serve the proxy listener on one thread per listener until `stop` flips; in-flight
/// connections finish. Each worker thread runs a single-threaded Tokio runtime with its own
/// SO_REUSEPORT listener (the kernel spreads connections over them) and its own upstream
/// pools, so a request and its upstream connection are served by one thread: no cross-thread
/// wakeups or work stealing on the request path (the thread-per-core layout of nginx and
/// HAProxy).
pub async fn serve_http(
    proxy: Arc<Proxy>,
    workers: Vec<(std::net::TcpListener, Upstreams)>,
    cpus: Option<Vec<usize>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: watch::Receiver<bool>,
) {
    let n = workers.len();
    let load: Arc<[AtomicU64]> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let _ = proxy.metrics.worker_connections.set(load.clone());
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::unbounded_channel::<Handoff>()).unzip();
    let senders: Arc<[mpsc::UnboundedSender<Handoff>]> = senders.into();
    let mut done = Vec::with_capacity(n);
    for (i, ((listener, upstreams), handoffs)) in workers.into_iter().zip(receivers).enumerate() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let w = Worker { index: i, load: load.clone(), peers: senders.clone(), upstreams, tls: tls.clone() };
        let (proxy, stop) = (proxy.clone(), stop.clone());
        let cpu = cpus.as_ref().and_then(|c| c.get(i).copied());
        let yield_after = proxy.worker_yield;
        let spawned = std::thread::Builder::new().name(format!("marchproxy-w{i}")).spawn(move || {
            if let Some(cpu) = cpu
                && let Err(e) = pin_current_thread(cpu)
            {
                tracing::warn!(worker = i, cpu, error = %e, "cannot pin the worker to its CPU");
            }
            crate::batch::enable_on_this_thread();
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .on_thread_park(move || crate::pace::before_park(yield_after))
                .on_thread_unpark(move || crate::pace::after_park(yield_after))
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return tracing::error!(worker = i, error = %e, "cannot start a worker runtime"),
            };
            // Connections are local tasks of this thread: their futures never move, which the
            // io_uring batch needs (batch.rs) and the compiler checks.
            let local = tokio::task::LocalSet::new();
            rt.block_on(local.run_until(async move {
                match TcpListener::from_std(listener) {
                    Ok(l) => accept_loop(proxy, l, w, handoffs, stop).await,
                    Err(e) => tracing::error!(worker = i, error = %e, "cannot register the listener"),
                }
            }));
            drop(tx);
        });
        match spawned {
            Ok(_) => done.push(rx),
            Err(e) => tracing::error!(worker = i, error = %e, "cannot start a worker thread"),
        }
    }
    for rx in done {
        let _ = rx.await;
    }
}

/// The CPUs this process may run on, in ascending order (Linux only).
pub fn allowed_cpus() -> Option<Vec<usize>> {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_getaffinity};
        let set = sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok()?;
        Some((0..CpuSet::count()).filter(|&c| set.is_set(c).unwrap_or(false)).collect())
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Bind the calling thread to one CPU.
fn pin_current_thread(cpu: usize) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_setaffinity};
        let mut set = CpuSet::new();
        set.set(cpu).map_err(|e| e.to_string())?;
        sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).map_err(|e| e.to_string())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        Err("CPU pinning is supported on Linux only".into())
    }
}

/// A connection accepted by one worker and passed to another.
type Handoff = (std::net::TcpStream, SocketAddr);

/// What one worker thread owns.
struct Worker {
    index: usize,
    /// Open downstream connections of every worker (shared; also `/metrics`).
    load: Arc<[AtomicU64]>,
    /// Every worker's hand-off queue, this one's included.
    peers: Arc<[mpsc::UnboundedSender<Handoff>]>,
    upstreams: Upstreams,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

/// The worker that should serve a connection `me` just accepted: `me`, unless another worker
/// holds fewer connections (then the least loaded one), so the counts never differ by more
/// than one. The kernel spreads connections over the SO_REUSEPORT listeners by a hash of
/// their addresses, which leaves one worker with noticeably more of a few long-lived
/// connections than another, and its requests wait longer: with a tolerance of one more,
/// four gRPC connections (each multiplexing many calls) could split 3:1 and one worker's
/// CPU bounded the whole proxy. HAProxy likewise dispatches accepted connections to its
/// least loaded thread.
fn balance(load: &[AtomicU64], me: usize) -> usize {
    let mine = load[me].load(Ordering::Relaxed);
    let (least, min) =
        load.iter().map(|l| l.load(Ordering::Relaxed)).enumerate().min_by_key(|&(_, n)| n).unwrap_or((me, mine));
    if mine > min { least } else { me }
}

/// Counts a connection against its worker while it is open.
struct Open(Arc<[AtomicU64]>, usize);

impl Drop for Open {
    fn drop(&mut self) {
        self.0[self.1].fetch_sub(1, Ordering::Relaxed);
    }
}

/// One worker's accept loop: connections from its own listener and those other workers
/// hand it.
async fn accept_loop(
    proxy: Arc<Proxy>,
    listener: TcpListener,
    w: Worker,
    mut handoffs: mpsc::UnboundedReceiver<Handoff>,
    mut stop: watch::Receiver<bool>,
) {
    // At shutdown HTTP/2 connections drain gracefully (GOAWAY, h2.rs) and HTTP/1 ones finish
    // their request and close; each connection holds a `drain` sender until it is done.
    let (drain, mut drained) = mpsc::channel::<()>(1);
    // Idle upstream connections past their timeout are closed even when nothing asks for them.
    let sweeper = {
        let upstreams = w.upstreams.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(IDLE_SWEEP).await;
                for pool in upstreams.iter() {
                    pool.evict_idle();
                }
            }
        })
    };
    let h2 = crate::h2::builder(proxy.h2_keepalive);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let target = balance(&w.load, w.index);
                    w.load[target].fetch_add(1, Ordering::Relaxed);
                    if target != w.index {
                        // Counted against the target already; it registers the socket itself.
                        match stream.into_std() {
                            Ok(s) => {
                                if w.peers[target].send((s, peer)).is_err() {
                                    w.load[target].fetch_sub(1, Ordering::Relaxed);
                                }
                            }
                            Err(_) => { w.load[target].fetch_sub(1, Ordering::Relaxed); }
                        }
                        continue;
                    }
                    (stream, peer)
                }
                Err(e) => {
                    accept_error(&e).await;
                    continue;
                }
            },
            Some((s, peer)) = handoffs.recv() => match TcpStream::from_std(s) {
                Ok(stream) => (stream, peer),
                Err(e) => {
                    w.load[w.index].fetch_sub(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "cannot register a handed-off connection");
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let open = Open(w.load.clone(), w.index);
        let _ = stream.set_nodelay(true);
        let info =
            Arc::new(ConnInfo::new(peer, w.tls.is_some(), crate::dscp::Downstream::new(&stream), w.upstreams.clone()));
        let conn =
            Conn { proxy: proxy.clone(), info, stop: stop.clone(), h2: h2.clone(), _open: open, _drain: drain.clone() };
        match &w.tls {
            None => {
                tokio::task::spawn_local(conn.serve_plain(stream));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::task::spawn_local(async move {
                    // The handshake has a deadline too.
                    let Ok(Ok(tls)) = tokio::time::timeout(conn.proxy.header_timeout, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    conn.serve_tls(tls).await
                });
            }
        }
    }
    // Stop accepting at once (new connections are refused, not queued and then reset), then
    // let in-flight requests finish, for at most DRAIN_TIMEOUT.
    drop(listener);
    handoffs.close();
    while let Ok(_dropped) = handoffs.try_recv() {
        w.load[w.index].fetch_sub(1, Ordering::Relaxed);
    }
    sweeper.abort();
    drop(drain);
    if tokio::time::timeout(DRAIN_TIMEOUT, drained.recv()).await.is_err() {
        tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
    }
}

/// The HTTP/2 connection preface (RFC 9113 §3.4): h2c by prior knowledge starts with it.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// One accepted client connection and what serving it needs.
struct Conn {
    proxy: Arc<Proxy>,
    info: Arc<ConnInfo>,
    stop: watch::Receiver<bool>,
    h2: hyper::server::conn::http2::Builder<crate::exec::LocalExec>,
    /// Counts the connection against its worker while it is open.
    _open: Open,
    /// Held until the connection is done (shutdown waits for every one).
    _drain: mpsc::Sender<()>,
}

impl Conn {
    /// A plain connection: HTTP/2 by prior knowledge if it starts with the preface,
    /// HTTP/1.x otherwise.
    async fn serve_plain(self, mut stream: TcpStream) {
        use tokio::io::AsyncReadExt;
        let mut buf = bytes::BytesMut::with_capacity(1024);
        let mut stop = self.stop.clone();
        loop {
            let n = buf.len().min(H2_PREFACE.len());
            if buf[..n] != H2_PREFACE[..n] {
                break;
            }
            if n == H2_PREFACE.len() {
                let io = Prefixed { pre: buf.freeze(), io: stream };
                return self.serve_h2(io).await;
            }
            tokio::select! {
                r = tokio::time::timeout(self.proxy.header_timeout, stream.read_buf(&mut buf)) => match r {
                    Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                    Ok(Ok(_)) => {}
                },
                _ = stopped(&mut stop) => return,
            }
        }
        #[cfg(unix)]
        let socket = Some(std::os::fd::AsRawFd::as_raw_fd(&stream));
        #[cfg(not(unix))]
        let socket = None;
        let (rd, wr) = stream.into_split();
        let reader = crate::codec::Reader::new(Box::new(rd), buf);
        crate::h1::serve(self.proxy, self.info, reader, wr, socket, self.stop).await;
    }

    /// A TLS connection: HTTP/2 when ALPN chose it, HTTP/1.x otherwise.
    async fn serve_tls(self, tls: tokio_rustls::server::TlsStream<TcpStream>) {
        if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
            return self.serve_h2(tls).await;
        }
        let (rd, wr) = tokio::io::split(tls);
        let reader = crate::codec::Reader::new(Box::new(rd), bytes::BytesMut::new());
        crate::h1::serve(self.proxy, self.info, reader, wr, None, self.stop).await;
    }

    /// Boxed: hyper's HTTP/2 connection is large, and inline it would enlarge the task of
    /// every HTTP/1 connection too.
    async fn serve_h2<I>(self, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        Box::pin(crate::h2::serve(self.proxy, self.info, &self.h2, io, self.stop)).await;
    }
}

/// A stream whose first bytes were already read (to look for the HTTP/2 preface).
struct Prefixed<I> {
    pre: Bytes,
    io: I,
}

impl<I: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Prefixed<I> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if !self.pre.is_empty() {
            let n = self.pre.len().min(buf.remaining());
            buf.put_slice(&self.pre.split_to(n));
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Prefixed<I> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loads(v: &[u64]) -> Vec<AtomicU64> {
        v.iter().map(|&n| AtomicU64::new(n)).collect()
    }

    /// The size of a future `f` returns, without running it.
    fn future_size<A, F: std::future::Future>(_f: impl Fn(A) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Every open connection holds its task whether a request is in flight or not, so its
    /// future's size is RSS per connection (bench/proxy.sh at 1,000 connections). It was
    /// 15 KiB while the HTTP/2 exchange and the request path were inline in it.
    #[test]
    fn a_connection_task_stays_small() {
        let plain = future_size(|(c, s): (Conn, TcpStream)| c.serve_plain(s));
        assert!(plain <= 4096, "an HTTP/1 connection's task is {plain} bytes");
        let tls = future_size(|(c, s): (Conn, tokio_rustls::server::TlsStream<TcpStream>)| c.serve_tls(s));
        // The TLS session's state (~1.2 KiB) rides in it.
        assert!(tls <= 6 * 1024, "a TLS connection's task is {tls} bytes");
    }

    #[test]
    fn a_connection_moves_only_to_a_worker_with_fewer() {
        assert_eq!(balance(&loads(&[0, 0]), 0), 0);
        assert_eq!(balance(&loads(&[1, 1]), 0), 0, "a tie stays (no ping-pong)");
        assert_eq!(balance(&loads(&[1, 0]), 0), 1);
        assert_eq!(balance(&loads(&[2, 0]), 0), 1);
        assert_eq!(balance(&loads(&[5, 4, 1, 3]), 0), 2, "to the least loaded");
        assert_eq!(balance(&loads(&[5, 4, 1, 3]), 2), 2);
        assert_eq!(balance(&loads(&[7]), 0), 0);
        // Sequential accepts all landing on worker 0 end up spread evenly, at every count
        // (four connections on two workers: 2:2, not 3:1).
        for workers in [2, 3] {
            let l: Vec<AtomicU64> = (0..workers).map(|_| AtomicU64::new(0)).collect();
            for _ in 0..30 {
                let t = balance(&l, 0);
                l[t].fetch_add(1, Ordering::Relaxed);
                let n: Vec<u64> = l.iter().map(|x| x.load(Ordering::Relaxed)).collect();
                assert!(n.iter().max().unwrap() - n.iter().min().unwrap() <= 1, "{n:?}");
            }
        }
    }
}
