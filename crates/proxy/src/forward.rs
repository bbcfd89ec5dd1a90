//! The HTTP request path: route by Host and path prefix, pick an endpoint, forward with
//! streamed bodies, retry an idempotent request once on connect failure or reset, feed latency
//! and passive-health results back, and count traffic.
//!
//! Phases (in order): `route` → `select` → `prepare` (headers) → `send` → `observe`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, Version};

use crate::Proxy;
use crate::balancer::InFlight;
use crate::body::{Counting, Direction, ReqBody, RespBody, Shaped};
use crate::dscp::Downstream;
use crate::error::ProxyError;
use crate::h1::ClientBody;
use crate::runtime::TableRt;
use crate::server::Upstreams;
use crate::shaping::{Flow, ServiceSlot};
use crate::trace::{RequestInfo, RequestTrace};
use crate::upstream::{RequestHead, UpError};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// What every request on one downstream connection shares, built once at accept.
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: bool,
    /// A handle on the socket so the service's DSCP mark can be applied after routing.
    pub downstream: Option<Downstream>,
    /// The client's IP as a header value, for `X-Forwarded-For`.
    pub peer_ip: HeaderValue,
    /// This worker's upstream pools.
    pub upstreams: Upstreams,
}

impl ConnInfo {
    pub fn new(peer: SocketAddr, tls: bool, downstream: Option<Downstream>, upstreams: Upstreams) -> Self {
        Self { peer, tls, downstream, peer_ip: Self::peer_ip(peer), upstreams }
    }

    fn peer_ip(peer: SocketAddr) -> HeaderValue {
        HeaderValue::from_str(&peer.ip().to_string()).expect("an IP address is a valid header value")
    }
}

fn is_hop_by_hop(n: &HeaderName) -> bool {
    is_hop_by_hop_name(n.as_str().as_bytes())
}

/// Hop-by-hop fields (RFC 9110 §7.6.1, plus the old Keep-Alive and Proxy-Connection and the
/// proxy authentication fields), never forwarded; `name` in any case.
pub(crate) fn is_hop_by_hop_name(name: &[u8]) -> bool {
    // By length first: most names are rejected without comparing a byte.
    let is = |want: &[u8]| name.eq_ignore_ascii_case(want);
    match name.len() {
        2 => is(b"te"),
        7 => is(b"upgrade") || is(b"trailer"),
        10 => is(b"connection") || is(b"keep-alive"),
        16 => is(b"proxy-connection"),
        17 => is(b"transfer-encoding"),
        18 => is(b"proxy-authenticate"),
        19 => is(b"proxy-authorization"),
        _ => false,
    }
}

/// The tokens of one `Connection` line that name further fields to remove: `close` and the
/// hop-by-hop names (removed anyway) are left out.
pub(crate) fn connection_listed(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|b| *b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(b"close") && !is_hop_by_hop_name(t))
}

/// Remove hop-by-hop headers, including those named by `Connection`.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    // One pass over the names, without hashing: most messages carry none of them.
    if !h.keys().any(is_hop_by_hop) {
        return;
    }
    // Remove only what is there: the hop-by-hop names present, and the names a Connection
    // line lists (`keep-alive` and `close`, the usual tokens, need no lookup of their own).
    let mut doomed: Vec<HeaderName> = h.keys().filter(|n| is_hop_by_hop(n)).cloned().collect();
    for v in h.get_all(header::CONNECTION) {
        doomed.extend(connection_listed(v.as_bytes()).filter_map(|t| HeaderName::from_bytes(t).ok()));
    }
    for n in doomed {
        h.remove(n);
    }
}

fn idempotent(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE)
}

impl Proxy {
    /// Serve one request (never fails: errors become responses).
    pub async fn handle(
        self: Arc<Self>,
        req: Request<ClientBody>,
        conn: Arc<ConnInfo>,
    ) -> Result<Response<RespBody>, Infallible> {
        let _active = crate::batch::Active::enter();
        let resp = self.respond(req, &conn).await;
        // The response leaves with the other responses of this event-loop turn (batch.rs).
        crate::batch::batch_point().await;
        Ok(resp)
    }

