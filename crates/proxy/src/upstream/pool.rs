//! The pool of upstream connections of one worker thread and DSCP mark, and one
//! connection's exchange: write the request head (batched with the worker's other writes),
//! stream the body while watching for an early answer, read the final response head.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use http::uri::{Authority, Scheme};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

use crate::body::request::ReqBody;
use crate::dscp::DscpConnector;
use crate::upstream::connect::{HttpsConnector, Io, alpn_chose_h2, open};
use crate::upstream::error::{Exchange, UpError};
use crate::upstream::head::{Head, read_final_head};
use crate::upstream::limits::{Timeouts, upstream};
use crate::upstream::request::{Outgoing, write_body};
use marchproxy_outbound::OutboundPolicy;

/// The socket of one upstream connection (TCP, or TLS over TCP).
pub(crate) type Stream = TokioIo<Io>;
/// How long to look for an answer after a request body could not be written.
const EARLY_ANSWER_GRACE: Duration = Duration::from_secs(1);
/// Idle keep-alive connections kept per upstream (per worker thread and DSCP mark), as
/// nginx's `keepalive 1024` in bench/proxy.sh (HAProxy keeps all). At 256, a burst of 1,000
/// concurrent requests closed every connection above it when the burst ended and opened
/// them again for the next: ~900 connects and closes a second at 1,000 client connections.
const MAX_IDLE_PER_UPSTREAM: usize = 1024;
/// Deadline of a TCP connect to an upstream.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle connections are closed after this long (shorter than common upstream keep-alive
/// timeouts, so the upstream rarely closes one under us).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// Which upstream a connection goes to.
#[derive(Clone, Eq)]
pub(crate) struct Key {
    pub(crate) https: bool,
    pub(crate) authority: Authority,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        // Byte-equal first (the usual case: both come from the same endpoint), then
        // Authority's case-insensitive comparison.
        self.https == other.https
            && (self.authority.as_str() == other.authority.as_str() || self.authority == other.authority)
    }
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

struct PoolInner {
    connector: HttpsConnector,
    /// TLS offering h2 and http/1.1 by ALPN, for endpoints that negotiate their protocol.
    negotiating: HttpsConnector,
    /// HTTP/2 upstreams (`grpc://`, `grpcs://`): one multiplexed connection each.
    h2: crate::upstream::h2::H2Pool,
    idle: Mutex<Vec<(Key, Vec<Idle>)>>,
    max_idle_per_key: usize,
    timeouts: Timeouts,
}

/// A pool of upstream connections (one per worker thread and DSCP mark).
#[derive(Clone)]
pub struct Pool(Arc<PoolInner>);

/// One upstream connection (boxed everywhere: a TLS stream is over a kilobyte).
pub(crate) struct Conn {
    pub(crate) io: Stream,
    /// False once the connection's framing is unknown (a request body left unsent).
    pub(crate) reusable: bool,
    /// Bytes read and not yet consumed. Empty (no allocation) while the connection is idle.
    pub(crate) buf: BytesMut,
}

