//! The request as it goes upstream: its head encoded once per request ([`RequestHead`]),
//! one attempt's bytes and body ([`Outgoing`]), and the body's streaming with trailers.

use http::Method;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http_body_util::BodyExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::body::request::ReqBody;
use crate::runtime::HeadFor;
use crate::upstream::error::{Exchange, UpError};
use crate::upstream::limits::{Timeouts, upstream};
use crate::wire::put_field;

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
    /// A bodiless POST/PUT/PATCH gets `content-length: 0` (some servers wait for a body otherwise).
    needs_length: bool,
    /// A HEAD request: the response has no body whatever it declares.
    head_only: bool,
    /// The method may be sent twice (RFC 9110 §9.2.2).
    idempotent: bool,
    /// The head carries `Upgrade` (the request path keeps it only for an upgrade request).
    upgrade: bool,
    /// `bytes` holds the header lines after the request line (false: the route table's
    /// endpoints all speak HTTP/2, and an HTTP/1.1 attempt encodes them from `h2`).
    fields: bool,
    /// The parsed head, kept when the route table has HTTP/2 endpoints (h2.rs builds its
    /// requests from it); None otherwise, so HTTP/1.1-only tables pay nothing for it.
    h2: Option<Box<H2Head>>,
}

/// What an HTTP/2 attempt needs of the request: method, path and the fields to send.
struct H2Head {
    method: Method,
    pq: PathAndQuery,
    headers: HeaderMap,
}

/// The `X-Forwarded-*` fields this hop adds: the client's address appended to
/// `X-Forwarded-For`, and `X-Forwarded-Proto` and `X-Forwarded-Host` replacing the client's.
pub struct Forwarded<'a> {
    /// The client's address, formatted once per connection.
    pub client_ip: &'a HeaderValue,
    /// `http` or `https`: how the client reached the proxy.
    pub proto: &'static str,
    /// The Host the client named (its Host field, or the authority of an HTTP/2 request).
    pub host: Option<HeaderValue>,
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

impl Forwarded<'_> {
    /// Set the fields in a header map (a head kept for HTTP/2 attempts).
    pub fn insert_into(&self, h: &mut HeaderMap) {
        let mut v = Vec::new();
        self.put_forwarded_for(&mut v, h.get_all(&X_FORWARDED_FOR).iter());
        let xff = HeaderValue::from_bytes(&v).unwrap_or_else(|_| self.client_ip.clone());
        h.insert(X_FORWARDED_FOR, xff);
        h.insert(X_FORWARDED_PROTO, HeaderValue::from_static(self.proto));
        match &self.host {
            Some(host) => h.insert(X_FORWARDED_HOST, host.clone()),
            None => h.remove(X_FORWARDED_HOST),
        };
    }

    /// The `X-Forwarded-For` value: the values of the client's lines, then its address.
    fn put_forwarded_for<'v>(&self, out: &mut Vec<u8>, prev: impl Iterator<Item = &'v HeaderValue>) {
        for p in prev {
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(self.client_ip.as_bytes());
    }
}

impl RequestHead {
    /// `headers` are the ones to send (hop-by-hop fields already removed, except the
    /// `Connection: upgrade` and `Upgrade` of an upgrade request); `empty`: no body; `head_for`:
    /// the HTTP/1.1 head is encoded unless the endpoints all speak HTTP/2, and the parsed
    /// head is kept (the map moved, not copied) when some may.
    pub fn new(method: &Method, pq: Option<&PathAndQuery>, headers: HeaderMap, empty: bool, head_for: HeadFor) -> Self {
        Self::build(method, pq, headers, empty, head_for, None)
    }

    /// [`RequestHead::new`] with this hop's `X-Forwarded-*` fields ([`Forwarded`]): written
    /// straight into the encoded head (the map is not touched) when only HTTP/1.1 attempts
    /// will be made, set in the map when it is kept for HTTP/2.
    pub fn forwarded(
        method: &Method,
        pq: Option<&PathAndQuery>,
        headers: HeaderMap,
        empty: bool,
        head_for: HeadFor,
        fwd: &Forwarded<'_>,
    ) -> Self {
        Self::build(method, pq, headers, empty, head_for, Some(fwd))
    }