    /// Serve one request without the batching of [`Proxy::handle`]: for a caller that counts
    /// the request as active (batch::Active) and batches the response's write itself.
    pub(crate) async fn respond(self: Arc<Self>, req: Request<ClientBody>, conn: &Arc<ConnInfo>) -> Response<RespBody> {
        let start = Instant::now();
        let mut trace = None;
        let result = self.route_and_forward(req, conn, &mut trace).await;
        let (mut resp, proxy_error) = match result {
            Ok(r) => (r, None),
            Err(e) => (e.response(), Some(e.code())),
        };
        self.metrics.observe_request(resp.status().as_u16(), start.elapsed());
        if let Some(t) = trace.as_mut() {
            t.response(resp.status().as_u16(), resp.headers(), proxy_error);
        }
        resp.body_mut().set_trace(trace);
        resp
    }

    async fn route_and_forward(
        &self,
        mut req: Request<ClientBody>,
        conn: &ConnInfo,
        trace: &mut Option<Box<RequestTrace>>,
    ) -> Result<Response<RespBody>, ProxyError> {
        let (peer, tls) = (conn.peer, conn.tls);
        let rt = self.runtime.load_full().ok_or(ProxyError::NoConfig)?;
        let host = match req.headers().get(header::HOST).and_then(|h| h.to_str().ok()) {
            Some(h) => h,
            None => req.uri().authority().map(|a| a.as_str()).ok_or(ProxyError::BadRequest)?,
        };
        let route = rt.route(host, req.uri().path()).ok_or(ProxyError::NoRoute)?;
        let table = route.table.clone().ok_or(ProxyError::NoRouteTable)?;
        let slot = route.slot.clone();
        let policy = slot.active().map(|s| s.params());
        // DSCP of the service's policy on both sides (BE when it has none).
        let tos = policy.as_ref().map_or(0, |p| p.tos);
        if let Some(d) = &conn.downstream {
            d.mark(tos);
        }
        *trace = RequestTrace::begin(
            &self.tracing,
            req.headers(),
            &RequestInfo {
                method: req.method().as_str(),
                path: req.uri().path(),
                query: req.uri().query(),
                host,
                scheme: if tls { "https" } else { "http" },
                version: version_str(req.version()),
                client: peer.ip(),
                service: &route.name,
                service_id: route.service_id,
                route_table: &table.name,
                route_table_id: table.id,
                algorithm: table.selector.algorithm.as_str(),
                priority: policy.as_ref().map(|p| p.priority.as_str()),
            },
        );
        let now = crate::now_ms();
        let first = table.pick(None, now).ok_or(ProxyError::NoHealthyEndpoint)?;

        // Prepare the upstream request head once.
        let original_host = req
            .headers()
            .get(header::HOST)
            .cloned()
            .or_else(|| req.uri().authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
        let empty = http_body::Body::is_end_stream(req.body());
        // A protocol upgrade (WebSocket) is forwarded for HTTP/1.1 requests without a body.
        let upgrade =
            if req.version() == Version::HTTP_11 && empty { crate::tunnel::requested(req.headers()) } else { None };
        let headers = req.headers_mut();
        strip_hop_by_hop(headers);
        if let Some(protocol) = &upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            headers.insert(header::UPGRADE, protocol.clone());
        }
        append_forwarded_for(headers, &conn.peer_ip);
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(if tls { "https" } else { "http" }));
        if let Some(h) = original_host {
            headers.insert(X_FORWARDED_HOST, h);
        }
        let retry_ok = idempotent(req.method()) && empty;
        let (parts, body) = req.into_parts();
        // Encode the upstream head once, into owned bytes. The parsed request (whose header
        // values share the connection's read buffer) is dropped before the first await, so
        // hyper can reuse that buffer for the next request instead of allocating another.
        let head = RequestHead::new(&parts.method, parts.uri.path_and_query(), &parts.headers, empty);
        let method = parts.method;
        drop(parts.headers);
        drop(parts.uri);