impl Pool {
    /// The pool of one worker and DSCP mark (`dscp`, the 6-bit code point): pooled
    /// keep-alive connections, TCP_NODELAY, the mark set before the SYN, TLS per `tls`
    /// ([`crate::tls::upstream_config`], built once and shared: the root store is ~130 KB).
    pub fn new(tls: &rustls::ClientConfig, dscp: u8, timeouts: Timeouts, outbound: &OutboundPolicy) -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(DscpConnector::new(dscp, CONNECT_TIMEOUT, outbound.clone()));
        let negotiating = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_only()
            .enable_all_versions()
            .wrap_connector(DscpConnector::new(dscp, CONNECT_TIMEOUT, outbound.clone()));
        let h2 = crate::upstream::h2::H2Pool::new(
            tls,
            DscpConnector::new(dscp, CONNECT_TIMEOUT, outbound.clone()),
            timeouts,
        );
        let idle = Mutex::new(Vec::new());
        Pool(Arc::new(PoolInner {
            connector,
            negotiating,
            h2,
            idle,
            max_idle_per_key: MAX_IDLE_PER_UPSTREAM,
            timeouts,
        }))
    }

    /// One request over HTTP/2 (h2.rs); the response body streams on.
    pub async fn send_h2(
        &self,
        https: bool,
        authority: &Authority,
        req: http::Request<ReqBody>,
        deadline: Duration,
    ) -> Result<http::Response<hyper::body::Incoming>, (UpError, Option<ReqBody>)> {
        self.0.h2.send(https, authority, req, deadline).await
    }

    /// Open HTTP/2 upstream connections (metrics, tests).
    pub fn h2_connections(&self) -> usize {
        self.0.h2.connection_count()
    }

    /// The time limits of this pool's exchanges.
    pub(crate) fn timeouts(&self) -> Timeouts {
        self.0.timeouts
    }

    /// Idle connections held, over all upstreams (metrics, tests).
    pub fn idle_count(&self) -> usize {
        self.0.idle.lock().expect("pool lock").iter().map(|(_, v)| v.len()).sum()
    }

    /// Close idle connections past [`IDLE_TIMEOUT`] for every upstream, and forget
    /// upstreams with none left (run periodically by each worker).
    pub fn evict_idle(&self) {
        let mut idle = self.0.idle.lock().expect("pool lock");
        for (_, list) in idle.iter_mut() {
            list.retain(|i| i.since.elapsed() <= IDLE_TIMEOUT);
        }
        idle.retain(|(_, list)| !list.is_empty());
    }

    pub(crate) fn checkout(&self, key: &Key) -> Option<Box<Conn>> {
        let mut idle = self.0.idle.lock().expect("pool lock");
        let list = &mut idle.iter_mut().find(|(k, _)| k == key)?.1;
        // Expired connections sit at the bottom (oldest first).
        let expired = list.iter().take_while(|i| i.since.elapsed() > IDLE_TIMEOUT).count();
        list.drain(..expired);
        while let Some(Idle { mut conn, .. }) = list.pop() {
            if conn.is_open() {
                return Some(conn);
            }
        }
        None
    }

    pub(crate) fn checkin(&self, key: Key, conn: Box<Conn>) {
        let mut idle = self.0.idle.lock().expect("pool lock");
        let entry = match idle.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut idle[i].1,
            None => {
                idle.push((key, Vec::new()));
                &mut idle.last_mut().expect("pushed").1
            }
        };
        if entry.len() < self.0.max_idle_per_key {
            entry.push(Idle { conn, since: Instant::now() });
        }
    }

    pub(crate) async fn connect(&self, scheme: &Scheme, authority: &Authority) -> Result<Box<Conn>, UpError> {
        let io = open(&self.0.connector, scheme.clone(), authority, self.0.timeouts.response).await?;
        Ok(Box::new(Conn { io: TokioIo::new(io), reusable: true, buf: BytesMut::new() }))
    }

    /// Which HTTP version an `https://` endpoint that negotiates its protocol speaks: a new
    /// TLS connection offers h2 and http/1.1 by ALPN (as Envoy's `auto_config` does), and
    /// joins the pool of the version the endpoint chose, for the request about to be sent.
    /// True for HTTP/2.
    pub async fn negotiate(&self, authority: &Authority) -> Result<bool, UpError> {
        let io = open(&self.0.negotiating, Scheme::HTTPS, authority, self.0.timeouts.response).await?;
        let h2 = alpn_chose_h2(&io);
        if h2 {
            self.0.h2.adopt(authority, io).await?;
        } else {
            let key = Key { https: true, authority: authority.clone() };
            self.checkin(key, Box::new(Conn { io: TokioIo::new(io), reusable: true, buf: BytesMut::new() }));
        }
        Ok(h2)
    }
}

