//! The HTTP/1.x server side of the proxy listener: one task per client connection reads a
//! request head, hands the request to [`Proxy::handle`] and writes the response, with no
//! dispatcher, channel or per-request timer in between.
//!
//! - Heads are parsed with httparse straight from the connection's read buffer; header
//!   values share the head's bytes.
//! - Request bodies (Content-Length or chunked, with trailers) are read by the request itself:
//!   the read half and its buffer move into the body ([`H1Body`]) and come back when the body
//!   ends or is dropped, so a body is never buffered whole and never read by two parties.
//! - A response is written with its head and first body bytes in one write when the body is
//!   ready, as Content-Length, chunked (HTTP/1.1) or close-delimited (HTTP/1.0) framing.
//! - `Expect: 100-continue` is answered at once and not forwarded (as Envoy does by default).
//! - A client that closes its connection while a bodiless request waits for the upstream
//!   cancels the request (as nginx does).
//! - Slowloris and idle keep-alive: a connection that goes a whole `header_timeout` period
//!   (`--header-timeout-ms`) without completing a request is closed (between one and two
//!   periods after it went quiet); one timer per connection, re-armed once per period, not
//!   per request.
//! - A connection closed with request bytes still unread (an early answer to an upload, a
//!   malformed request) is half-closed and drained for a moment (a lingering close), so the
//!   client reads the response instead of a reset.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::Proxy;
use crate::body::RespBody;
use crate::error::ProxyError;
use crate::forward::ConnInfo;
use crate::tunnel::Tunnel;
use crate::wire::{Chunked, Step, chunk_line, chunked_last, decode_chunked, frame_data, parse_length};

/// Largest request head (request line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields in a request head.
const MAX_HEADERS: usize = 100;
/// Read buffer growth step; small, since most connections carry small heads.
const READ_CHUNK: usize = 4 * 1024;
/// Body data frames up to this size are copied into the write buffer (one write with the
/// head); larger ones are written from their own buffer.
const COPY_LIMIT: usize = 16 * 1024;
/// A lingering close drains for at most this long.
const LINGER_TIME: Duration = Duration::from_secs(2);

/// The read side of a client connection and what was read but not consumed.
pub struct Reader {
    io: Box<dyn AsyncRead + Send + Unpin>,
    buf: BytesMut,
    /// The last request's body was read to its end (or it had none).
    body_done: bool,
}

impl Reader {
    /// `buf`: bytes already read from `io` (the connection's first bytes).
    pub fn new(io: Box<dyn AsyncRead + Send + Unpin>, buf: BytesMut) -> Self {
        Self { io, buf, body_done: true }
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve(READ_CHUNK);
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf)
    }

    async fn fill(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }
}

