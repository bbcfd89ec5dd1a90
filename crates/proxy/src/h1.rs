//! The HTTP/1.x connection server of the proxy listener: one task per client connection
//! reads a request head ([`crate::codec`]), hands the request to [`Proxy::handle`] and
//! writes the response, with no dispatcher, channel or per-request timer in between.
//!
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
//! - A `101` answer to an upgrade request turns the connection into a tunnel
//!   (`tunnel::run`).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use bytes::BytesMut;
use http::header;
use http::{Method, Request, Response, StatusCode, Version};
use http_body::Body;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::Proxy;
use crate::body::response::RespBody;
use crate::codec::{ClientBody, Framing, H1Body, Head, MAX_HEAD, Reader, parse_head};
use crate::conn::ConnInfo;
use crate::wire::{chunk_line, frame_data, parse_length, put_field};

/// Body data frames up to this size are copied into the write buffer (one write with the
/// head); larger ones are written from their own buffer.
const COPY_LIMIT: usize = 16 * 1024;
/// A lingering close drains for at most this long.
const LINGER_TIME: Duration = Duration::from_secs(2);

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
    // Read once per response, without waiting (`stopping_now`); `stopping` is awaited.
    let stop_flag = stop.clone();
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
                    let mut out = Writer { w: &mut w, socket: None, limit: proxy.send_timeout };
                    let _ = write_response(&mut out, &mut wbuf, resp, Version::HTTP_11, false, false).await;
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
                let r = std::mem::replace(&mut reader, Reader::new(Box::new(tokio::io::empty()), BytesMut::new()));
                ClientBody::H1(H1Body::new(r, framing, slot.clone()))
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
            let mut fut = respond(&proxy, req, &info, socket.is_some());
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
            // Boxed: rare, and inline it would enlarge every connection's task.
            return Box::pin(crate::tunnel::run(reader, w, &mut wbuf, resp, tunnel, idle, stopping)).await;
        }
        // --- the response
        if !reader.body_done || stopping_now(&stop_flag) {
            keep_alive = false;
        }
        let mut out = Writer { w: &mut w, socket, limit: proxy.send_timeout };
        let ok = write_response(&mut out, &mut wbuf, resp, version, method == Method::HEAD, keep_alive).await;
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

/// Whether the stop signal has flipped (or its sender is gone, as `stopped` reads it),
/// without waiting: an atomic load and an uncontended read lock, where polling `stopped`
/// registered a waiter per response.
fn stopping_now(stop: &watch::Receiver<bool>) -> bool {
    stop.has_changed().is_err() || *stop.borrow()
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
///
/// The request's future (~3 KiB) is boxed for the time the request is in flight: inline, it
/// would be part of the connection's task, which every open connection holds whether a
/// request is in flight or not (bench/proxy.sh's RSS at 1,000 connections).
fn respond<'a>(
    proxy: &Arc<Proxy>,
    req: Request<ClientBody>,
    info: &'a Arc<ConnInfo>,
    batched: bool,
) -> Pin<Box<dyn std::future::Future<Output = Response<RespBody>> + 'a>> {
    if batched {
        Box::pin(proxy.clone().respond(req, info))
    } else {
        let handled = proxy.clone().handle(req, info.clone());
        Box::pin(async move {
            let Ok(resp) = handled.await;
            resp
        })
    }
}

/// The write side of a client connection as a response sees it.
struct Writer<'a, W> {
    w: &'a mut W,
    /// The raw socket while the response's first write may still go out with the other
    /// writes of this event-loop turn (batch.rs); taken by that write.
    socket: crate::batch::Socket,
    /// `--send-timeout-ms`: a write the client does not take within this fails.
    limit: Duration,
}