impl Conn {
    /// The raw socket of a plain connection, for batched writes (batch.rs).
    fn socket(&self) -> crate::batch::Socket {
        match self.io.inner() {
            #[cfg(unix)]
            hyper_rustls::MaybeHttpsStream::Http(s) => Some(std::os::fd::AsRawFd::as_raw_fd(s.inner())),
            _ => None,
        }
    }

    /// An idle connection is usable when reading it would block (no EOF, no stray bytes).
    fn is_open(&mut self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut probe = [0u8; 1];
        // Outside Tokio's cooperative budget: with the budget spent, a read would answer
        // Pending without looking at the socket, and a closed connection would look open.
        let io = &mut self.io;
        let read = tokio::task::coop::unconstrained(std::future::poll_fn(move |cx| {
            let mut rb = ReadBuf::new(&mut probe);
            Pin::new(&mut *io).poll_read(cx, &mut rb)
        }));
        matches!(std::pin::pin!(read).poll(&mut cx), Poll::Pending)
    }

    /// Write the request and read the final response head (1xx skipped). A request body
    /// streams while the head is awaited: an upstream that answers early (413, 401, 417)
    /// gets its answer through, and the connection, with part of a body unsent, is closed
    /// afterwards.
    ///
    /// Time limits (`limits.rs`): the upstream gets `t.response` to take the head, each body
    /// chunk, and to answer once the body is sent; the client gets `t.client_body` for each
    /// next chunk of its body.
    pub(crate) async fn exchange(&mut self, req: &mut Outgoing, t: Timeouts) -> Result<Head, Exchange> {
        // The request head, then (without a body) the answer, must come within one
        // `t.response`: one timer for the usual bodiless request.
        // (Only the head is borrowed across the awaits: the body is not `Sync`.)
        let (head, has_body, upgrade, wire) =
            (&mut req.head, matches!(req.body, ReqBody::Stream(_)), req.upgrade, req.wire_head);
        let bodiless = upstream(t.response, async {
            // Written with the other upstream requests of this event-loop turn (batch.rs),
            // which owns the head meanwhile and hands it back (a replay sends it again).
            let (sent, back) = crate::batch::send(self.socket(), std::mem::take(head)).await;
            *head = back;
            let sent = sent?;
            self.io.write_all(&head[sent..]).await?;
            if has_body {
                return Ok(None);
            }
            self.io.flush().await?;
            read_final_head(&mut self.io, &mut self.buf, upgrade, wire).await.map(Some)
        })
        .await?;
        if let Some(head) = bodiless {
            return Ok(head);
        }
        // Boxed: this future is large, and inline it would enlarge every request's future
        // (and so every connection's task) even for requests without a body.
        if let Some(head) = Box::pin(self.send_body(&mut req.body, req.chunked, wire, t)).await? {
            self.reusable = false;
            return Ok(head);
        }
        upstream(t.response, read_final_head(&mut self.io, &mut self.buf, req.upgrade, wire)).await
    }

    /// Stream the body while watching for the response head. `Some(head)`: the upstream
    /// answered before the body was all sent.
    async fn send_body(
        &mut self,
        body: &mut ReqBody,
        chunked: bool,
        wire: bool,
        t: Timeouts,
    ) -> Result<Option<Head>, Exchange> {
        let (mut rd, mut wr) = tokio::io::split(&mut self.io);
        let write = async {
            write_body(&mut wr, body, chunked, t).await?;
            upstream(t.response, async { wr.flush().await.map_err(Exchange::from) }).await
        };
        let read = read_final_head(&mut rd, &mut self.buf, false, wire);
        tokio::pin!(write, read);
        tokio::select! {
            biased;
            w = &mut write => match w {
                Ok(()) => Ok(None),
                // The upstream may have answered and closed before taking the whole body
                // (the write then fails): an answer it sent still wins over the write error.
                Err(e) => match tokio::time::timeout(EARLY_ANSWER_GRACE, &mut read).await {
                    Ok(Ok(head)) => Ok(Some(head)),
                    _ => Err(e),
                },
            },
            h = &mut read => h.map(Some),
        }
    }
}
