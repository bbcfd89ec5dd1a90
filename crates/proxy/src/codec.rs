//! The HTTP/1 server-side codec: the read half of a client connection ([`Reader`]), the
//! request-head parser, and request bodies ([`H1Body`], and [`ClientBody`], the request body
//! as the proxy path sees it whether it came over HTTP/1 or HTTP/2).
//!
//! - Heads are parsed with httparse straight from the connection's read buffer; header
//!   values share the head's bytes.
//! - Smuggling-shaped heads are refused: Transfer-Encoding beside Content-Length, a
//!   Transfer-Encoding whose last coding is not `chunked`, differing or malformed lengths.
//! - Request bodies (Content-Length or chunked, with trailers) are read by the request
//!   itself: the read half and its buffer move into the body ([`H1Body`]) and come back
//!   through a slot when the body ends or is dropped, so a body is never buffered whole and
//!   never read by two parties.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Uri, Version};
use http_body::{Body, Frame, SizeHint};
use tokio::io::AsyncRead;

use crate::error::ProxyError;
use crate::wire::{Chunked, Step, chunked_last, decode_chunked, parse_length};

/// Largest request head (request line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields in a request head.
const MAX_HEADERS: usize = 100;
/// Read buffer growth step for request heads: most heads are a few hundred bytes, and every
/// open connection holds its buffer (1,000 connections: 1 MiB; 4 KiB steps made it 5).
const HEAD_CHUNK: usize = 1024;
/// Read buffer growth step for request bodies.
const BODY_CHUNK: usize = 4 * 1024;

/// The read side of a client connection and what was read but not consumed.
pub struct Reader {
    io: Box<dyn AsyncRead + Send + Unpin>,
    /// Bytes read and not yet consumed (the next request head, a pipelined request).
    pub(crate) buf: BytesMut,
    /// The last request's body was read to its end (or it had none).
    pub(crate) body_done: bool,
}

impl Reader {
    /// `buf`: bytes already read from `io` (the connection's first bytes).
    pub fn new(io: Box<dyn AsyncRead + Send + Unpin>, buf: BytesMut) -> Self {
        Self { io, buf, body_done: true }
    }

    /// Read what is there, first making room for at least a quarter of `chunk`. `reserve`
    /// reuses the buffer in place once the previous request's head (which shares it) is gone,
    /// so a connection keeps one small buffer.
    fn poll_fill(&mut self, cx: &mut Context<'_>, chunk: usize) -> Poll<io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < chunk / 4 {
            self.buf.reserve(chunk.max(self.buf.len()));
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf)
    }

    /// Read more of a request head (or what follows a request).
    pub(crate) async fn fill(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx, HEAD_CHUNK)).await
    }
}

/// How a request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(u64),
    Chunked,
    /// An upgraded connection (tunnel.rs): everything until the client closes.
    Tunnel,
}

/// A parsed request head.
pub(crate) struct Head {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) framing: Framing,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
}

/// Parse one request head from the front of `buf` (removing it). `Ok(None)`: incomplete.
pub(crate) fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, ProxyError> {
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
    let mut hosts = 0;
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
        } else if name == header::HOST {
            // RFC 9112 §3.2: more than one Host is a 400 (we would route by one, the
            // upstream might read another).
            hosts += 1;
            if hosts > 1 {
                return Err(ProxyError::BadRequest);
            }
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
    /// A body read from `reader` as `framing` says; the reader goes back into `slot` (for
    /// the connection's next request) when the body ends or is dropped.
    pub(crate) fn new(mut reader: Reader, framing: Framing, slot: Arc<Mutex<Option<Reader>>>) -> Self {
        reader.body_done = false;
        H1Body { reader: Some(reader), framing, chunk: Chunked::Size, slot }
    }

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
            match std::task::ready!(rd.poll_fill(cx, BODY_CHUNK)) {
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

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

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
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
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
        let mut body = H1Body::new(Reader::new(Box::new(rx), BytesMut::new()), framing, slot.clone());
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
}
