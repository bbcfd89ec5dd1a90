//! The upstream HTTP/1.1 client: a pool of keep-alive connections per worker thread and
//! DSCP mark, driven directly by the request's own task.
//!
//! hyper's client runs every connection as a separate task fed through a channel, and keeps
//! its read and write buffers and the channel's blocks for the connection's whole life
//! (about 40 KiB per upstream connection). Here a request writes its head (and streams its
//! body) straight to the pooled socket, parses the response head with `httparse`, and the
//! response body ([`UpBody`]) reads the socket as the client consumes it. A connection
//! goes back to the pool when its response body has been read to the end, with no buffer:
//! an idle connection costs its socket and nothing else.
//!
//! Scope: HTTP/1.1 to the upstream (plain or TLS), `Content-Length`, chunked and
//! close-delimited bodies, 1xx responses skipped, no upgrades. A request without a body that
//! fails on a reused connection before any response byte arrives (the upstream closed an
//! idle keep-alive connection) is replayed once on a fresh connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme, Uri};
use http::{Method, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

use crate::HttpsConnector;
use crate::body::ReqBody;

/// The socket of one upstream connection (TCP, or TLS over TCP).
type Stream = TokioIo<hyper_rustls::MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>>;

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most header lines in a response head.
const MAX_HEADERS: usize = 128;
/// Bytes asked of the socket per read of a body.
const READ_CHUNK: usize = 8 * 1024;
/// Buffer for a response head (and, usually, a small body with it).
const HEAD_CHUNK: usize = 4 * 1024;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 4096;

/// Why an upstream exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error("connect: {0}")]
    Connect(String),
    #[error("upstream connection failed: {0}")]
    Io(#[from] io::Error),
    #[error("invalid response from upstream: {0}")]
    Protocol(&'static str),
    #[error("request body: {0}")]
    Body(String),
}

impl UpError {
    pub fn is_connect(&self) -> bool {
        matches!(self, UpError::Connect(_))
    }
}

/// Idle connections are closed after this long (shorter than common upstream keep-alive
/// timeouts, so the upstream rarely closes one under us).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

#[derive(Clone, PartialEq, Eq)]
struct Key {
    https: bool,
    authority: Authority,
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

struct PoolInner {
    connector: HttpsConnector,
    idle: Mutex<Vec<(Key, Vec<Idle>)>>,
    max_idle_per_key: usize,
}

/// A pool of upstream connections (one per worker thread and DSCP mark).
#[derive(Clone)]
pub struct Pool(Arc<PoolInner>);

/// One upstream connection (boxed everywhere: a TLS stream is over a kilobyte).
struct Conn {
    io: Stream,
    /// Bytes read and not yet consumed. Empty (no allocation) while the connection is idle.
    buf: BytesMut,
}

impl Pool {
    pub fn new(connector: HttpsConnector, max_idle_per_key: usize) -> Self {
        Pool(Arc::new(PoolInner { connector, idle: Mutex::new(Vec::new()), max_idle_per_key }))
    }

    /// Idle connections held, over all upstreams (metrics, tests).
    pub fn idle_count(&self) -> usize {
        self.0.idle.lock().expect("pool lock").iter().map(|(_, v)| v.len()).sum()
    }

    /// Send one request (`head` from [`RequestHead::encode`]) and return the response with
    /// its body still streaming.
    pub async fn send(
        &self,
        scheme: &Scheme,
        authority: &Authority,
        head: Vec<u8>,
        chunked: bool,
        head_only: bool,
        mut body: ReqBody,
    ) -> Result<Response<UpBody>, UpError> {
        let key = Key { https: *scheme == Scheme::HTTPS, authority: authority.clone() };
        let replayable = matches!(body, ReqBody::Empty);
        loop {
            let (mut conn, reused) = match self.checkout(&key) {
                Some(c) => (c, true),
                None => (self.connect(scheme, authority).await?, false),
            };
            match conn.exchange(&head, &mut body, chunked).await {
                Ok(parts) => return Ok(UpBody::start(conn, parts, head_only, self.clone(), key)),
                // The upstream closed a pooled connection as we reused it: nothing of the
                // request was processed, so a request without a body goes again, fresh.
                Err(Exchange { error, responded: false }) if reused && replayable => {
                    tracing::debug!(error = %error, "pooled upstream connection was closed; retrying on a new one");
                    continue;
                }
                Err(e) => return Err(e.error),
            }
        }
    }

    fn checkout(&self, key: &Key) -> Option<Box<Conn>> {
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

    fn checkin(&self, key: Key, conn: Box<Conn>) {
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

    async fn connect(&self, scheme: &Scheme, authority: &Authority) -> Result<Box<Conn>, UpError> {
        use tower_service::Service;
        let uri = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| UpError::Connect(e.to_string()))?;
        let mut connector = self.0.connector.clone();
        let io = connector.call(uri).await.map_err(|e| UpError::Connect(e.to_string()))?;
        Ok(Box::new(Conn { io: TokioIo::new(io), buf: BytesMut::new() }))
    }
}

/// A failed exchange, and whether any byte of a response had arrived.
struct Exchange {
    error: UpError,
    responded: bool,
}

impl From<UpError> for Exchange {
    fn from(error: UpError) -> Self {
        Exchange { error, responded: false }
    }
}

impl From<io::Error> for Exchange {
    fn from(e: io::Error) -> Self {
        Exchange { error: UpError::Io(e), responded: false }
    }
}

/// The response head as parsed.
struct Head {
    status: StatusCode,
    headers: HeaderMap,
    http10: bool,
}

impl Conn {
    /// An idle connection is usable when reading it would block (no EOF, no stray bytes).
    fn is_open(&mut self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut probe = [0u8; 1];
        let mut rb = ReadBuf::new(&mut probe);
        matches!(Pin::new(&mut self.io).poll_read(&mut cx, &mut rb), Poll::Pending)
    }

    /// Write the request, then read the response head (skipping 1xx). Returns the head and
    /// the number of bytes of `buf` it took.
    async fn exchange(&mut self, head: &[u8], body: &mut ReqBody, chunked: bool) -> Result<Head, Exchange> {
        self.io.write_all(head).await?;
        if let ReqBody::Stream(_) = body {
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| UpError::Body(e.to_string()))?;
                let Ok(data) = frame.into_data() else { continue }; // trailers are not forwarded
                if data.is_empty() {
                    continue;
                }
                if chunked {
                    self.io.write_all(format!("{:x}\r\n", data.len()).as_bytes()).await?;
                    self.io.write_all(&data).await?;
                    self.io.write_all(b"\r\n").await?;
                } else {
                    self.io.write_all(&data).await?;
                }
            }
            if chunked {
                self.io.write_all(b"0\r\n\r\n").await?;
            }
        }
        self.io.flush().await?;
        loop {
            let head = self.read_head().await?;
            if head.status == StatusCode::SWITCHING_PROTOCOLS {
                return Err(Exchange {
                    error: UpError::Protocol("protocol upgrades are not proxied"),
                    responded: true,
                });
            }
            if !head.status.is_informational() {
                return Ok(head);
            }
        }
    }

    /// Read and parse one response head, removing it from the buffer. Header values share
    /// the head's bytes (no copy per header).
    async fn read_head(&mut self) -> Result<Head, Exchange> {
        let responded = |error| Exchange { error, responded: true };
        loop {
            if !self.buf.is_empty() {
                // Byte ranges of each name and value within the head.
                let mut ranges = [(0u32, 0u32, 0u32, 0u32); MAX_HEADERS];
                let (n, code, version, count) = {
                    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
                    let mut resp = httparse::Response::new(&mut slots);
                    match resp.parse(&self.buf) {
                        Ok(httparse::Status::Complete(n)) => {
                            let base = self.buf.as_ptr() as usize;
                            for (r, h) in ranges.iter_mut().zip(resp.headers.iter()) {
                                let (name, value) = (h.name.as_ptr() as usize - base, h.value.as_ptr() as usize - base);
                                *r = (name as u32, h.name.len() as u32, value as u32, h.value.len() as u32);
                            }
                            (n, resp.code, resp.version, resp.headers.len())
                        }
                        Ok(httparse::Status::Partial) if self.buf.len() < MAX_HEAD => (0, None, None, 0),
                        Ok(httparse::Status::Partial) => {
                            return Err(responded(UpError::Protocol("response head too large")));
                        }
                        Err(_) => return Err(responded(UpError::Protocol("malformed response head"))),
                    }
                };
                if n > 0 {
                    let raw = self.buf.split_to(n).freeze();
                    let status = code
                        .and_then(|c| StatusCode::from_u16(c).ok())
                        .ok_or_else(|| responded(UpError::Protocol("bad status code")))?;
                    let mut headers = HeaderMap::with_capacity(count);
                    for &(ns, nl, vs, vl) in &ranges[..count] {
                        let (ns, nl, vs, vl) = (ns as usize, nl as usize, vs as usize, vl as usize);
                        let name = HeaderName::from_bytes(&raw[ns..ns + nl])
                            .map_err(|_| responded(UpError::Protocol("bad header name")))?;
                        let value = HeaderValue::from_maybe_shared(raw.slice(vs..vs + vl))
                            .map_err(|_| responded(UpError::Protocol("bad header value")))?;
                        headers.append(name, value);
                    }
                    return Ok(Head { status, headers, http10: version == Some(0) });
                }
            }
            self.buf.reserve(HEAD_CHUNK);
            let had = !self.buf.is_empty();
            if self.io.read_buf(&mut self.buf).await? == 0 {
                return Err(Exchange {
                    error: UpError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before a response")),
                    responded: had,
                });
            }
        }
    }
}

/// A request head encoded once per request, owning its bytes: the request line and every
/// header but `Host` (which depends on the endpoint of each attempt).
pub struct RequestHead {
    /// `METHOD path HTTP/1.1\r\n`
    line: Vec<u8>,
    /// `name: value\r\n` lines, without Host.
    fields: Vec<u8>,
    path_len: usize,
    method_len: usize,
    has_length: bool,
    needs_length: bool,
    head_only: bool,
}

impl RequestHead {
    pub fn new(method: &Method, pq: Option<&PathAndQuery>, headers: &HeaderMap, empty: bool) -> Self {
        let path = pq.map_or("/", |p| p.as_str());
        let path = if path.is_empty() { "/" } else { path };
        let mut line = Vec::with_capacity(method.as_str().len() + path.len() + 12);
        line.extend_from_slice(method.as_str().as_bytes());
        line.push(b' ');
        line.extend_from_slice(path.as_bytes());
        line.extend_from_slice(b" HTTP/1.1\r\n");
        let mut fields = Vec::with_capacity(headers.len() * 40);
        for (name, value) in headers {
            if name != header::HOST {
                push_field(&mut fields, name, value);
            }
        }
        RequestHead {
            line,
            fields,
            path_len: path.len(),
            method_len: method.as_str().len(),
            has_length: headers.contains_key(header::CONTENT_LENGTH),
            needs_length: empty && matches!(*method, Method::POST | Method::PUT | Method::PATCH),
            head_only: *method == Method::HEAD,
        }
    }

    /// The path and query, as sent.
    pub fn path(&self) -> &str {
        std::str::from_utf8(&self.line[self.method_len + 1..self.method_len + 1 + self.path_len]).unwrap_or("/")
    }

    pub fn head_only(&self) -> bool {
        self.head_only
    }

    /// Whether a body is sent chunked (it has one and no Content-Length).
    pub fn chunked(&self, empty_body: bool) -> bool {
        !empty_body && !self.has_length
    }

    /// The whole head for one attempt: request line, Host, `extra`, the client's headers
    /// and the framing.
    pub fn encode(&self, host: &HeaderValue, extra: &HeaderMap, empty_body: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.line.len() + self.fields.len() + host.len() + 48 + extra.len() * 64);
        out.extend_from_slice(&self.line);
        push_field(&mut out, &header::HOST, host);
        for (name, value) in extra {
            push_field(&mut out, name, value);
        }
        if extra.is_empty() {
            out.extend_from_slice(&self.fields);
        } else {
            // `extra` replaces the client's headers of the same names (trace context).
            for line in self.fields.split_inclusive(|b| *b == b'\n') {
                let name = line.split(|b| *b == b':').next().unwrap_or_default();
                if !extra.keys().any(|k| k.as_str().as_bytes() == name) {
                    out.extend_from_slice(line);
                }
            }
        }
        if self.chunked(empty_body) {
            out.extend_from_slice(b"transfer-encoding: chunked\r\n");
        } else if self.needs_length && !self.has_length {
            out.extend_from_slice(b"content-length: 0\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

fn push_field(out: &mut Vec<u8>, name: &HeaderName, value: &HeaderValue) {
    out.extend_from_slice(name.as_str().as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// How the response body ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Framing {
    /// This many bytes remain.
    Length(u64),
    Chunked(Chunk),
    /// Until the upstream closes the connection.
    UntilClose,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
}

/// A response body read from the upstream socket as the client consumes it. At its end, a
/// reusable connection goes back to the pool; dropped early, the connection is closed.
pub struct UpBody {
    conn: Option<Box<Conn>>,
    framing: Framing,
    reusable: bool,
    pool: Pool,
    key: Option<Key>,
}

impl UpBody {
    fn start(conn: Box<Conn>, head: Head, head_only: bool, pool: Pool, key: Key) -> Response<UpBody> {
        let Head { status, headers, http10 } = head;
        let close = headers
            .get_all(header::CONNECTION)
            .iter()
            .any(|v| v.to_str().is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case("close"))));
        let framing = if head_only || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
            Framing::Length(0)
        } else if let Some(te) = headers.get(header::TRANSFER_ENCODING) {
            let last_chunked = te
                .to_str()
                .ok()
                .and_then(|s| s.rsplit(',').next())
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked"));
            if last_chunked { Framing::Chunked(Chunk::Size) } else { Framing::UntilClose }
        } else if let Some(cl) = headers.get(header::CONTENT_LENGTH) {
            match cl.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()) {
                Some(n) => Framing::Length(n),
                None => Framing::UntilClose,
            }
        } else {
            Framing::UntilClose
        };
        let reusable = !close && !http10 && framing != Framing::UntilClose;
        let mut resp = Response::new(UpBody { conn: Some(conn), framing, reusable, pool, key: Some(key) });
        *resp.status_mut() = status;
        *resp.headers_mut() = headers;
        let body = resp.body_mut();
        if body.framing == Framing::Length(0) {
            body.finish();
        }
        resp
    }

    /// The body is complete: return the connection to the pool if it can serve another.
    fn finish(&mut self) {
        self.framing = Framing::Done;
        if let (Some(mut conn), Some(key)) = (self.conn.take(), self.key.take())
            && self.reusable
            && conn.buf.is_empty()
        {
            conn.buf = BytesMut::new();
            self.pool.checkin(key, conn);
        }
    }

    /// Read more from the socket into the buffer; Ok(0) at EOF.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(conn) = self.conn.as_mut() else { return Poll::Ready(Ok(0)) };
        if conn.buf.capacity() - conn.buf.len() < 1024 {
            conn.buf.reserve(READ_CHUNK);
        }
        let fut = std::pin::pin!(conn.io.read_buf(&mut conn.buf));
        fut.poll(cx)
    }

    fn buf(&mut self) -> &mut BytesMut {
        &mut self.conn.as_mut().expect("connection while the body is open").buf
    }

    fn fail(&mut self, msg: &'static str) -> Poll<Option<Result<Frame<Bytes>, UpError>>> {
        self.conn = None;
        self.framing = Framing::Done;
        Poll::Ready(Some(Err(UpError::Protocol(msg))))
    }

    /// Take one CRLF-terminated line (without the CRLF), if complete.
    fn take_line(&mut self) -> Option<Result<Bytes, ()>> {
        let buf = self.buf();
        match buf.windows(2).position(|w| w == b"\r\n") {
            Some(i) => {
                let line = buf.split_to(i).freeze();
                buf.advance(2);
                Some(Ok(line))
            }
            None if buf.len() > MAX_LINE => Some(Err(())),
            None => None,
        }
    }
}

fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let hex = line.split(|b| *b == b';').next()?;
    let hex = std::str::from_utf8(hex).ok()?.trim();
    if hex.is_empty() || hex.len() > 15 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

impl Body for UpBody {
    type Data = Bytes;
    type Error = UpError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, UpError>>> {
        let this = &mut *self;
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
                        this.framing = Framing::Done;
                        return Poll::Ready(None);
                    }
                }
                Framing::Chunked(state) => {
                    let progressed = match state {
                        Chunk::Size | Chunk::Trailers => match this.take_line() {
                            Some(Ok(line)) if state == Chunk::Size => match parse_chunk_size(&line) {
                                Some(0) => {
                                    this.framing = Framing::Chunked(Chunk::Trailers);
                                    true
                                }
                                Some(n) => {
                                    this.framing = Framing::Chunked(Chunk::Data(n));
                                    true
                                }
                                None => return this.fail("bad chunk size"),
                            },
                            Some(Ok(line)) => {
                                // A trailer line (not forwarded); an empty line ends the body.
                                if line.is_empty() {
                                    this.finish();
                                    return Poll::Ready(None);
                                }
                                true
                            }
                            Some(Err(())) => return this.fail("chunk line too long"),
                            None => false,
                        },
                        Chunk::Data(left) => {
                            let buf = this.buf();
                            if !buf.is_empty() {
                                let n = (buf.len() as u64).min(left) as usize;
                                let data = buf.split_to(n).freeze();
                                let left = left - n as u64;
                                this.framing =
                                    Framing::Chunked(if left == 0 { Chunk::DataEnd } else { Chunk::Data(left) });
                                return Poll::Ready(Some(Ok(Frame::data(data))));
                            }
                            false
                        }
                        Chunk::DataEnd => {
                            let buf = this.buf();
                            if buf.len() >= 2 {
                                if &buf[..2] != b"\r\n" {
                                    return this.fail("missing CRLF after chunk data");
                                }
                                buf.advance(2);
                                this.framing = Framing::Chunked(Chunk::Size);
                                true
                            } else {
                                false
                            }
                        }
                    };
                    if !progressed && ready!(this.poll_fill(cx))? == 0 {
                        return this.fail("upstream closed the connection inside a chunked body");
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.framing, Framing::Done | Framing::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        match self.framing {
            Framing::Length(n) => SizeHint::with_exact(n),
            Framing::Done => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_parse_with_extensions_and_reject_garbage() {
        assert_eq!(parse_chunk_size(b"1a"), Some(26));
        assert_eq!(parse_chunk_size(b"0"), Some(0));
        assert_eq!(parse_chunk_size(b"FF;name=value"), Some(255));
        assert_eq!(parse_chunk_size(b""), None);
        assert_eq!(parse_chunk_size(b"xyz"), None);
        assert_eq!(parse_chunk_size(b"ffffffffffffffffff"), None);
    }

    #[test]
    fn request_head_frames_the_body() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("client.example"));
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        let pq = PathAndQuery::from_static("/a?b=1");
        let up = HeaderValue::from_static("up.example");
        let none = HeaderMap::new();
        let head = RequestHead::new(&Method::GET, Some(&pq), &h, true);
        assert_eq!(head.path(), "/a?b=1");
        let text = String::from_utf8(head.encode(&up, &none, true)).unwrap();
        assert_eq!(text, "GET /a?b=1 HTTP/1.1\r\nhost: up.example\r\naccept: */*\r\n\r\n");
        let post = RequestHead::new(&Method::POST, Some(&pq), &h, true);
        assert!(String::from_utf8(post.encode(&up, &none, true)).unwrap().ends_with("content-length: 0\r\n\r\n"));
        let upload = RequestHead::new(&Method::POST, Some(&pq), &h, false);
        assert!(upload.chunked(false));
        let text = String::from_utf8(upload.encode(&up, &none, false)).unwrap();
        assert!(text.ends_with("transfer-encoding: chunked\r\n\r\n"), "{text}");
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5"));
        assert!(!RequestHead::new(&Method::PUT, Some(&pq), &h, false).chunked(false));
        assert!(RequestHead::new(&Method::HEAD, None, &h, true).head_only());
        // Headers of the attempt replace the client's of the same name.
        h.insert("traceparent", HeaderValue::from_static("client"));
        let mut extra = HeaderMap::new();
        extra.insert("traceparent", HeaderValue::from_static("ours"));
        let text = String::from_utf8(RequestHead::new(&Method::GET, None, &h, true).encode(&up, &extra, true)).unwrap();
        assert!(text.contains("traceparent: ours\r\n") && !text.contains("client\r\n"), "{text}");
    }
}
