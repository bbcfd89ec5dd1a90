//! The API's HTTP server: hyper's HTTP/1 and HTTP/2 (h2c) over the axum application, with
//! the limits that keep slow or idle clients from holding it ([`HttpLimits`]):
//!
//! - **header timeout**: a connection must deliver its first request head within it from
//!   its start, and every later head within it from that head's first byte;
//! - **idle timeout**: a connection with no request in progress is closed after it, and so
//!   is one whose client stops reading a response (a write blocked that long);
//! - **request timeout** ([`request_deadline`], a layer of the application): a request
//!   whose handler, body reading included, has not answered in time gets a 408; the
//!   proxies' configuration long-poll, which waits up to [`LONG_POLL_MAX_WAIT`] by design,
//!   gets that much more;
//! - **connection cap**: at most `max_connections` connections (and at most half the
//!   process's open-file limit, which is raised to its hard limit first, so the local proxy
//!   of `serve` keeps descriptors). At the cap, a new connection replaces the oldest one
//!   with no request in progress (an idle or half-sent one); when all are busy, accepting
//!   waits for one to end.
//!
//! Each connection's task watches its own deadline: reads, writes, request starts and ends
//! update the connection's [`ConnState`] and wake it.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::api::error::ApiError;
use crate::api::proxy_api::{LONG_POLL_MAX_WAIT, LONG_POLL_PATH};
use crate::config::HttpLimits;

// === request timeout ===

/// The request timeouts [`request_deadline`] applies.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

/// Middleware: answer 408 when the handler (body reading included) takes longer than the
/// request timeout; the long-poll gets [`LONG_POLL_MAX_WAIT`] more.
pub async fn request_deadline(
    State(RequestTimeout(limit)): State<RequestTimeout>,
    req: Request,
    next: Next,
) -> Response {
    let limit = if req.uri().path() == LONG_POLL_PATH { limit + LONG_POLL_MAX_WAIT } else { limit };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            let mut resp =
                ApiError::RequestTimeout(format!("the request took longer than {} s", limit.as_secs())).into_response();
            // The body may be half read: this connection cannot carry another request.
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            resp
        }
    }
}

// === connections ===

/// The limits the server enforces, from [`HttpLimits`].
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl ServerLimits {
    /// The configured limits; the connection cap is also held to half the open-file limit
    /// (after raising it to the hard limit), so accepted connections cannot exhaust the
    /// process's descriptors.
    pub fn from_config(cfg: &HttpLimits) -> Self {
        let nofile = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let fd_cap = usize::try_from(nofile / 2).unwrap_or(usize::MAX).max(16);
        let max_connections = cfg.max_connections.clamp(1, fd_cap);
        if max_connections < cfg.max_connections {
            tracing::info!(
                configured = cfg.max_connections,
                max_connections,
                open_file_limit = nofile,
                "API connection cap lowered to half the open-file limit"
            );
        }
        Self {
            header_timeout: Duration::from_secs(cfg.header_timeout_seconds.max(1)),
            idle_timeout: Duration::from_secs(cfg.idle_timeout_seconds.max(1)),
            max_connections,
        }
    }
}

/// What one connection is doing, which decides its deadline.
#[derive(Debug)]
pub struct ConnState {
    /// Requests whose response has not finished.
    in_flight: usize,
    /// With no request in flight: when the next head's first byte arrived (the connection's
    /// start for the first request); `None` while idle.
    head_started: Option<Instant>,
    /// When the last request ended (the idle timer's start).
    idle_since: Instant,
    /// Since when the client has not taken response bytes (a write is pending).
    write_blocked_since: Option<Instant>,
    /// The acceptor wants this connection's slot (only honoured with no request in flight).
    evict: bool,
    /// When the connection's task next looks at this state: an event that needs an
    /// earlier look wakes it; later ones wait for it (so a request's start and end, the
    /// common events, never wake it).
    armed: Option<Instant>,
}

impl ConnState {
    /// Whether the task must be woken for `deadline`: it comes before the task's next look.
    fn sooner(&self, deadline: Instant) -> bool {
        self.armed.is_none_or(|a| deadline < a)
    }
}

/// One connection's state, shared by its I/O, its requests, its task and the acceptor.
struct Conn {
    state: Mutex<ConnState>,
    changed: Notify,
}

/// What a connection's task does next.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Look again at this time (or when woken).
    Wait(Instant),
    Close,
}

