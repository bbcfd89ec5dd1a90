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
//! close-delimited bodies, 1xx responses skipped, protocol upgrades (`101 Switching
//! Protocols`, e.g. WebSocket) for requests that asked for one: the connection then becomes a
//! tunnel whose read half is the response body and whose write half the caller takes with
//! [`UpBody::take_upgrade_writer`]. A request without a body that
//! fails on a reused connection before any response byte arrives (the upstream closed an
//! idle keep-alive connection) is replayed once on a fresh connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme, Uri};
use http::{Method, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::HttpsConnector;
use crate::body::ReqBody;
use crate::wire::{Chunked, Step};

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
/// How long to look for an answer after a request body could not be written.
const EARLY_ANSWER_GRACE: Duration = Duration::from_secs(1);

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

#[derive(Clone, Eq)]
struct Key {
    https: bool,
    authority: Authority,
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
    idle: Mutex<Vec<(Key, Vec<Idle>)>>,
    max_idle_per_key: usize,
}

/// A pool of upstream connections (one per worker thread and DSCP mark).
#[derive(Clone)]
pub struct Pool(Arc<PoolInner>);

/// One upstream connection (boxed everywhere: a TLS stream is over a kilobyte).
struct Conn {
    io: Stream,
    /// False once the connection's framing is unknown (a request body left unsent).
    reusable: bool,
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
    /// its body still streaming. `idempotent`: the request may be sent twice (RFC 9110
    /// §9.2.2); only then, and only without a body, is it replayed after a pooled
    /// connection turned out closed. `upgrade`: the request asks for a protocol upgrade
    /// (it has no body); a `101` answer turns the connection into a tunnel.
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        scheme: &Scheme,
        authority: &Authority,
        head: Vec<u8>,
        chunked: bool,
        head_only: bool,
        idempotent: bool,
        upgrade: bool,
        mut body: ReqBody,
    ) -> Result<Response<UpBody>, UpError> {
        let key = Key { https: *scheme == Scheme::HTTPS, authority: authority.clone() };
        let replayable = idempotent && matches!(body, ReqBody::Empty);
        let (mut conn, mut reused) = match self.checkout(&key) {
            Some(c) => (c, true),
            None => (self.connect(scheme, authority).await?, false),
        };
        loop {
            match conn.exchange(&head, &mut body, chunked, upgrade).await {
                Ok(parts) if parts.status == StatusCode::SWITCHING_PROTOCOLS => {
                    return Ok(UpBody::tunnel(conn, parts, self.clone()));
                }
                Ok(mut parts) => {
                    let framing = framing_of(&mut parts, head_only)?;
                    return Ok(UpBody::start(conn, parts, framing, self.clone(), key));
                }
                // The upstream closed a pooled connection as we reused it, before answering
                // anything: the request goes once more, on a new connection.
                Err(Exchange { error, responded: false }) if reused && replayable => {
                    tracing::debug!(error = %error, "pooled upstream connection was closed; retrying on a new one");
                    conn = self.connect(scheme, authority).await?;
                    reused = false;
                }
                Err(e) => return Err(e.error),
            }
        }
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
        Ok(Box::new(Conn { io: TokioIo::new(io), reusable: true, buf: BytesMut::new() }))
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
    /// End-to-end fields only: hop-by-hop fields, and those named by `Connection`, are
    /// left out as the head is parsed.
    headers: HeaderMap,
    http10: bool,
    /// `Connection: close` was sent.
    close: bool,
    /// The `Upgrade` field (hop-by-hop, so not in `headers`): the protocol a `101` switches to.
    upgrade: Option<Bytes>,
    /// The value of the last `Transfer-Encoding` line.
    transfer_encoding: Option<Bytes>,
    /// `Content-Length`: absent, one agreed value, or why it is invalid.
    content_length: Result<Option<u64>, &'static str>,
    /// Exactly one `Content-Length` line, holding only digits: forwarded as it is.
    length_clean: bool,
}

impl Head {
    /// Build a head from the parsed fields (byte ranges of name and value within `raw`), in
    /// one pass and without a header-map lookup: framing and `Connection` are read from the
    /// bytes, and hop-by-hop fields never enter the map.
    fn build(
        status: StatusCode,
        http10: bool,
        raw: &Bytes,
        fields: impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + Clone,
    ) -> Result<Head, UpError> {
        let is = |name: &[u8], want: &[u8]| name.eq_ignore_ascii_case(want);
        // Connection: `close`, and the other names it lists (rare: no allocation without).
        let mut close = false;
        let mut listed: Vec<&[u8]> = Vec::new();
        for (n, v) in fields.clone() {
            if is(&raw[n], b"connection") {
                let value = &raw[v];
                close |= crate::wire::lists_token(value, b"close");
                listed.extend(crate::forward::connection_listed(value));
            }
        }
        let mut head = Head {
            status,
            headers: HeaderMap::with_capacity(fields.clone().count()),
            http10,
            close,
            upgrade: None,
            transfer_encoding: None,
            content_length: Ok(None),
            length_clean: false,
        };
        let mut length_lines = 0;
        for (n, v) in fields {
            let (name, value) = (&raw[n], &raw[v.clone()]);
            if crate::forward::is_hop_by_hop_name(name) {
                if is(name, b"transfer-encoding") {
                    head.transfer_encoding = Some(raw.slice(v));
                } else if is(name, b"upgrade") {
                    head.upgrade = Some(raw.slice(v));
                }
                continue;
            }
            if is(name, b"content-length") {
                // Framing reads every Content-Length line, even one Connection lists.
                length_lines += 1;
                head.length_clean = length_lines == 1 && !value.is_empty() && value.iter().all(u8::is_ascii_digit);
                head.content_length = merge_length(head.content_length, value);
            }
            if listed.iter().any(|t| is(t, name)) {
                continue;
            }
            let name = HeaderName::from_bytes(name).map_err(|_| UpError::Protocol("bad header name"))?;
            let value =
                HeaderValue::from_maybe_shared(raw.slice(v)).map_err(|_| UpError::Protocol("bad header value"))?;
            head.headers.append(name, value);
        }
        Ok(head)
    }
}

/// Fold one `Content-Length` line (possibly a list, `5, 5`) into what was seen so far: all
/// values must be valid and agree (RFC 9112 §6.3).
fn merge_length(seen: Result<Option<u64>, &'static str>, line: &[u8]) -> Result<Option<u64>, &'static str> {
    let mut length = seen?;
    for part in line.split(|b| *b == b',') {
        let n = crate::wire::parse_length(part.trim_ascii()).ok_or("invalid Content-Length")?;
        if length.is_some_and(|l| l != n) {
            return Err("conflicting Content-Length values");
        }
        length = Some(n);
    }
    Ok(length)
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
    async fn exchange(
        &mut self,
        head: &[u8],
        body: &mut ReqBody,
        chunked: bool,
        upgrade: bool,
    ) -> Result<Head, Exchange> {
        // Written with the other upstream requests of this event-loop turn (batch.rs).
        let sent = crate::batch::send(self.socket(), head).await?;
        self.io.write_all(&head[sent..]).await?;
        if let ReqBody::Stream(_) = body {
            // Boxed: this future is large, and inline it would enlarge every request's future
            // (and so every connection's task) even for requests without a body.
            if let Some(head) = Box::pin(self.send_body(body, chunked)).await? {
                self.reusable = false;
                return Ok(head);
            }
        } else {
            self.io.flush().await?;
        }
        read_final_head(&mut self.io, &mut self.buf, upgrade).await
    }

    /// Stream the body while watching for the response head. `Some(head)`: the upstream
    /// answered before the body was all sent.
    async fn send_body(&mut self, body: &mut ReqBody, chunked: bool) -> Result<Option<Head>, Exchange> {
        let (mut rd, mut wr) = tokio::io::split(&mut self.io);
        let write = async {
            write_body(&mut wr, body, chunked).await?;
            wr.flush().await.map_err(Exchange::from)
        };
        let read = read_final_head(&mut rd, &mut self.buf, false);
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

/// Stream a request body to the upstream (chunked when it has no Content-Length).
async fn write_body<W: AsyncWrite + Unpin>(w: &mut W, body: &mut ReqBody, chunked: bool) -> Result<(), Exchange> {
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| UpError::Body(e.to_string()))?;
        let Some(data) = crate::wire::frame_data(frame, &mut trailers) else { continue };
        if chunked {
            w.write_all(crate::wire::chunk_line(data.len(), &mut [0; 18])).await?;
            w.write_all(&data).await?;
            w.write_all(b"\r\n").await?;
        } else {
            w.write_all(&data).await?;
        }
    }
    if chunked {
        // Request trailers ride in the last chunk; a body sent with a Content-Length has no
        // place for them.
        w.write_all(&last_chunk(trailers.as_ref())).await?;
    }
    Ok(())
}

/// The last chunk of a chunked body, with the trailer fields a proxy may forward (framing,
/// routing and hop-by-hop fields never travel as trailers, RFC 9110 §6.5.1).
fn last_chunk(trailers: Option<&HeaderMap>) -> Vec<u8> {
    let mut out = b"0\r\n".to_vec();
    for (name, value) in trailers.into_iter().flatten() {
        let n = name.as_str().as_bytes();
        if !crate::forward::is_hop_by_hop_name(n) && name != header::CONTENT_LENGTH && name != header::HOST {
            push_field(&mut out, name, value);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Read response heads until a final one (1xx skipped). A `101` is final when the request
/// asked for an `upgrade` and names the protocol it switches to; otherwise it is refused.
/// Cancel-safe: bytes read stay in `buf`.
async fn read_final_head<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    upgrade: bool,
) -> Result<Head, Exchange> {
    let mut informational = false;
    loop {
        let head = read_head(io, buf, informational).await?;
        if head.status == StatusCode::SWITCHING_PROTOCOLS {
            if upgrade && head.upgrade.is_some() {
                return Ok(head);
            }
            return Err(Exchange { error: UpError::Protocol("unrequested protocol upgrade"), responded: true });
        }
        if !head.status.is_informational() {
            return Ok(head);
        }
        informational = true;
    }
}

/// Read and parse one response head, removing it from the buffer. Header values share the
/// head's bytes (no copy per header). `responded`: a response (a 1xx) was already seen.
async fn read_head<R: AsyncRead + Unpin>(io: &mut R, buf: &mut BytesMut, responded: bool) -> Result<Head, Exchange> {
    let answered = |error| Exchange { error, responded: true };
    {
        loop {
            if !buf.is_empty() {
                // Byte ranges of each name and value within the head.
                let mut ranges = [(0u32, 0u32, 0u32, 0u32); MAX_HEADERS];
                let (n, code, version, count) = {
                    // Uninitialised slots: nothing to fill per response head.
                    let mut slots = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
                    let mut resp = httparse::Response::new(&mut []);
                    match httparse::ParserConfig::default()
                        .parse_response_with_uninit_headers(&mut resp, buf, &mut slots)
                    {
                        Ok(httparse::Status::Complete(n)) => {
                            let base = buf.as_ptr() as usize;
                            for (r, h) in ranges.iter_mut().zip(resp.headers.iter()) {
                                let (name, value) = (h.name.as_ptr() as usize - base, h.value.as_ptr() as usize - base);
                                *r = (name as u32, h.name.len() as u32, value as u32, h.value.len() as u32);
                            }
                            (n, resp.code, resp.version, resp.headers.len())
                        }
                        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => (0, None, None, 0),
                        Ok(httparse::Status::Partial) => {
                            return Err(answered(UpError::Protocol("response head too large")));
                        }
                        Err(_) => return Err(answered(UpError::Protocol("malformed response head"))),
                    }
                };
                if n > 0 {
                    let raw = buf.split_to(n).freeze();
                    let status = code
                        .and_then(|c| StatusCode::from_u16(c).ok())
                        .ok_or_else(|| answered(UpError::Protocol("bad status code")))?;
                    let fields = ranges[..count].iter().map(|&(ns, nl, vs, vl)| {
                        let (ns, nl, vs, vl) = (ns as usize, nl as usize, vs as usize, vl as usize);
                        (ns..ns + nl, vs..vs + vl)
                    });
                    return Head::build(status, version == Some(0), &raw, fields).map_err(answered);
                }
            }
            buf.reserve(HEAD_CHUNK);
            let responded = responded || !buf.is_empty();
            match io.read_buf(buf).await {
                Ok(0) => {
                    return Err(Exchange {
                        error: UpError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before a response")),
                        responded,
                    });
                }
                Ok(_) => {}
                Err(e) => return Err(Exchange { error: UpError::Io(e), responded }),
            }
        }
    }
}

/// A request head encoded once per request, owning its bytes: the request line and every
/// header but `Host` (which depends on the endpoint of each attempt).
pub struct RequestHead {
    /// `METHOD path HTTP/1.1\r\n` (the first `line_len` bytes), then `name: value\r\n`
    /// lines without Host: one allocation.
    bytes: Vec<u8>,
    line_len: usize,
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
        let line_len = method.as_str().len() + path.len() + 12;
        let mut bytes = Vec::with_capacity(line_len + headers.len() * 48);
        bytes.extend_from_slice(method.as_str().as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(path.as_bytes());
        bytes.extend_from_slice(b" HTTP/1.1\r\n");
        debug_assert_eq!(bytes.len(), line_len);
        for (name, value) in headers {
            if name != header::HOST {
                push_field(&mut bytes, name, value);
            }
        }
        RequestHead {
            bytes,
            line_len,
            path_len: path.len(),
            method_len: method.as_str().len(),
            has_length: headers.contains_key(header::CONTENT_LENGTH),
            needs_length: empty && matches!(*method, Method::POST | Method::PUT | Method::PATCH),
            head_only: *method == Method::HEAD,
        }
    }

    /// The path and query, as sent.
    pub fn path(&self) -> &str {
        std::str::from_utf8(&self.bytes[self.method_len + 1..self.method_len + 1 + self.path_len]).unwrap_or("/")
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
        let (line, fields) = self.bytes.split_at(self.line_len);
        let mut out = Vec::with_capacity(self.bytes.len() + host.len() + 48 + extra.len() * 64);
        out.extend_from_slice(line);
        push_field(&mut out, &header::HOST, host);
        for (name, value) in extra {
            push_field(&mut out, name, value);
        }
        if extra.is_empty() {
            out.extend_from_slice(fields);
        } else {
            // `extra` replaces the client's headers of the same names (trace context).
            for line in fields.split_inclusive(|b| *b == b'\n') {
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
    Chunked(Chunked),
    /// Until the upstream closes the connection.
    UntilClose,
    Done,
}

/// How a response's body is delimited (RFC 9112 §6.3). Removes a Content-Length that
/// Transfer-Encoding overrides, so the client is never told a length the body does not
/// have; differing or malformed Content-Length values are an error.
fn framing_of(head: &mut Head, head_only: bool) -> Result<Framing, UpError> {
    let status = head.status;
    if head_only || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok(Framing::Length(0));
    }
    if let Some(te) = &head.transfer_encoding {
        // The last coding of the last Transfer-Encoding line decides; Content-Length is void.
        let chunked = crate::wire::chunked_last(te);
        if head.content_length != Ok(None) {
            head.headers.remove(header::CONTENT_LENGTH);
        }
        return Ok(if chunked { Framing::Chunked(Chunked::Size) } else { Framing::UntilClose });
    }
    let length = head.content_length.map_err(UpError::Protocol)?;
    if let Some(n) = length
        && !head.length_clean
    {
        // One clean value for the client (`5, 5` or ` 5` become `5`).
        head.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}

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
}

impl UpBody {
    fn start(conn: Box<Conn>, head: Head, framing: Framing, pool: Pool, key: Key) -> Response<UpBody> {
        let Head { status, headers, http10, close, .. } = head;
        let reusable = conn.reusable && !close && !http10 && framing != Framing::UntilClose;
        let mut resp =
            Response::new(UpBody { conn: Some(conn), tunnel: None, framing, reusable, pool, key: Some(key) });
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
    fn tunnel(conn: Box<Conn>, head: Head, pool: Pool) -> Response<UpBody> {
        let Conn { io, buf, .. } = *conn;
        let (rd, wr) = tokio::io::split(io);
        let tunnel = TunnelIo { rd, buf, wr: Some(wr) };
        let Head { status, mut headers, upgrade, .. } = head;
        if let Some(v) = upgrade.and_then(|v| HeaderValue::from_maybe_shared(v).ok()) {
            headers.insert(header::UPGRADE, v);
        }
        let body = UpBody {
            conn: None,
            tunnel: Some(Box::new(tunnel)),
            framing: Framing::UntilClose,
            reusable: false,
            pool,
            key: None,
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = status;
        *resp.headers_mut() = headers;
        resp
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
            conn.buf = BytesMut::new();
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
    fn the_last_chunk_carries_forwardable_trailers() {
        assert_eq!(last_chunk(None), b"0\r\n\r\n");
        let mut t = HeaderMap::new();
        t.insert("x-checksum", HeaderValue::from_static("abc"));
        t.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5"));
        t.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        assert_eq!(last_chunk(Some(&t)), b"0\r\nx-checksum: abc\r\n\r\n");
    }

    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// A raw HTTP/1.1 upstream: `answer(connection number, request number on it)` gives the
    /// bytes to write back for each request head read, or None to close the connection.
    async fn raw_upstream(
        answer: impl Fn(usize, usize) -> Option<&'static str> + Send + Sync + 'static,
    ) -> (Authority, Arc<AtomicUsize>) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let authority: Authority = l.local_addr().unwrap().to_string().parse().unwrap();
        let heads = Arc::new(AtomicUsize::new(0));
        let (answer, seen) = (Arc::new(answer), heads.clone());
        tokio::spawn(async move {
            for conn_no in 0.. {
                let (mut s, _) = l.accept().await.unwrap();
                let (answer, seen) = (answer.clone(), seen.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    for req_no in 0.. {
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            let mut chunk = [0u8; 4096];
                            match s.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        buf.drain(..end);
                        seen.fetch_add(1, Ordering::SeqCst);
                        match answer(conn_no, req_no) {
                            Some(r) => s.write_all(r.as_bytes()).await.unwrap(),
                            None => return,
                        }
                    }
                });
            }
        });
        (authority, heads)
    }

    fn pool() -> Pool {
        crate::upstream_client(&crate::upstream_tls(None).unwrap(), 0)
    }

    fn get_head(method: Method) -> RequestHead {
        RequestHead::new(&method, Some(&PathAndQuery::from_static("/")), &HeaderMap::new(), true)
    }

    async fn call(pool: &Pool, authority: &Authority, method: Method) -> Result<Response<UpBody>, UpError> {
        let head = get_head(method.clone());
        let bytes = head.encode(&HeaderValue::from_static("up"), &HeaderMap::new(), true);
        let idempotent = method == Method::GET;
        pool.send(&Scheme::HTTP, authority, bytes, false, false, idempotent, false, ReqBody::Empty).await
    }

    #[tokio::test]
    async fn transfer_encoding_overrides_content_length_and_trailers_arrive() {
        let (up, _) = raw_upstream(|_, _| {
            Some("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-checksum: abc\r\n\r\n")
        })
        .await;
        let p = pool();
        let resp = call(&p, &up, Method::GET).await.unwrap();
        assert!(!resp.headers().contains_key(header::CONTENT_LENGTH), "{:?}", resp.headers());
        let collected = resp.into_body().collect().await.unwrap();
        assert_eq!(collected.trailers().unwrap()["x-checksum"], "abc");
        assert_eq!(&collected.to_bytes()[..], b"hello world");
        // The connection went back to the pool and serves the next request.
        assert_eq!(p.idle_count(), 1);
        assert!(call(&p, &up, Method::GET).await.is_ok());
    }

    #[tokio::test]
    async fn conflicting_or_malformed_content_lengths_are_refused() {
        for bad in [
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\ncontent-length: +5\r\n\r\nhello",
        ] {
            let (up, _) = raw_upstream(move |_, _| Some(bad)).await;
            let err = call(&pool(), &up, Method::GET).await.err().expect("refused");
            assert!(matches!(err, UpError::Protocol(_)), "{err}");
        }
        // Repeated identical values are one length.
        let (up, _) = raw_upstream(|_, _| Some("HTTP/1.1 200 OK\r\ncontent-length: 5, 5\r\n\r\nhello")).await;
        let resp = call(&pool(), &up, Method::GET).await.unwrap();
        assert_eq!(resp.headers()[header::CONTENT_LENGTH], "5");
        assert_eq!(&resp.into_body().collect().await.unwrap().to_bytes()[..], b"hello");
    }

    #[tokio::test]
    async fn hop_by_hop_fields_are_left_out_of_the_response_and_close_is_honoured() {
        let (up, heads) = raw_upstream(|_, req| {
            Some(match req {
                0 => {
                    "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, X-Secret\r\nKeep-Alive: timeout=5\r\n\
                     X-SECRET: s\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nTrailer: x-t\r\n\
                     X-Kept: yes\r\nContent-Length: 2\r\n\r\nok"
                }
                _ => "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok",
            })
        })
        .await;
        let pool = pool();
        let resp = call(&pool, &up, Method::GET).await.unwrap();
        let names: Vec<&str> = resp.headers().keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-kept", "content-length"]);
        assert_eq!(&resp.into_body().collect().await.unwrap().to_bytes()[..], b"ok");
        assert_eq!(pool.idle_count(), 1);
        // Kept alive: the second request reuses the connection; `close` then ends it.
        let resp = call(&pool, &up, Method::GET).await.unwrap();
        assert!(resp.headers().get(header::CONNECTION).is_none());
        assert_eq!(&resp.into_body().collect().await.unwrap().to_bytes()[..], b"ok");
        assert_eq!(heads.load(Ordering::SeqCst), 2);
        assert_eq!(pool.idle_count(), 0, "a connection that announced close is not pooled");
    }

    /// The first connection answers one request, then closes on the next one without an
    /// answer (an upstream's keep-alive timeout racing our reuse).
    async fn stale_after_one() -> (Authority, Arc<AtomicUsize>) {
        raw_upstream(|conn, req| match (conn, req) {
            (0, 0) | (1.., _) => Some("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
            _ => None,
        })
        .await
    }

    #[tokio::test]
    async fn only_idempotent_requests_are_replayed_after_a_stale_pooled_connection() {
        let (up, heads) = stale_after_one().await;
        let p = pool();
        let first = call(&p, &up, Method::GET).await.unwrap();
        first.into_body().collect().await.unwrap();
        // A POST written to the stale connection may have been acted on: not replayed.
        assert!(call(&p, &up, Method::POST).await.is_err());
        assert_eq!(heads.load(Ordering::SeqCst), 2);

        let (up, heads) = stale_after_one().await;
        let p = pool();
        call(&p, &up, Method::GET).await.unwrap().into_body().collect().await.unwrap();
        // A GET is sent again, on a new connection, and succeeds.
        let resp = call(&p, &up, Method::GET).await.unwrap();
        assert_eq!(&resp.into_body().collect().await.unwrap().to_bytes()[..], b"ok");
        assert_eq!(heads.load(Ordering::SeqCst), 3);
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