        let delay_sink = trace.as_ref().map(|t| t.shaping_delay_ns.clone());
        // A request without a body (most GETs) has nothing to shape, count or capture.
        let body = if empty {
            ReqBody::Empty
        } else {
            let req_tap = trace.as_ref().and_then(|t| t.req_tap.clone());
            let shaped =
                Shaped::new(body, Some(slot.clone()), self.shaping.link.clone(), Flow::Ingress, delay_sink.clone());
            let counted = Counting::new(shaped, Some(table.states[first].clone()), Direction::In);
            ReqBody::Stream(Box::new((counted, req_tap)))
        };
        let mut ctx = SendCtx {
            slot: &slot,
            tos,
            trace,
            delay_sink,
            attempt: 0,
            upstreams: &conn.upstreams,
            upgrade: upgrade.is_some(),
        };
        match self.send(&table, first, &method, &head, body, &mut ctx).await {
            // Connect failures and connections reset before any response are retried once,
            // on another endpoint, for idempotent requests without a body.
            Err(e @ (ProxyError::ConnectFailed | ProxyError::UpstreamError)) if retry_ok => {
                let second = table.pick(Some(first), crate::now_ms()).ok_or(e)?;
                self.metrics.retries.fetch_add(1, Ordering::Relaxed);
                ctx.attempt = 1;
                self.send(&table, second, &method, &head, ReqBody::Empty, &mut ctx).await
            }
            other => other,
        }
    }

    /// One upstream attempt to endpoint `idx`.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        table: &TableRt,
        idx: usize,
        method: &Method,
        head: &RequestHead,
        body: ReqBody,
        ctx: &mut SendCtx<'_>,
    ) -> Result<Response<RespBody>, ProxyError> {
        let ep = &table.endpoints[idx];
        let state = &table.states[idx];
        // Headers of this attempt only (trace context); empty, without allocating, otherwise.
        let mut extra = HeaderMap::new();
        if let Some(t) = ctx.trace.as_mut() {
            let url = format!("{}://{}{}", ep.scheme, ep.authority, head.path());
            t.start_attempt(&mut extra, method.as_str(), &url, ep, ctx.attempt);
        }
        let bytes = head.encode(&ep.host_header, &extra, matches!(body, ReqBody::Empty));
        drop(extra);

        // A guard, so a request cancelled by its client still releases its slot.
        let inflight = InFlight::new(&**state);
        let started = Instant::now();
        // One pool per DSCP mark: pooled connections never mix classes.
        let pool = &ctx.upstreams[crate::dscp::mark_index(ctx.tos >> 2)];
        let result = tokio::time::timeout(
            self.upstream_timeout,
            pool.send(
                &ep.scheme,
                &ep.authority,
                bytes,
                head.chunked(matches!(body, ReqBody::Empty)),
                head.head_only(),
                idempotent(method),
                ctx.upgrade,
                body,
            ),
        )
        .await;
        drop(inflight);
        let elapsed = started.elapsed();
        let now = crate::now_ms();
        let counters = &state.counters;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let outcome = match result {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) if e.is_connect() => Err(ProxyError::ConnectFailed),
            // The client's own body failed (it went away mid-upload): not the endpoint's fault.
            Ok(Err(UpError::Body(_))) => Err(ProxyError::ClientBodyError),
            Ok(Err(_)) => Err(ProxyError::UpstreamError),
            Err(_) => Err(ProxyError::UpstreamTimeout),
        };
        if let Some(t) = ctx.trace.as_mut() {
            match &outcome {
                Ok(r) => t.end_attempt(Some(r.status().as_u16()), None),
                Err(e) => t.end_attempt(None, Some(e.code())),
            }
        }
        match outcome {
            Ok(resp) => {
                let failed = resp.status().is_server_error();
                state.observe(elapsed, !failed);
                if failed {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                }
                if state.record_result(failed, now) {
                    tracing::warn!(route_table = table.id, endpoint = %ep.raw, "endpoint ejected after consecutive failures");
                }
                // The upstream client leaves hop-by-hop fields out of the head it returns.
                let (parts, mut body) = resp.into_parts();
                let writer = body.take_upgrade_writer();
                let shaped = Shaped::new(
                    body,
                    Some(ctx.slot.clone()),
                    self.shaping.link.clone(),
                    Flow::Egress,
                    ctx.delay_sink.clone(),
                );
                let mut body = RespBody::stream(Counting::new(shaped, Some(state.clone()), Direction::Out));
                if let Some(writer) = writer {
                    body.set_tunnel(crate::tunnel::Tunnel {
                        writer,
                        slot: ctx.slot.clone(),
                        link: self.shaping.link.clone(),
                        state: state.clone(),
                        delay_sink: ctx.delay_sink.clone(),
                    });
                }
                Ok(Response::from_parts(parts, body))
            }
            Err(e @ ProxyError::ClientBodyError) => Err(e),
            Err(e) => {
                state.observe(elapsed, false);
                counters.errors.fetch_add(1, Ordering::Relaxed);
                if state.record_result(true, now) {
                    tracing::warn!(route_table = table.id, endpoint = %ep.raw, error = e.code(), "endpoint ejected after consecutive failures");
                }
                Err(e)
            }
        }
    }
}