impl Conn {
    fn new(now: Instant) -> Self {
        Self {
            state: Mutex::new(ConnState {
                in_flight: 0,
                head_started: Some(now),
                idle_since: now,
                write_blocked_since: None,
                evict: false,
                armed: None,
            }),
            changed: Notify::new(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut ConnState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Close now, or when to look again: the deadline of the connection's phase; with a
    /// request in progress and its response flowing there is none, and the task looks again
    /// an idle timeout later (a request that ended meanwhile started the idle timer then).
    fn verdict(&self, limits: &ServerLimits, now: Instant) -> Verdict {
        self.with(|s| {
            let deadline = if s.in_flight > 0 {
                s.evict = false;
                match s.write_blocked_since {
                    Some(t) => t + limits.idle_timeout,
                    None => {
                        s.armed = Some(now + limits.idle_timeout);
                        return Verdict::Wait(now + limits.idle_timeout);
                    }
                }
            } else if s.evict {
                return Verdict::Close;
            } else if let Some(t) = s.head_started {
                t + limits.header_timeout
            } else {
                s.idle_since + limits.idle_timeout
            };
            if deadline <= now {
                return Verdict::Close;
            }
            s.armed = Some(deadline);
            Verdict::Wait(deadline)
        })
    }

    fn read(&self, n: usize, limits: &ServerLimits) {
        if n == 0 {
            return;
        }
        let wake = self.with(|s| {
            if s.in_flight > 0 || s.head_started.is_some() {
                return false;
            }
            let now = Instant::now();
            s.head_started = Some(now);
            s.sooner(now + limits.header_timeout)
        });
        if wake {
            self.changed.notify_one();
        }
    }

    fn write(&self, blocked: bool, limits: &ServerLimits) {
        let wake = self.with(|s| match (blocked, s.write_blocked_since) {
            (true, None) => {
                let now = Instant::now();
                s.write_blocked_since = Some(now);
                s.sooner(now + limits.idle_timeout)
            }
            (false, Some(_)) => {
                s.write_blocked_since = None;
                false
            }
            _ => false,
        });
        if wake {
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        self.with(|s| {
            s.in_flight += 1;
            s.head_started = None;
        });
    }

    fn request_ended(&self, limits: &ServerLimits) {
        let wake = self.with(|s| {
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight > 0 {
                return false;
            }
            let now = Instant::now();
            s.idle_since = now;
            s.sooner(now + limits.idle_timeout)
        });
        if wake {
            self.changed.notify_one();
        }
    }

    /// Ask for this connection's slot; true when it has no request in progress.
    fn evict(&self) -> bool {
        let ok = self.with(|s| {
            let ok = s.in_flight == 0 && !s.evict;
            if ok {
                s.evict = true;
            }
            ok
        });
        if ok {
            self.changed.notify_one();
        }
        ok
    }
}

/// A request in progress on a connection, until its response body ends or is dropped.
struct InFlight(Arc<Conn>, ServerLimits);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_ended(&self.1);
    }
}

/// A response body that ends its request when it ends (or is dropped).
struct TrackedBody {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, reporting reads and blocked writes to its [`Conn`].
struct TrackedIo {
    inner: TcpStream,
    conn: Arc<Conn>,
    limits: ServerLimits,
}

impl AsyncRead for TrackedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            self.conn.read(buf.filled().len() - before, &self.limits);
        }
        r
    }
}

impl TrackedIo {
    fn wrote(&self, r: &Poll<io::Result<usize>>) {
        match r {
            Poll::Pending => self.conn.write(true, &self.limits),
            Poll::Ready(Ok(n)) if *n > 0 => self.conn.write(false, &self.limits),
            _ => {}
        }
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&r);
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&r);
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Open connections, oldest first (the eviction order).
#[derive(Default)]
struct Registry {
    next_id: AtomicU64,
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn add(&self, conn: Arc<Conn>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.conns.lock().unwrap_or_else(|e| e.into_inner()).insert(id, conn);
        id
    }

    fn remove(&self, id: u64) {
        self.conns.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }

    /// Ask the oldest connection with no request in progress to close.
    fn evict_oldest_idle(&self) -> bool {
        self.conns.lock().unwrap_or_else(|e| e.into_inner()).values().any(|c| c.evict())
    }
}