    fn build(
        method: &Method,
        pq: Option<&PathAndQuery>,
        mut headers: HeaderMap,
        empty: bool,
        head_for: HeadFor,
        fwd: Option<&Forwarded<'_>>,
    ) -> Self {
        // The X-Forwarded-* fields go into the map when it is kept (HTTP/2 attempts read it,
        // and the HTTP/1.1 lines are then encoded from it), else straight into the lines.
        let line_fwd = match fwd {
            Some(f) if head_for != HeadFor::Http1 => {
                f.insert_into(&mut headers);
                None
            }
            other => other,
        };
        let path = pq.map_or("/", |p| p.as_str());
        let path = if path.is_empty() { "/" } else { path };
        let line_len = method.as_str().len() + path.len() + 12;
        let fields = head_for != HeadFor::Http2;
        let mut bytes = Vec::with_capacity(line_len + if fields { (headers.len() + 3) * 48 } else { 0 });
        bytes.extend_from_slice(method.as_str().as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(path.as_bytes());
        bytes.extend_from_slice(b" HTTP/1.1\r\n");
        debug_assert_eq!(bytes.len(), line_len);
        let seen = if fields {
            put_fields(&mut bytes, &headers, line_fwd)
        } else {
            Seen {
                length: headers.contains_key(header::CONTENT_LENGTH),
                upgrade: headers.contains_key(header::UPGRADE),
            }
        };
        RequestHead {
            bytes,
            line_len,
            path_len: path.len(),
            method_len: method.as_str().len(),
            has_length: seen.length,
            needs_length: empty && matches!(*method, Method::POST | Method::PUT | Method::PATCH),
            head_only: *method == Method::HEAD,
            idempotent: matches!(
                *method,
                Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
            ),
            upgrade: seen.upgrade,
            fields,
            h2: (head_for != HeadFor::Http1).then(|| {
                let mut headers = headers;
                headers.remove(header::HOST);
                // gRPC servers require `te: trailers`, a hop-by-hop field the request path
                // removed; it is the one TE value HTTP/2 allows.
                let grpc =
                    headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
                if grpc {
                    headers.insert(header::TE, HeaderValue::from_static("trailers"));
                }
                let pq = pq.cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
                Box::new(H2Head { method: method.clone(), pq, headers })
            }),
        }
    }

    /// The request's gRPC deadline (`grpc-timeout`: 1-8 digits and a unit H, M, S, m, u, n),
    /// when the head was kept for HTTP/2.
    pub fn grpc_timeout(&self) -> Option<std::time::Duration> {
        let v = self.h2.as_ref()?.headers.get("grpc-timeout")?.to_str().ok()?;
        parse_grpc_timeout(v)
    }

    /// One HTTP/2 attempt to `scheme://authority`: the request with `extra` fields (trace
    /// context, replacing the client's of the same names) and `body`. None when the head
    /// was not kept for HTTP/2.
    pub fn h2_request(
        &self,
        scheme: &http::uri::Scheme,
        authority: &http::uri::Authority,
        extra: &HeaderMap,
        body: ReqBody,
    ) -> Option<http::Request<ReqBody>> {
        let h = self.h2.as_deref()?;
        let uri = http::Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query(h.pq.clone())
            .build()
            .ok()?;
        let mut req = http::Request::new(body);
        *req.method_mut() = h.method.clone();
        *req.uri_mut() = uri;
        *req.version_mut() = http::Version::HTTP_2;
        let mut headers = h.headers.clone();
        for (name, value) in extra {
            headers.insert(name.clone(), value.clone());
        }
        *req.headers_mut() = headers;
        Some(req)
    }

    /// The request asks for a protocol upgrade (HTTP/1.1 only).
    pub fn is_upgrade(&self) -> bool {
        self.upgrade
    }

    /// The method, as sent.
    pub fn method(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.method_len]).unwrap_or("")
    }

    /// The path and query, as sent.
    pub fn path(&self) -> &str {
        std::str::from_utf8(&self.bytes[self.method_len + 1..self.method_len + 1 + self.path_len]).unwrap_or("/")
    }

    /// Whether the method may be sent twice (RFC 9110 §9.2.2).
    pub fn idempotent(&self) -> bool {
        self.idempotent
    }

    /// Whether a body is sent chunked (it has one and no Content-Length).
    fn chunked(&self, empty_body: bool) -> bool {
        !empty_body && !self.has_length
    }

    /// One attempt to the endpoint whose Host field is `host`: the head with `extra` fields
    /// (trace context), and `body`.
    pub fn attempt(&self, host: &HeaderValue, extra: &HeaderMap, body: ReqBody) -> Outgoing {
        let empty = matches!(body, ReqBody::Empty);
        Outgoing {
            head: self.encode(host, extra, empty),
            chunked: self.chunked(empty),
            head_only: self.head_only,
            replayable: self.idempotent && empty,
            upgrade: self.upgrade,
            wire_head: false,
            body,
        }
    }

    /// The whole head for one attempt: request line, Host, `extra`, the client's headers
    /// and the framing.
    fn encode(&self, host: &HeaderValue, extra: &HeaderMap, empty_body: bool) -> Vec<u8> {
        let (line, fields) = self.bytes.split_at(self.line_len);
        // A head prepared for HTTP/2 only (not expected to be sent as HTTP/1.1): its fields
        // are encoded now, from the parsed head.
        let encoded;
        let fields = match (self.fields, self.h2.as_deref()) {
            (false, Some(h)) => {
                let mut b = Vec::with_capacity(h.headers.len() * 48);
                put_fields(&mut b, &h.headers, None);
                encoded = b;
                &encoded[..]
            }
            _ => fields,
        };
        let mut out = Vec::with_capacity(self.bytes.len() + host.len() + 48 + extra.len() * 64);
        out.extend_from_slice(line);
        put_field(&mut out, b"host", host.as_bytes());
        for (name, value) in extra {
            put_field(&mut out, name.as_str().as_bytes(), value.as_bytes());
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

/// What [`put_fields`] saw while writing the fields.
struct Seen {
    /// A Content-Length field.
    length: bool,
    /// An Upgrade field.
    upgrade: bool,
}

/// HTTP/1.1 header lines for `headers`, Host aside (each attempt sets its own), and the
/// `X-Forwarded-*` lines of `fwd` in place of the client's.
fn put_fields(out: &mut Vec<u8>, headers: &HeaderMap, fwd: Option<&Forwarded<'_>>) -> Seen {
    let mut seen = Seen { length: false, upgrade: false };
    // The client's X-Forwarded-For values (rarely any: no allocation without).
    let mut prev: Vec<&HeaderValue> = Vec::new();
    for (name, value) in headers {
        if name == header::HOST {
            continue;
        }
        if fwd.is_some() {
            if name == X_FORWARDED_FOR {
                prev.push(value);
                continue;
            }
            if name == X_FORWARDED_PROTO || name == X_FORWARDED_HOST {
                continue;
            }
        }
        seen.length |= name == header::CONTENT_LENGTH;
        seen.upgrade |= name == header::UPGRADE;
        put_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if let Some(f) = fwd {
        out.extend_from_slice(b"x-forwarded-for: ");
        f.put_forwarded_for(out, prev.into_iter());
        out.extend_from_slice(b"\r\n");
        put_field(out, X_FORWARDED_PROTO.as_str().as_bytes(), f.proto.as_bytes());
        if let Some(host) = &f.host {
            put_field(out, X_FORWARDED_HOST.as_str().as_bytes(), host.as_bytes());
        }
    }
    seen
}

/// `grpc-timeout` (gRPC over HTTP/2, "Requests"): at most 8 digits and a unit.
pub fn parse_grpc_timeout(v: &str) -> Option<std::time::Duration> {
    use std::time::Duration;
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// One request as it goes to an upstream: the encoded head of this attempt, its body, and
/// what the head says about the exchange.
pub struct Outgoing {
    pub(crate) head: Vec<u8>,
    pub(crate) body: ReqBody,
    /// The body goes chunked (it has no Content-Length).
    pub(crate) chunked: bool,
    /// A HEAD request: the response has no body whatever it declares.
    pub(crate) head_only: bool,
    /// An idempotent request without a body: replayed once on a new connection when a
    /// pooled one turns out closed before any answer.
    pub(crate) replayable: bool,
    /// The request asks for a protocol upgrade: a `101` answer turns the connection into a
    /// tunnel.
    pub(crate) upgrade: bool,
    /// The response's fields are wanted as HTTP/1.1 lines (head.rs `WireHead`), not as a
    /// header map: only an HTTP/1.x client will read them.
    pub(crate) wire_head: bool,
}

/// Stream a request body to the upstream (chunked when it has no Content-Length).
pub(crate) async fn write_body<W: AsyncWrite + Unpin>(
    w: &mut W,
    body: &mut ReqBody,
    chunked: bool,
    t: Timeouts,
) -> Result<(), Exchange> {
    let mut trailers = None;
    loop {
        let frame = match tokio::time::timeout(t.client_body, body.frame()).await {
            Err(_) => return Err(UpError::ClientTimeout.into()),
            Ok(None) => break,
            Ok(Some(frame)) => frame.map_err(|e| UpError::Body(e.to_string()))?,
        };
        let Some(data) = crate::wire::frame_data(frame, &mut trailers) else { continue };
        let write = async {
            if chunked {
                w.write_all(crate::wire::chunk_line(data.len(), &mut [0; 18])).await?;
                w.write_all(&data).await?;
                w.write_all(b"\r\n").await
            } else {
                w.write_all(&data).await
            }
        };
        upstream(t.response, async { write.await.map_err(Exchange::from) }).await?;
    }
    if chunked {
        // Request trailers ride in the last chunk; a body sent with a Content-Length has no
        // place for them.
        let last = last_chunk(trailers.as_ref());
        upstream(t.response, async { w.write_all(&last).await.map_err(Exchange::from) }).await?;
    }
    Ok(())
}

/// The last chunk of a chunked body, with the trailer fields a proxy may forward (framing,
/// routing and hop-by-hop fields never travel as trailers, RFC 9110 §6.5.1).
fn last_chunk(trailers: Option<&HeaderMap>) -> Vec<u8> {
    let mut out = b"0\r\n".to_vec();
    for (name, value) in trailers.into_iter().flatten() {
        let n = name.as_str().as_bytes();
        if !crate::wire::is_hop_by_hop_name(n) && name != header::CONTENT_LENGTH && name != header::HOST {
            put_field(&mut out, n, value.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
    out
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

    /// A request body (its content does not matter to the head).
    fn a_body() -> ReqBody {
        use crate::body::counting::{Counting, Direction};
        use crate::body::shaped::Shaped;
        let shaped = Shaped::new(crate::codec::ClientBody::Empty, None, None, crate::shaping::Flow::Ingress, None);
        ReqBody::Stream(Box::new((Counting::new(shaped, None, Direction::In), None)))
    }

    fn text(o: &Outgoing) -> String {
        String::from_utf8(o.head.clone()).unwrap()
    }

    #[test]
    fn an_attempt_carries_its_head_and_what_the_head_says_about_the_exchange() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("client.example"));
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        let pq = PathAndQuery::from_static("/a?b=1");
        let up = HeaderValue::from_static("up.example");
        let none = HeaderMap::new();
        let head = RequestHead::new(&Method::GET, Some(&pq), h.clone(), true, HeadFor::Http1);
        assert_eq!((head.method(), head.path(), head.idempotent()), ("GET", "/a?b=1", true));
        let get = head.attempt(&up, &none, ReqBody::Empty);
        assert_eq!(text(&get), "GET /a?b=1 HTTP/1.1\r\nhost: up.example\r\naccept: */*\r\n\r\n");
        assert_eq!((get.chunked, get.head_only, get.replayable, get.upgrade), (false, false, true, false));
        // The same idempotent request with a body is not replayed.
        assert!(
            !RequestHead::new(&Method::PUT, Some(&pq), h.clone(), false, HeadFor::Http1)
                .attempt(&up, &none, a_body())
                .replayable
        );

        let post = RequestHead::new(&Method::POST, Some(&pq), h.clone(), true, HeadFor::Http1);
        assert!(!post.idempotent());
        let o = post.attempt(&up, &none, ReqBody::Empty);
        assert!(text(&o).ends_with("content-length: 0\r\n\r\n"), "{}", text(&o));
        assert!(!o.replayable);
        let upload =
            RequestHead::new(&Method::POST, Some(&pq), h.clone(), false, HeadFor::Http1).attempt(&up, &none, a_body());
        assert!(upload.chunked);
        assert!(text(&upload).ends_with("transfer-encoding: chunked\r\n\r\n"), "{}", text(&upload));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5"));
        let sized =
            RequestHead::new(&Method::PUT, Some(&pq), h.clone(), false, HeadFor::Http1).attempt(&up, &none, a_body());
        assert!(!sized.chunked && !text(&sized).contains("transfer-encoding"), "{}", text(&sized));
        assert!(
            RequestHead::new(&Method::HEAD, None, h.clone(), true, HeadFor::Http1)
                .attempt(&up, &none, ReqBody::Empty)
                .head_only
        );

        // An upgrade request's head carries Upgrade, and so asks for a tunnel.
        let mut ws = HeaderMap::new();
        ws.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        ws.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        let o = RequestHead::new(&Method::GET, None, ws, true, HeadFor::Http1).attempt(&up, &none, ReqBody::Empty);
        assert!(o.upgrade && text(&o).contains("upgrade: websocket\r\n"), "{}", text(&o));

        // Headers of the attempt replace the client's of the same name.
        h.insert("traceparent", HeaderValue::from_static("client"));
        let mut extra = HeaderMap::new();
        extra.insert("traceparent", HeaderValue::from_static("ours"));
        let o =
            RequestHead::new(&Method::GET, None, h.clone(), true, HeadFor::Http1).attempt(&up, &extra, ReqBody::Empty);
        assert!(text(&o).contains("traceparent: ours\r\n") && !text(&o).contains("client\r\n"), "{}", text(&o));
    }

    /// This hop's X-Forwarded-* fields: the client's X-Forwarded-For values (every line) then
    /// its address; the client's X-Forwarded-Proto and -Host replaced. The same whether the
    /// head is encoded straight for HTTP/1.1 or kept as a map for HTTP/2.
    #[test]
    fn forwarded_fields_append_and_replace_the_clients() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("client.example"));
        h.append("x-forwarded-for", HeaderValue::from_static("1.1.1.1"));
        h.append("x-forwarded-for", HeaderValue::from_static("2.2.2.2"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("gopher"));
        h.insert("x-forwarded-host", HeaderValue::from_static("spoofed.example"));
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        let ip = crate::conn::peer_ip("[::1]:5000".parse().unwrap());
        let fwd = Forwarded { client_ip: &ip, proto: "https", host: Some(HeaderValue::from_static("client.example")) };
        let (up, none) = (HeaderValue::from_static("up.example"), HeaderMap::new());
        let expected =
            ["x-forwarded-for: 1.1.1.1, 2.2.2.2, ::1", "x-forwarded-proto: https", "x-forwarded-host: client.example"];
        for head_for in [HeadFor::Http1, HeadFor::Both] {
            let head = RequestHead::forwarded(&Method::GET, None, h.clone(), true, head_for, &fwd);
            let t = text(&head.attempt(&up, &none, ReqBody::Empty));
            for line in expected {
                assert_eq!(t.matches(&format!("{line}\r\n")).count(), 1, "{head_for:?}: {t}");
            }
            assert_eq!(t.matches("x-forwarded").count(), 3, "{head_for:?}: {t}");
            assert!(t.starts_with("GET / HTTP/1.1\r\nhost: up.example\r\n") && t.contains("accept: */*\r\n"), "{t}");
        }
        // Kept for HTTP/2: the map carries them.
        let both = RequestHead::forwarded(&Method::GET, None, h.clone(), true, HeadFor::Http2, &fwd);
        let req = both.h2_request(&http::uri::Scheme::HTTP, &"up:80".parse().unwrap(), &none, ReqBody::Empty).unwrap();
        assert_eq!(req.headers()["x-forwarded-for"], "1.1.1.1, 2.2.2.2, ::1");
        assert_eq!(req.headers()["x-forwarded-proto"], "https");
        assert_eq!(req.headers()["x-forwarded-host"], "client.example");
        // Without client values, only the address.
        let mut plain = HeaderMap::new();
        plain.insert(header::HOST, HeaderValue::from_static("client.example"));
        let t = text(&RequestHead::forwarded(&Method::GET, None, plain, true, HeadFor::Http1, &fwd).attempt(
            &up,
            &none,
            ReqBody::Empty,
        ));
        assert!(t.contains("x-forwarded-for: ::1\r\n"), "{t}");
    }

    #[test]
    fn a_head_for_http2_endpoints_skips_the_http1_encoding_but_can_still_be_sent_as_http1() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("client.example"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        h.insert("grpc-timeout", HeaderValue::from_static("250m"));
        let pq = PathAndQuery::from_static("/pkg.Svc/Call");
        let (up, none) = (HeaderValue::from_static("up.example"), HeaderMap::new());
        let only_h2 = RequestHead::new(&Method::POST, Some(&pq), h.clone(), false, HeadFor::Http2);
        // Only the request line is encoded ahead: the method and path still read from it.
        assert_eq!(only_h2.bytes.len(), only_h2.line_len);
        assert_eq!((only_h2.method(), only_h2.path()), ("POST", "/pkg.Svc/Call"));
        assert_eq!(only_h2.grpc_timeout(), Some(std::time::Duration::from_millis(250)));
        let req = only_h2
            .h2_request(&http::uri::Scheme::HTTP, &"up.example:50051".parse().unwrap(), &none, ReqBody::Empty)
            .unwrap();
        assert_eq!(req.uri().to_string(), "http://up.example:50051/pkg.Svc/Call");
        assert!(req.headers().get(header::HOST).is_none());
        assert_eq!(req.headers()[header::TE], "trailers");
        // Sent as HTTP/1.1 after all, it carries the same fields as a head prepared for
        // HTTP/1.1 (apart from the `te: trailers` kept for gRPC over HTTP/2; fields of
        // different names may come in another order).
        let lines = |s: String| {
            let mut l: Vec<String> = s.split("\r\n").map(str::to_owned).collect();
            l[2..].sort();
            l
        };
        let sent = text(&only_h2.attempt(&up, &none, a_body())).replace("te: trailers\r\n", "");
        let h1 = text(&RequestHead::new(&Method::POST, Some(&pq), h.clone(), false, HeadFor::Http1).attempt(
            &up,
            &none,
            a_body(),
        ));
        assert!(sent.starts_with("POST /pkg.Svc/Call HTTP/1.1\r\nhost: up.example\r\n"), "{sent}");
        assert!(sent.ends_with("transfer-encoding: chunked\r\n\r\n"), "{sent}");
        assert_eq!(lines(sent), lines(h1.clone()));
        // Prepared for both, the HTTP/1.1 head is encoded ahead and the same.
        let both = RequestHead::new(&Method::POST, Some(&pq), h, false, HeadFor::Both);
        assert!(both.bytes.len() > both.line_len);
        assert_eq!(text(&both.attempt(&up, &none, a_body())), h1);
    }
}