/// Serve HTTP/1.x requests on one client connection until it closes, fails, idles out or
/// `stop` flips (between requests).
pub async fn serve<W: AsyncWrite + Unpin>(
    proxy: Arc<Proxy>,
    info: Arc<ConnInfo>,
    mut reader: Reader,
    mut w: W,
    socket: crate::batch::Socket,
    stop: watch::Receiver<bool>,
) {
    let slot: Arc<Mutex<Option<Reader>>> = Arc::new(Mutex::new(None));
    let mut wbuf: Vec<u8> = Vec::new();
    let mut stopping = std::pin::pin!(stopped(stop));
    let period = proxy.header_timeout;
    let mut deadline = std::pin::pin!(tokio::time::sleep(period));
    // Requests completed, and the count when the deadline was last armed.
    let (mut served, mut served_at_arm) = (0u64, 0u64);
    loop {
        // --- read a request head
        let head = loop {
            match parse_head(&mut reader.buf) {
                Ok(Some(head)) => break head,
                Ok(None) => {}
                Err(e) => {
                    let resp = e.response();
                    let _ = write_response(&mut w, None, &mut wbuf, resp, Version::HTTP_11, false, false).await;
                    return linger(reader, w).await;
                }
            }
            let idle = reader.buf.is_empty();
            tokio::select! {
                biased;
                r = reader.fill() => match r {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                _ = &mut deadline => {
                    if served == served_at_arm {
                        // A whole period without one complete request: idle keep-alive or slowloris.
                        return;
                    }
                    served_at_arm = served;
                    deadline.as_mut().reset(tokio::time::Instant::now() + period);
                }
                _ = &mut stopping, if idle => return,
            }
        };
        let Head { method, uri, version, mut headers, framing, mut keep_alive, expect_continue } = head;

        // --- the request and its body
        let body = match framing {
            Framing::Length(0) => {
                reader.body_done = true;
                ClientBody::Empty
            }
            framing => {
                if expect_continue
                    && version == Version::HTTP_11
                    && reader.buf.is_empty()
                    && w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.is_err()
                {
                    return;
                }
                headers.remove(header::EXPECT);
                // The read half moves into the body and comes back through `slot`.
                let mut r = std::mem::replace(&mut reader, Reader::new(Box::new(tokio::io::empty()), BytesMut::new()));
                r.body_done = false;
                ClientBody::H1(H1Body { reader: Some(r), framing, chunk: Chunked::Size, slot: slot.clone() })
            }
        };
        let bodiless = matches!(body, ClientBody::Empty);
        let mut req = Request::new(body);
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri;
        *req.version_mut() = version;
        *req.headers_mut() = headers;
        // With a plain socket the response's write is batched here (batch::send), so the
        // request counts as active until it is written; otherwise `handle` batches it.
        let _active = socket.is_some().then(crate::batch::Active::enter);
        let mut resp = if bodiless {
            // Nobody else reads the connection meanwhile: watch it, so a client that goes
            // away cancels its request. Bytes of a pipelined request stay in the buffer.
            let fut = respond(&proxy, req, &info, socket.is_some());
            tokio::pin!(fut);
            let mut watching = true;
            loop {
                tokio::select! {
                    biased;
                    r = &mut fut => break r,
                    r = reader.fill(), if watching => match r {
                        Ok(0) | Err(_) => return,
                        Ok(_) => watching = reader.buf.len() < MAX_HEAD,
                    },
                }
            }
        } else {
            let r = respond(&proxy, req, &info, socket.is_some()).await;
            // The body has ended or been dropped by now (it lives no longer than the
            // upstream exchange), so the reader is back.
            match slot.lock().expect("reader slot").take() {
                Some(r) => reader = r,
                None => return,
            }
            r
        };
        served += 1;
        // A `101` to an upgrade request: the connection becomes a tunnel (tunnel.rs).
        if resp.status() == StatusCode::SWITCHING_PROTOCOLS
            && let Some(tunnel) = resp.body_mut().take_tunnel()
        {
            let idle = proxy.tunnel_idle_timeout;
            return run_tunnel(reader, w, &mut wbuf, resp, tunnel, idle, stopping).await;
        }
        // --- the response
        if !reader.body_done || stopping_now(&mut stopping) {
            keep_alive = false;
        }
        let ok = write_response(&mut w, socket, &mut wbuf, resp, version, method == Method::HEAD, keep_alive).await;
        drop(_active);
        if wbuf.capacity() > 4 * COPY_LIMIT {
            wbuf = Vec::new();
        }
        match ok {
            Ok(true) if keep_alive => {}
            Ok(_) => return linger(reader, w).await,
            Err(_) => return,
        }
    }
}

/// Write the `101` head, then carry bytes both ways until each side has closed, either
/// fails, the tunnel is silent both ways for `idle`, or the proxy stops.
async fn run_tunnel<W: AsyncWrite + Unpin, S: std::future::Future<Output = ()>>(
    mut reader: Reader,
    mut w: W,
    wbuf: &mut Vec<u8>,
    resp: Response<RespBody>,
    tunnel: Box<Tunnel>,
    idle: Duration,
    mut stopping: Pin<&mut S>,
) {
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
    reader.body_done = false;
    let client = ClientBody::H1(H1Body {
        reader: Some(reader),
        framing: Framing::Tunnel,
        chunk: Chunked::Size,
        slot: Arc::new(Mutex::new(None)),
    });
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
            if let Ok(data) = frame.map_err(io::Error::other)?.into_data() {
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

/// Whether the stop signal has flipped, without waiting.
fn stopping_now<F: std::future::Future<Output = ()>>(f: &mut Pin<&mut F>) -> bool {
    f.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop())).is_ready()
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    if rx.wait_for(|s| *s).await.is_err() {
        // The sender is gone: the proxy is going away.
    }
}

/// Half-close and drain what the client still sends, for a moment, so it reads the
/// response rather than a reset caused by unread bytes.
async fn linger<W: AsyncWrite + Unpin>(mut reader: Reader, mut w: W) {
    let _ = w.shutdown().await;
    if reader.body_done && reader.buf.is_empty() {
        return;
    }
    let drain = async {
        loop {
            reader.buf.clear();
            if let Ok(0) | Err(_) = reader.fill().await {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// How a request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    /// An upgraded connection (tunnel.rs): everything until the client closes.
    Tunnel,
}

/// A parsed request head.
struct Head {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    framing: Framing,
    keep_alive: bool,
    expect_continue: bool,
}

/// Parse one request head from the front of `buf` (removing it). `Ok(None)`: incomplete.
fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, ProxyError> {
    if buf.is_empty() {
        return Ok(None);
    }
    // Byte ranges of the method, the target and each header name and value.
    let mut ranges = [(0u32, 0u32, 0u32, 0u32); MAX_HEADERS];
    let (n, method, target, version, count) = {
        let mut slots = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut []);
        match httparse::ParserConfig::default().parse_request_with_uninit_headers(&mut req, buf, &mut slots) {
            Ok(httparse::Status::Complete(n)) => {
                let base = buf.as_ptr() as usize;
                let at = |s: &[u8]| (s.as_ptr() as usize - base) as u32;
                for (r, h) in ranges.iter_mut().zip(req.headers.iter()) {
                    *r = (at(h.name.as_bytes()), h.name.len() as u32, at(h.value), h.value.len() as u32);
                }
                let method =
                    Method::from_bytes(req.method.unwrap_or("").as_bytes()).map_err(|_| ProxyError::BadRequest)?;
                let path = req.path.unwrap_or("");
                (n, method, (at(path.as_bytes()) as usize, path.len()), req.version, req.headers.len())
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return Ok(None),
            Ok(httparse::Status::Partial) | Err(httparse::Error::TooManyHeaders) => {
                return Err(ProxyError::HeadTooLarge);
            }
            Err(_) => return Err(ProxyError::BadRequest),
        }
    };
    let raw = buf.split_to(n).freeze();
    let uri = Uri::from_maybe_shared(raw.slice(target.0..target.0 + target.1)).map_err(|_| ProxyError::BadRequest)?;
    let version = if version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
    // Room for the X-Forwarded-For/-Proto/-Host the request path adds: growing a map rehashes it.
    let mut headers = HeaderMap::with_capacity(count + 3);
    let mut length: Option<u64> = None;
    let (mut chunked, mut te_seen, mut close, mut ka, mut expect_continue) = (false, false, false, false, false);
    for &(ns, nl, vs, vl) in &ranges[..count] {
        let (ns, nl, vs, vl) = (ns as usize, nl as usize, vs as usize, vl as usize);
        let name = HeaderName::from_bytes(&raw[ns..ns + nl]).map_err(|_| ProxyError::BadRequest)?;
        let value = HeaderValue::from_maybe_shared(raw.slice(vs..vs + vl)).map_err(|_| ProxyError::BadRequest)?;
        if name == header::CONTENT_LENGTH {
            let n = parse_length(value.as_bytes()).ok_or(ProxyError::BadRequest)?;
            if length.is_some_and(|l| l != n) {
                return Err(ProxyError::BadRequest);
            }
            length = Some(n);
        } else if name == header::TRANSFER_ENCODING {
            te_seen = true;
            // `chunked` must be the last coding; any other final coding cannot be delimited.
            chunked = chunked_last(value.as_bytes());
        } else if name == header::CONNECTION {
            for t in value.as_bytes().split(|b| *b == b',').map(<[u8]>::trim_ascii) {
                close |= t.eq_ignore_ascii_case(b"close");
                ka |= t.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name == header::EXPECT {
            expect_continue = value.as_bytes().eq_ignore_ascii_case(b"100-continue");
        }
        headers.append(name, value);
    }
    // RFC 9112 §6.3: a Transfer-Encoding other than chunked last, or one beside a
    // Content-Length (request smuggling), is refused.
    let framing = match (te_seen, length) {
        (true, Some(_)) => return Err(ProxyError::BadRequest),
        (true, None) if !chunked => return Err(ProxyError::BadRequest),
        (true, None) => Framing::Chunked,
        (false, l) => Framing::Length(l.unwrap_or(0)),
    };
    let keep_alive = !close && (version == Version::HTTP_11 || ka);
    Ok(Some(Head { method, uri, version, headers, framing, keep_alive, expect_continue }))
}

/// A request body as the proxy path sees it: none, read from an HTTP/1 connection, or
/// hyper's (HTTP/2).
pub enum ClientBody {
    Empty,
    H1(H1Body),
    H2(hyper::body::Incoming),
}

impl Body for ClientBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            ClientBody::Empty => Poll::Ready(None),
            ClientBody::H1(b) => b.poll_frame(cx),
            ClientBody::H2(b) => Pin::new(b).poll_frame(cx).map_err(io::Error::other),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ClientBody::Empty => true,
            ClientBody::H1(b) => b.framing == Framing::Length(0) || b.chunk == Chunked::Done,
            ClientBody::H2(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ClientBody::Empty => SizeHint::with_exact(0),
            ClientBody::H1(b) => match b.framing {
                Framing::Length(n) => SizeHint::with_exact(n),
                Framing::Chunked | Framing::Tunnel => SizeHint::default(),
            },
            ClientBody::H2(b) => b.size_hint(),
        }
    }
}

/// An HTTP/1 request body, read from the connection as the upstream write consumes it.
pub struct H1Body {
    reader: Option<Reader>,
    /// What is left: `Length(n)` bytes, or a chunked body in state `chunk`.
    framing: Framing,
    chunk: Chunked,
    /// Where the reader goes back when the body ends or is dropped.
    slot: Arc<Mutex<Option<Reader>>>,
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl H1Body {
    fn give_back(&mut self, done: bool) {
        if let Some(mut r) = self.reader.take() {
            r.body_done = done;
            *self.slot.lock().expect("reader slot") = Some(r);
        }
    }

    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.poll_inner(cx) {
            Poll::Ready(Ok(Some(frame))) => Poll::Ready(Some(Ok(frame))),
            Poll::Ready(Ok(None)) => {
                self.give_back(true);
                Poll::Ready(None)
            }
            Poll::Ready(Err(e)) => {
                self.give_back(false);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Frame<Bytes>>>> {
        let Some(rd) = self.reader.as_mut() else { return Poll::Ready(Ok(None)) };
        loop {
            // Take what the buffer holds for the current state, or read more.
            match &mut self.framing {
                Framing::Length(0) => return Poll::Ready(Ok(None)),
                Framing::Length(left) => {
                    if !rd.buf.is_empty() {
                        let n = rd.buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                        *left -= n as u64;
                        return Poll::Ready(Ok(Some(Frame::data(rd.buf.split_to(n).freeze()))));
                    }
                }
                Framing::Tunnel => {
                    if !rd.buf.is_empty() {
                        return Poll::Ready(Ok(Some(Frame::data(rd.buf.split().freeze()))));
                    }
                }
                Framing::Chunked => match decode_chunked(&mut self.chunk, &mut rd.buf).map_err(invalid)? {
                    Step::Data(data) => return Poll::Ready(Ok(Some(Frame::data(data)))),
                    Step::Trailers(t) => return Poll::Ready(Ok(Some(Frame::trailers(t)))),
                    Step::End => return Poll::Ready(Ok(None)),
                    Step::More => {}
                },
            }
            match std::task::ready!(rd.poll_fill(cx)) {
                Ok(0) if self.framing == Framing::Tunnel => return Poll::Ready(Ok(None)),
                Ok(0) => return Poll::Ready(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body cut short"))),
                Ok(_) => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl Drop for H1Body {
    fn drop(&mut self) {
        let done = match self.framing {
            Framing::Length(n) => n == 0,
            Framing::Chunked => self.chunk == Chunked::Done,
            Framing::Tunnel => false,
        };
        self.give_back(done);
    }
}

/// How a response body is delimited on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Out {
    None,
    Length(u64),
    Chunked,
    /// Until the connection closes (an HTTP/1.0 client, unknown length).
    Close,
}

/// Serve one request: batched by the caller when it has a plain socket (see `serve`).
async fn respond(
    proxy: &Arc<Proxy>,
    req: Request<ClientBody>,
    info: &Arc<ConnInfo>,
    batched: bool,
) -> Response<RespBody> {
    if batched {
        proxy.clone().respond(req, info).await
    } else {
        let Ok(resp) = proxy.clone().handle(req, info.clone()).await;
        resp
    }
}

/// Write `buf`, its start with the other writes of this event-loop turn when `socket` is
/// still set (the first write of a response; see batch.rs).
async fn put<W: AsyncWrite + Unpin>(w: &mut W, socket: &mut crate::batch::Socket, buf: &[u8]) -> io::Result<()> {
    let sent = match socket.take() {
        Some(s) => crate::batch::send(Some(s), buf).await?,
        None => 0,
    };
    w.write_all(&buf[sent..]).await
}

/// Write one response. `Ok(true)`: written completely and the connection can carry
/// another request (if `keep_alive`).
async fn write_response<W: AsyncWrite + Unpin>(
    w: &mut W,
    mut socket: crate::batch::Socket,
    wbuf: &mut Vec<u8>,
    resp: Response<RespBody>,
    version: Version,
    head_request: bool,
    mut keep_alive: bool,
) -> io::Result<bool> {
    let (parts, mut body) = resp.into_parts();
    let status = parts.status;
    let no_body = head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| parse_length(v.as_bytes()));
    let out = if no_body {
        Out::None
    } else if let Some(n) = declared {
        Out::Length(n)
    } else if let Some(n) = body.size_hint().exact() {
        Out::Length(n)
    } else if version == Version::HTTP_11 {
        Out::Chunked
    } else {
        keep_alive = false;
        Out::Close
    };

    wbuf.clear();
    wbuf.extend_from_slice(b"HTTP/1.1 ");
    wbuf.extend_from_slice(status.as_str().as_bytes());
    wbuf.push(b' ');
    wbuf.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    wbuf.extend_from_slice(b"\r\n");
    for (name, value) in &parts.headers {
        // Framing is this hop's: a Content-Length is written below from the body it delimits.
        if name == header::CONTENT_LENGTH && !no_body {
            continue;
        }
        put_field(wbuf, name.as_str().as_bytes(), value.as_bytes());
    }
    match out {
        Out::Length(n) => put_field(wbuf, b"content-length", itoa::Buffer::new().format(n).as_bytes()),
        Out::Chunked => put_field(wbuf, b"transfer-encoding", b"chunked"),
        Out::None | Out::Close => {}
    }
    if !keep_alive {
        put_field(wbuf, b"connection", b"close");
    } else if version == Version::HTTP_10 {
        put_field(wbuf, b"connection", b"keep-alive");
    }
    if !parts.headers.contains_key(header::DATE) {
        put_field(wbuf, b"date", httpdate::fmt_http_date(std::time::SystemTime::now()).as_bytes());
    }
    wbuf.extend_from_slice(b"\r\n");
    drop(parts);

    if out == Out::None {
        put(w, &mut socket, wbuf).await?;
        return Ok(true);
    }
    let mut left = match out {
        Out::Length(n) => n,
        _ => u64::MAX,
    };
    let mut trailers = None;
    loop {
        // Whatever is ready goes out with the head; wait for more only after a flush.
        let frame = match std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut body).poll_frame(cx))).await {
            Poll::Ready(f) => f,
            Poll::Pending => {
                if !wbuf.is_empty() {
                    put(w, &mut socket, wbuf).await?;
                    wbuf.clear();
                }
                std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            }
        };
        let data = match frame {
            None => break,
            // The upstream failed mid-body: the client must not take the body as complete.
            Some(Err(_)) => {
                let _ = put(w, &mut socket, wbuf).await;
                return Ok(false);
            }
            Some(Ok(f)) => match frame_data(f, &mut trailers) {
                Some(d) => d,
                None => continue,
            },
        };
        if out == Out::Length(0) || (matches!(out, Out::Length(_)) && data.len() as u64 > left) {
            // More than the declared length: never put extra bytes on a keep-alive connection.
            let _ = put(w, &mut socket, wbuf).await;
            return Ok(false);
        }
        left = left.saturating_sub(data.len() as u64);
        if out == Out::Chunked {
            let mut line = [0u8; 18];
            wbuf.extend_from_slice(chunk_line(data.len(), &mut line));
        }
        if data.len() <= COPY_LIMIT {
            wbuf.extend_from_slice(&data);
        } else {
            put(w, &mut socket, wbuf).await?;
            wbuf.clear();
            put(w, &mut socket, &data).await?;
        }
        if out == Out::Chunked {
            wbuf.extend_from_slice(b"\r\n");
        }
        // The whole declared body is here: send it before the body's end is polled, which
        // finishes the request's trace (span export is not on the response's path).
        if wbuf.len() >= 4 * COPY_LIMIT || left == 0 {
            put(w, &mut socket, wbuf).await?;
            wbuf.clear();
        }
    }
    let complete = match out {
        Out::Length(_) => left == 0,
        Out::Chunked => {
            wbuf.extend_from_slice(b"0\r\n");
            for (name, value) in trailers.iter().flatten() {
                put_field(wbuf, name.as_str().as_bytes(), value.as_bytes());
            }
            wbuf.extend_from_slice(b"\r\n");
            true
        }
        Out::Close => false,
        Out::None => true,
    };
    put(w, &mut socket, wbuf).await?;
    wbuf.clear();
    if out == Out::Close {
        w.flush().await?;
    }
    Ok(complete)
}

fn put_field(wbuf: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    wbuf.extend_from_slice(name);
    wbuf.extend_from_slice(b": ");
    wbuf.extend_from_slice(value);
    wbuf.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_with_framing_and_keep_alive() {
        let mut b = BytesMut::from(&b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-A: 2\r\n\r\nGET /next"[..]);
        let h = parse_head(&mut b).unwrap().unwrap();
        assert_eq!((h.method, h.uri.to_string(), h.version), (Method::GET, "/a?b=1".into(), Version::HTTP_11));
        assert_eq!(h.headers.get_all("x-a").iter().count(), 2);
        assert_eq!(h.framing, Framing::Length(0));
        assert!(h.keep_alive);
        assert_eq!(&b[..], b"GET /next", "the rest stays in the buffer");
        assert!(parse_head(&mut b).unwrap().is_none(), "incomplete");

        let mut b = BytesMut::from(&b"POST / HTTP/1.0\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n"[..]);
        let h = parse_head(&mut b).unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive, h.version), (Framing::Length(5), true, Version::HTTP_10));
        let mut b = BytesMut::from(&b"GET / HTTP/1.0\r\n\r\n"[..]);
        assert!(!parse_head(&mut b).unwrap().unwrap().keep_alive);
        let mut b = BytesMut::from(&b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"[..]);
        assert!(!parse_head(&mut b).unwrap().unwrap().keep_alive);
        let mut b =
            BytesMut::from(&b"PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nExpect: 100-continue\r\n\r\n"[..]);
        let h = parse_head(&mut b).unwrap().unwrap();
        assert_eq!(h.framing, Framing::Chunked);
        assert!(h.expect_continue);
    }

    #[test]
    fn ambiguous_or_malformed_heads_are_refused() {
        for raw in [
            &b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
            b"GET\x01 / HTTP/1.1\r\n\r\n",
        ] {
            let mut b = BytesMut::from(raw);
            assert_eq!(parse_head(&mut b).err(), Some(ProxyError::BadRequest), "{}", String::from_utf8_lossy(raw));
        }
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        big.extend(std::iter::repeat_n(b"X-Pad: 0123456789\r\n".as_slice(), 4000).flatten());
        assert_eq!(parse_head(&mut BytesMut::from(&big[..])).err(), Some(ProxyError::HeadTooLarge));
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        many.extend(std::iter::repeat_n(b"X-A: 1\r\n".as_slice(), MAX_HEADERS + 1).flatten());
        many.extend_from_slice(b"\r\n");
        assert_eq!(parse_head(&mut BytesMut::from(&many[..])).err(), Some(ProxyError::HeadTooLarge));
    }

    /// Decode a body from `wire`, delivered in pieces of `step` bytes.
    async fn decode(framing: Framing, wire: &[u8], step: usize) -> (io::Result<Vec<u8>>, Option<HeaderMap>, Reader) {
        let (mut tx, rx) = tokio::io::duplex(64);
        let wire = wire.to_vec();
        let feed = tokio::spawn(async move {
            for piece in wire.chunks(step) {
                tx.write_all(piece).await.unwrap();
            }
        });
        let slot = Arc::new(Mutex::new(None));
        let mut body = H1Body {
            reader: Some(Reader::new(Box::new(rx), BytesMut::new())),
            framing,
            chunk: Chunked::Size,
            slot: slot.clone(),
        };
        let (mut data, mut trailers) = (Vec::new(), None);
        let mut result = Ok(());
        while let Some(f) = std::future::poll_fn(|cx| body.poll_frame(cx)).await {
            match f {
                Ok(f) => match f.into_data() {
                    Ok(d) => data.extend_from_slice(&d),
                    Err(f) => trailers = f.into_trailers().ok(),
                },
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        drop(body);
        feed.await.unwrap();
        let reader = slot.lock().unwrap().take().expect("the reader came back");
        (result.map(|()| data), trailers, reader)
    }

    #[tokio::test]
    async fn chunked_bodies_decode_across_any_split_and_leave_the_next_request() {
        let wire =
            b"5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Sum: 7\r\nX-Other: a\r\n\r\nGET /next";
        for step in [1, 2, 3, 7, 64] {
            let (data, trailers, reader) = decode(Framing::Chunked, wire, step).await;
            assert_eq!(data.unwrap(), b"helloabcdefghijklmnopqrstuvwxyz", "step {step}");
            let t = trailers.expect("trailers");
            assert_eq!((t["x-sum"].as_bytes(), t["x-other"].as_bytes()), (&b"7"[..], &b"a"[..]));
            assert!(reader.body_done);
            assert!(b"GET /next".starts_with(&reader.buf), "only the next request's bytes remain");
        }
        let (data, trailers, reader) = decode(Framing::Chunked, b"3\r\nabc\r\n0\r\n\r\n", 1).await;
        assert_eq!((data.unwrap(), trailers.is_none(), reader.body_done), (b"abc".to_vec(), true, true));
    }

    #[tokio::test]
    async fn bad_or_cut_bodies_fail_and_mark_the_connection() {
        for (framing, wire) in [
            (Framing::Chunked, &b"zz\r\nabc\r\n0\r\n\r\n"[..]),
            (Framing::Chunked, b"3\r\nabcX\r\n0\r\n\r\n"),
            (Framing::Chunked, b"3\r\nab"),
            (Framing::Length(10), b"short"),
        ] {
            let (data, _, reader) = decode(framing, wire, 2).await;
            assert!(data.is_err(), "{}", String::from_utf8_lossy(wire));
            assert!(!reader.body_done);
        }
        let (data, _, reader) = decode(Framing::Length(5), b"helloGET /", 3).await;
        assert_eq!(data.unwrap(), b"hello");
        assert!(reader.body_done);
    }

    async fn written(resp: Response<RespBody>, version: Version, head: bool, keep_alive: bool) -> (String, bool) {
        let mut out = Vec::new();
        let mut wbuf = Vec::new();
        let ok = write_response(&mut out, None, &mut wbuf, resp, version, head, keep_alive).await.unwrap();
        (String::from_utf8(out).unwrap(), ok)
    }

    #[tokio::test]
    async fn responses_are_framed_for_the_client() {
        let mut r = Response::new(RespBody::full(Bytes::from_static(b"hello")));
        r.headers_mut().insert("x-a", HeaderValue::from_static("1"));
        r.headers_mut().insert(header::DATE, HeaderValue::from_static("Thu, 01 Jan 2026 00:00:00 GMT"));
        let (s, ok) = written(r, Version::HTTP_11, false, true).await;
        assert!(ok);
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nx-a: 1\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\ncontent-length: 5\r\n\r\nhello"
        );

        // HEAD: the declared length stays, no body.
        let mut r = Response::new(RespBody::full(Bytes::new()));
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("1024"));
        let (s, _) = written(r, Version::HTTP_11, true, true).await;
        assert!(s.contains("content-length: 1024\r\n") && s.ends_with("\r\n\r\n") && s.contains("\r\ndate: "), "{s}");

        // HTTP/1.0 keep-alive and close.
        let (s, ok) =
            written(Response::new(RespBody::full(Bytes::from_static(b"x"))), Version::HTTP_10, false, true).await;
        assert!(ok && s.contains("connection: keep-alive\r\n"), "{s}");
        let (s, _) =
            written(Response::new(RespBody::full(Bytes::from_static(b"x"))), Version::HTTP_11, false, false).await;
        assert!(s.contains("connection: close\r\n"), "{s}");
    }
}