/// Serve `app` on `listener` until `shutdown` turns true, then stop accepting, let the
/// requests in progress finish, and return when every connection has closed.
pub async fn serve(listener: TcpListener, app: Router, limits: ServerLimits, mut shutdown: watch::Receiver<bool>) {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max));
    let registry = Arc::new(Registry::default());
    'accept: loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors or memory: back off instead of spinning.
                if !matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) {
                    tracing::warn!(error = %e, "accepting an API connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        // A slot: free, or taken from the oldest connection without a request in progress.
        let slot = loop {
            if let Ok(slot) = slots.clone().try_acquire_owned() {
                break slot;
            }
            registry.evict_oldest_idle();
            tokio::select! {
                slot = slots.clone().acquire_owned() => break slot.expect("the semaphore is never closed"),
                // Every connection was busy (or the chosen one just got a request): look again.
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = shutdown.wait_for(|s| *s) => break 'accept,
            }
        };
        let conn = Arc::new(Conn::new(Instant::now()));
        let id = registry.add(conn.clone());
        let (app, registry, shutdown) = (app.clone(), registry.clone(), shutdown.clone());
        tokio::spawn(async move {
            serve_connection(stream, peer, app, conn, limits, shutdown).await;
            registry.remove(id);
            drop(slot);
        });
    }
    // Closed now, not when the drain ends: new connections are refused at once (a client
    // tries another replica) instead of waiting in the backlog until they are reset.
    drop(listener);
    // Every slot back means every connection has ended.
    let _ = slots.acquire_many(u32::try_from(max).unwrap_or(u32::MAX)).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    conn: Arc<Conn>,
    limits: ServerLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let io = TokioIo::new(TrackedIo { inner: stream, conn: conn.clone(), limits });
    let svc_conn = conn.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        svc_conn.request_started();
        let in_flight = InFlight(svc_conn.clone(), limits);
        let app = app.clone();
        async move {
            let resp = app.oneshot(req.map(Body::new)).await.unwrap_or_else(|e: Infallible| match e {});
            Ok::<_, Infallible>(resp.map(|inner| Body::new(TrackedBody { inner, _in_flight: in_flight })))
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let served = builder.serve_connection(io, svc);
    tokio::pin!(served);
    let mut closing = false;
    loop {
        let next_look = match conn.verdict(&limits, Instant::now()) {
            Verdict::Close => return,
            Verdict::Wait(t) => t,
        };
        tokio::select! {
            _ = served.as_mut() => return,
            _ = conn.changed.notified() => {}
            _ = tokio::time::sleep_until(next_look) => {}
            _ = shutdown.wait_for(|s| *s), if !closing => {
                closing = true;
                served.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 8,
        }
    }

    #[test]
    fn each_phase_has_its_deadline() {
        let l = limits();
        let t0 = Instant::now();
        let c = Conn::new(t0);
        // A new connection: its first head within the header timeout.
        assert_eq!(c.verdict(&l, t0), Verdict::Wait(t0 + l.header_timeout));
        assert_eq!(c.verdict(&l, t0 + l.header_timeout), Verdict::Close);
        // A request in progress is never closed here (the request timeout answers it): the
        // task looks again later...
        c.request_started();
        let t1 = t0 + Duration::from_secs(3600);
        assert_eq!(c.verdict(&l, t1), Verdict::Wait(t1 + l.idle_timeout));
        // ...unless its client stops reading the response.
        c.write(true, &l);
        let blocked = c.with(|s| s.write_blocked_since.unwrap());
        assert_eq!(c.verdict(&l, blocked), Verdict::Wait(blocked + l.idle_timeout));
        assert_eq!(c.verdict(&l, blocked + l.idle_timeout), Verdict::Close);
        c.write(false, &l);
        c.request_ended(&l);
        // Idle between requests: the idle timeout; the next head's first byte: the header
        // timeout, sooner than the task would look, so it is woken.
        let idle = c.with(|s| s.idle_since);
        assert_eq!(c.verdict(&l, idle), Verdict::Wait(idle + l.idle_timeout));
        c.read(1, &l);
        let head = c.with(|s| s.head_started.unwrap());
        assert_eq!(c.verdict(&l, head), Verdict::Wait(head + l.header_timeout));
        // Eviction takes only a connection with no request in progress.
        c.request_started();
        assert!(!c.evict());
        c.request_ended(&l);
        assert!(c.evict());
        assert_eq!(c.verdict(&l, Instant::now()), Verdict::Close);
    }

    /// The common events, a request's start and end, never wake the connection's task;
    /// a deadline sooner than its next look does.
    #[tokio::test]
    async fn only_a_sooner_deadline_wakes_the_task() {
        let l = limits();
        let c = Conn::new(Instant::now());
        let woken = |c: &Conn| {
            let n = c.changed.notified();
            tokio::pin!(n);
            n.as_mut().enable()
        };
        c.request_started();
        let _ = c.verdict(&l, Instant::now());
        assert!(!woken(&c));
        c.request_ended(&l);
        assert!(!woken(&c), "the idle deadline comes after the task's next look");
        let _ = c.verdict(&l, Instant::now());
        c.read(10, &l);
        assert!(woken(&c), "a head's first byte brings the deadline forward");
    }
}
