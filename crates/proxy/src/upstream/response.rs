//! The response body read from the upstream socket as the client consumes it ([`UpBody`]);
//! at its end a reusable connection goes back to the pool. After a `101`, the body is the
//! upstream-to-client half of a tunnel.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http::Response;
use http::header::{self, HeaderMap, HeaderValue};
use http_body::{Body, Frame, SizeHint};
use tokio::io::AsyncReadExt;

use crate::upstream::error::UpError;
use crate::upstream::head::{Fields, Framing, Head, WireHead};
use crate::upstream::pool::{Conn, Key, Pool, Stream};
use crate::wire::Step;

/// Bytes asked of the socket per read of a body.
const READ_CHUNK: usize = 8 * 1024;

/// The write half of an upgraded upstream connection.
pub type UpgradedWriter = tokio::io::WriteHalf<Stream>;

/// An upgraded upstream connection, split.
struct TunnelIo {
    rd: tokio::io::ReadHalf<Stream>,
    /// Bytes read and not yet passed on (the upstream may send right after its `101`).
    buf: BytesMut,
    wr: Option<UpgradedWriter>,
}

/// A response body read from the upstream socket as the client consumes it. At its end, a
/// reusable connection goes back to the pool; dropped early, the connection is closed.
pub struct UpBody {
    conn: Option<Box<Conn>>,
    /// An upgraded connection (after a `101`), split: the body reads its read half.
    tunnel: Option<Box<TunnelIo>>,
    framing: Framing,
    reusable: bool,
    pool: Pool,
    key: Option<Key>,
    /// An HTTP/2 response's body (h2.rs): frames come from hyper, trailers included.
    h2: Option<Box<hyper::body::Incoming>>,
    /// The head's fields as HTTP/1.1 lines, when the exchange asked for them instead of a
    /// header map (the response's map is then empty).
    wire: Option<Box<WireHead>>,
}

impl UpBody {
    pub(crate) fn start(conn: Box<Conn>, head: Head, framing: Framing, pool: Pool, key: Key) -> Response<UpBody> {
        let Head { status, fields, http10, close, .. } = head;
        let (headers, wire) = match fields {
            Fields::Map(m) => (*m, None),
            Fields::Lines(w) => (HeaderMap::new(), Some(w)),
        };
        let reusable = conn.reusable && !close && !http10 && framing != Framing::UntilClose;
        let mut resp = Response::new(UpBody {
            conn: Some(conn),
            tunnel: None,
            framing,
            reusable,
            pool,
            key: Some(key),
            h2: None,
            wire,
        });
        *resp.status_mut() = status;
        *resp.headers_mut() = headers;
        let body = resp.body_mut();
        if body.framing == Framing::Length(0) {
            body.finish();
        }
        resp
    }