/// Per-request facts every attempt needs.
struct SendCtx<'a> {
    slot: &'a Arc<ServiceSlot>,
    tos: u8,
    trace: &'a mut Option<Box<RequestTrace>>,
    delay_sink: Option<Arc<std::sync::atomic::AtomicU64>>,
    attempt: usize,
    /// This worker's upstream pools.
    upstreams: &'a [crate::UpstreamClient],
    /// The request asks for a protocol upgrade (tunnel.rs).
    upgrade: bool,
}

fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// Append the client's address (formatted once per connection) to `X-Forwarded-For`.
fn append_forwarded_for(h: &mut HeaderMap, ip: &HeaderValue) {
    match h.get(X_FORWARDED_FOR) {
        Some(prev) => {
            let mut v = Vec::with_capacity(prev.len() + 2 + ip.len());
            v.extend_from_slice(prev.as_bytes());
            v.extend_from_slice(b", ");
            v.extend_from_slice(ip.as_bytes());
            if let Ok(v) = HeaderValue::from_bytes(&v) {
                h.insert(X_FORWARDED_FOR, v);
            }
        }
        None => {
            h.insert(X_FORWARDED_FOR, ip.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-secret-hop"));
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        h.insert("x-end-to-end", HeaderValue::from_static("kept"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert_eq!(h["x-end-to-end"], "kept");
    }

    #[test]
    fn the_hop_by_hop_names_match_in_any_case_and_nothing_else_does() {
        let hop = [
            header::CONNECTION,
            HeaderName::from_static("keep-alive"),
            HeaderName::from_static("proxy-connection"),
            header::PROXY_AUTHENTICATE,
            header::PROXY_AUTHORIZATION,
            header::TE,
            header::TRAILER,
            header::TRANSFER_ENCODING,
            header::UPGRADE,
        ];
        for n in &hop {
            assert!(is_hop_by_hop(n), "{n}");
            assert!(is_hop_by_hop_name(n.as_str().to_ascii_uppercase().as_bytes()), "{n}");
        }
        for n in ["content-length", "connectio", "tee", "x-upgrade", "keep-alive2", ""] {
            assert!(!is_hop_by_hop_name(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn forwarded_for_appends() {
        let mut h = HeaderMap::new();
        append_forwarded_for(&mut h, &ConnInfo::peer_ip("10.0.0.1:5000".parse().unwrap()));
        append_forwarded_for(&mut h, &ConnInfo::peer_ip("[::1]:5000".parse().unwrap()));
        assert_eq!(h[X_FORWARDED_FOR], "10.0.0.1, ::1");
    }
}