impl<W: AsyncWrite + Unpin> Writer<'_, W> {
    /// Write the write buffer, its start with the other writes of this turn when it is the
    /// response's first write (the batch owns the buffer meanwhile and hands it back).
    async fn put(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let sent = match self.socket.take() {
            Some(s) => {
                let (sent, back) = crate::batch::send(Some(s), std::mem::take(buf)).await;
                *buf = back;
                sent?
            }
            None => 0,
        };
        within(self.limit, self.w.write_all(&buf[sent..])).await
    }

    /// Write bytes that are not the response's first (a large body frame, after the head).
    async fn put_slice(&mut self, buf: &[u8]) -> io::Result<()> {
        within(self.limit, self.w.write_all(buf)).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        within(self.limit, self.w.flush()).await
    }
}

/// `f`, failing with `TimedOut` when it does not finish within `limit`. A write the socket
/// takes at once (the usual case) arms no timer.
async fn within(limit: Duration, f: impl std::future::Future<Output = io::Result<()>>) -> io::Result<()> {
    let mut f = std::pin::pin!(f);
    if let Poll::Ready(r) = std::future::poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await {
        return r;
    }
    tokio::time::timeout(limit, f).await.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}

/// Write one response. `Ok(true)`: written completely and the connection can carry
/// another request (if `keep_alive`).
async fn write_response<W: AsyncWrite + Unpin>(
    out_w: &mut Writer<'_, W>,
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
    // The upstream head's fields as lines (then the map is empty), or the map.
    let wire = body.wire_head();
    let declared = match wire {
        Some(w) => w.content_length,
        None => parts.headers.get(header::CONTENT_LENGTH).and_then(|v| parse_length(v.as_bytes())),
    };
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
    if let Some(w) = wire {
        wbuf.extend_from_slice(&w.lines);
        if let (true, Some(n)) = (no_body, w.content_length) {
            // A HEAD, 204 or 304 answer keeps the length the upstream declared.
            put_field(wbuf, b"content-length", itoa::Buffer::new().format(n).as_bytes());
        }
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
    if !wire.is_some_and(|w| w.has_date) && !parts.headers.contains_key(header::DATE) {
        put_field(wbuf, b"date", httpdate::fmt_http_date(std::time::SystemTime::now()).as_bytes());
    }
    wbuf.extend_from_slice(b"\r\n");
    drop(parts);

    if out == Out::None {
        out_w.put(wbuf).await?;
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
                    out_w.put(wbuf).await?;
                    wbuf.clear();
                }
                std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            }
        };
        let data = match frame {
            None => break,
            // The upstream failed mid-body: the client must not take the body as complete.
            Some(Err(_)) => {
                let _ = out_w.put(wbuf).await;
                return Ok(false);
            }
            Some(Ok(f)) => match frame_data(f, &mut trailers) {
                Some(d) => d,
                None => continue,
            },
        };
        if out == Out::Length(0) || (matches!(out, Out::Length(_)) && data.len() as u64 > left) {
            // More than the declared length: never put extra bytes on a keep-alive connection.
            let _ = out_w.put(wbuf).await;
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
            out_w.put(wbuf).await?;
            wbuf.clear();
            out_w.put_slice(&data).await?;
        }
        if out == Out::Chunked {
            wbuf.extend_from_slice(b"\r\n");
        }
        // The whole declared body is here: send it before the body's end is polled, which
        // finishes the request's trace (span export is not on the response's path).
        if wbuf.len() >= 4 * COPY_LIMIT || left == 0 {
            out_w.put(wbuf).await?;
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
    out_w.put(wbuf).await?;
    wbuf.clear();
    if out == Out::Close {
        out_w.flush().await?;
    }
    Ok(complete)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderValue;

    use super::*;

    async fn written(resp: Response<RespBody>, version: Version, head: bool, keep_alive: bool) -> (String, bool) {
        let mut out = Vec::new();
        let mut wbuf = Vec::new();
        let mut w = Writer { w: &mut out, socket: None, limit: Duration::from_secs(5) };
        let ok = write_response(&mut w, &mut wbuf, resp, version, head, keep_alive).await.unwrap();
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