    /// A `101` answer: the connection is split; the body is what the upstream sends until it
    /// closes, and the write half waits for [`UpBody::take_upgrade_writer`]. The `Upgrade`
    /// field goes back into the head, for the client.
    pub(crate) fn tunnel(conn: Box<Conn>, head: Head, pool: Pool) -> Response<UpBody> {
        let Conn { io, buf, .. } = *conn;
        let (rd, wr) = tokio::io::split(io);
        let tunnel = TunnelIo { rd, buf, wr: Some(wr) };
        let Head { status, fields, upgrade, .. } = head;
        // A 1xx head's fields are always a map (head.rs).
        let mut headers = match fields {
            Fields::Map(m) => *m,
            Fields::Lines(_) => HeaderMap::new(),
        };
        if let Some(v) = upgrade.and_then(|v| HeaderValue::from_maybe_shared(*v).ok()) {
            headers.insert(header::UPGRADE, v);
        }
        let body = UpBody {
            conn: None,
            tunnel: Some(Box::new(tunnel)),
            framing: Framing::UntilClose,
            reusable: false,
            pool,
            key: None,
            h2: None,
            wire: None,
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = status;
        *resp.headers_mut() = headers;
        resp
    }

    /// An HTTP/2 response (h2.rs): its body is hyper's stream, trailers included.
    pub(crate) fn h2(resp: Response<hyper::body::Incoming>, pool: Pool) -> Response<UpBody> {
        let (parts, body) = resp.into_parts();
        let body = UpBody {
            conn: None,
            tunnel: None,
            framing: Framing::UntilClose,
            reusable: false,
            pool,
            key: None,
            h2: Some(Box::new(body)),
            wire: None,
        };
        Response::from_parts(parts, body)
    }

    /// The head's fields as HTTP/1.1 lines, when they were kept so (once).
    pub fn take_wire_head(&mut self) -> Option<Box<WireHead>> {
        self.wire.take()
    }

    /// The upstream's write half of an upgraded connection (once).
    pub fn take_upgrade_writer(&mut self) -> Option<UpgradedWriter> {
        self.tunnel.as_mut().and_then(|t| t.wr.take())
    }

    /// The body is complete: return the connection to the pool if it can serve another.
    fn finish(&mut self) {
        self.framing = Framing::Done;
        if let (Some(mut conn), Some(key)) = (self.conn.take(), self.key.take())
            && self.reusable
            && conn.buf.is_empty()
        {
            // Idle, the connection holds no buffer; the next response on this thread reads
            // into this one (spare.rs).
            crate::upstream::spare::put(std::mem::take(&mut conn.buf));
            self.pool.checkin(key, conn);
        }
    }

    /// Read more from the socket into the buffer; Ok(0) at EOF.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if let Some(t) = self.tunnel.as_mut() {
            if t.buf.capacity() - t.buf.len() < 1024 {
                t.buf.reserve(READ_CHUNK);
            }
            return std::pin::pin!(t.rd.read_buf(&mut t.buf)).poll(cx);
        }
        let Some(conn) = self.conn.as_mut() else { return Poll::Ready(Ok(0)) };
        if conn.buf.capacity() - conn.buf.len() < 1024 {
            conn.buf.reserve(READ_CHUNK);
        }
        let fut = std::pin::pin!(conn.io.read_buf(&mut conn.buf));
        fut.poll(cx)
    }

    fn buf(&mut self) -> &mut BytesMut {
        if let Some(t) = self.tunnel.as_mut() {
            return &mut t.buf;
        }
        &mut self.conn.as_mut().expect("connection while the body is open").buf
    }

    fn fail(&mut self, msg: &'static str) -> Poll<Option<Result<Frame<Bytes>, UpError>>> {
        self.conn = None;
        self.framing = Framing::Done;
        Poll::Ready(Some(Err(UpError::Protocol(msg))))
    }
}

impl Body for UpBody {
    type Data = Bytes;
    type Error = UpError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, UpError>>> {
        let this = &mut *self;
        if let Some(b) = this.h2.as_mut() {
            return Pin::new(&mut **b).poll_frame(cx).map_err(|e| UpError::Io(io::Error::other(e)));
        }
        loop {
            match this.framing {
                Framing::Done => return Poll::Ready(None),
                Framing::Length(0) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Framing::Length(left) => {
                    let buf = this.buf();
                    if !buf.is_empty() {
                        let n = (buf.len() as u64).min(left) as usize;
                        let data = buf.split_to(n).freeze();
                        this.framing = Framing::Length(left - n as u64);
                        if left == n as u64 {
                            this.finish();
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    if ready!(this.poll_fill(cx))? == 0 {
                        return this.fail("upstream closed the connection before the end of the body");
                    }
                }
                Framing::UntilClose => {
                    let buf = this.buf();
                    if !buf.is_empty() {
                        let data = buf.split().freeze();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    if ready!(this.poll_fill(cx))? == 0 {
                        this.conn = None;
                        this.tunnel = None;
                        this.framing = Framing::Done;
                        return Poll::Ready(None);
                    }
                }
                Framing::Chunked(mut state) => {
                    let step = crate::wire::decode_chunked(&mut state, this.buf());
                    this.framing = Framing::Chunked(state);
                    match step {
                        Ok(Step::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                        Ok(Step::Trailers(t)) => {
                            this.finish();
                            return Poll::Ready(Some(Ok(Frame::trailers(t))));
                        }
                        Ok(Step::End) => {
                            this.finish();
                            return Poll::Ready(None);
                        }
                        Ok(Step::More) => {
                            if ready!(this.poll_fill(cx))? == 0 {
                                return this.fail("upstream closed the connection inside a chunked body");
                            }
                        }
                        Err(msg) => return this.fail(msg),
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        if let Some(b) = &self.h2 {
            return b.is_end_stream();
        }
        matches!(self.framing, Framing::Done | Framing::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        if let Some(b) = &self.h2 {
            return b.size_hint();
        }
        match self.framing {
            Framing::Length(n) => SizeHint::with_exact(n),
            Framing::Done => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}
