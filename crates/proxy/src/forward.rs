//! The HTTP request path, in five phases, each a function of that name:
//!
//! 1. `route`: Host and longest path prefix (on whole segments, after the path's
//!    dot-segments are resolved: `path.rs`) → the service, its enabled route table and its
//!    QoS policy (the request's trace begins once the service is known).
//! 2. `select`: the route table's algorithm picks an endpoint (another one for a retry).
//! 3. `prepare`: the upstream head, encoded once (hop-by-hop fields removed,
//!    `X-Forwarded-*` added; Host is set per attempt, to the endpoint's), and the body
//!    wrapped for shaping, counting and capture.
//! 4. `Proxy::send`: one attempt through the worker's pool for the service's DSCP mark,
//!    under the upstream timeout.
//! 5. `Proxy::observe`: latency (peak EWMA), passive health, counters and the attempt's
//!    span; the response body wrapped for shaping and counting.
//!
//! Connect failures and connections reset before any response are retried once, on
//! another endpoint, for idempotent requests without a body. Errors become responses in
//! `Proxy::respond` (one status per error, `error.rs`).

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Uri, Version};

use crate::Proxy;
use crate::balancer::{EndpointState, InFlight};
use crate::body::counting::{Counting, Direction};
use crate::body::request::ReqBody;
use crate::body::response::RespBody;
use crate::body::shaped::Shaped;
use crate::codec::ClientBody;
use crate::conn::{ConnInfo, Upstreams};
use crate::error::ProxyError;
use crate::grpc::{grpc_failure, grpc_status, is_grpc};
use crate::runtime::{Runtime, ServiceRoute, TableRt};
use crate::shaping::{Flow, Link, ShapeParams};
use crate::trace::{RequestInfo, RequestTrace};
use crate::upstream::error::UpError;
use crate::upstream::request::{Forwarded, RequestHead};
use crate::upstream::response::UpBody;
use crate::wire::{connection_listed, is_hop_by_hop_name};

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
        let grpc = is_grpc(req.headers());
        let result = self.forward(req, conn, &mut trace, grpc).await;
        let (mut resp, proxy_error) = match result {
            Ok(r) => (r, None),
            Err(e) if grpc => (e.grpc_response(), Some(e.code())),
            Err(e) => (e.response(), Some(e.code())),
        };
        self.metrics.observe_request(resp.status().as_u16(), start.elapsed());
        if let Some(t) = trace.as_mut() {
            t.response(resp.status().as_u16(), resp.headers(), proxy_error);
            // A "trailers only" gRPC answer carries its status in the head.
            if let Some(code) = grpc.then(|| grpc_status(resp.headers())).flatten() {
                t.grpc_status(code);
            }
        }
        resp.body_mut().set_trace(trace);
        resp
    }

    /// The five phases, with one retry. `grpc`: the request is a gRPC call (its answer's
    /// `grpc-status` is read; other answers are not searched for one).
    async fn forward(
        &self,
        mut req: Request<ClientBody>,
        conn: &ConnInfo,
        trace: &mut Option<Box<RequestTrace>>,
        grpc: bool,
    ) -> Result<Response<RespBody>, ProxyError> {
        let rt = self.runtime.load_full().ok_or(ProxyError::NoConfig)?;
        resolve_path(&mut req)?;
        // A clone (a reference count), so the request can move on: X-Forwarded-Host.
        let host_value = host(&req)?;
        let host = host_value.to_str().map_err(|_| ProxyError::BadRequest)?;
        let routed = route(&rt, host, req.uri().path())?;
        // DSCP of the service's policy on both sides (BE when it has none).
        if let Some(d) = &conn.downstream {
            d.mark(routed.tos);
        }
        *trace = RequestTrace::begin(
            &self.tracing,
            req.headers(),
            &RequestInfo {
                method: req.method().as_str(),
                path: req.uri().path(),
                query: req.uri().query(),
                host,
                scheme: if conn.tls { "https" } else { "http" },
                version: version_str(req.version()),
                client: conn.peer.ip(),
                service: &routed.service.name,
                service_id: routed.service.service_id,
                route_table: &routed.table.name,
                route_table_id: routed.table.id,
                algorithm: routed.table.selector.algorithm.as_str(),
                priority: routed.policy.as_ref().map(|p| p.priority.as_str()),
            },
        );
        let table = routed.table;
        // The response head may stay HTTP/1.1 lines (no header map) when only an HTTP/1.x
        // client reads it: nothing here looks into a non-gRPC head of an untraced request.
        let wire_head = req.version() != Version::HTTP_2 && !grpc && trace.is_none();
        let first = select(table, None)?;
        let delay_sink = trace.as_ref().map(|t| t.shaping_delay_ns.clone());
        let shaping = BodyShaping { routed: &routed, link: &self.shaping.link, delay_sink: &delay_sink };
        let Prepared { head, body, retry_ok } =
            prepare(req, conn, host_value.clone(), &shaping, trace.as_deref(), &table.states[first]);

        let mut ctx = SendCtx { shaping, trace, attempt: 0, upstreams: &conn.upstreams, grpc, wire_head };
        let (mut idx, mut body) = (first, body);
        // One call site for both attempts: the attempt's future is a large part of every
        // connection's task, and two awaits of it would hold room for two.
        loop {
            let mut sent = self.send(table, idx, &head, body, &mut ctx).await;
            let unused_body = sent.unused_body.take();
            match self.observe(table, idx, sent, &mut ctx) {
                Err(e @ (ProxyError::ConnectFailed | ProxyError::UpstreamError))
                    if ctx.attempt == 0 && (retry_ok || unused_body.is_some()) =>
                {
                    // Idempotent without a body, or a body no upstream has read yet.
                    body = match unused_body {
                        Some(b) if e == ProxyError::ConnectFailed => b,
                        _ if retry_ok => ReqBody::Empty,
                        _ => return Err(e),
                    };
                    idx = select(table, Some(first)).map_err(|_| e)?;
                    self.metrics.retries.fetch_add(1, Ordering::Relaxed);
                    ctx.attempt = 1;
                }
                other => return other,
            }
        }
    }

    /// Phase 4: one upstream attempt to endpoint `idx`.
    async fn send(
        &self,
        table: &TableRt,
        idx: usize,
        head: &RequestHead,
        body: ReqBody,
        ctx: &mut SendCtx<'_>,
    ) -> Sent {
        let ep = &table.endpoints[idx];
        // Headers of this attempt only (trace context); empty, without allocating, otherwise.
        let mut extra = HeaderMap::new();
        if let Some(t) = ctx.trace.as_mut() {
            let url = format!("{}://{}{}", ep.scheme, ep.authority, head.path());
            t.start_attempt(&mut extra, head.method(), &url, ep, ctx.attempt);
        }
        // One pool per DSCP mark: pooled connections never mix classes.
        let pool = &ctx.upstreams[crate::dscp::mark_index(ctx.shaping.routed.tos >> 2)];
        // A guard, so a request cancelled by its client still releases its slot.
        let state = &table.states[idx];
        let inflight = InFlight::new(&**state);
        let started = Instant::now();
        let mut unused_body = None;
        // HTTP/2 when the endpoint's scheme or setting says so, or when ALPN chose it
        // (negotiated on a first connection; an upgrade request stays HTTP/1.1).
        let h2 = if ep.h2 {
            Ok(true)
        } else if ep.alpn && !head.is_upgrade() {
            match state.negotiated_h2() {
                Some(h2) => Ok(h2),
                // Once per endpoint, concurrent requests waiting for the first (balancer.rs).
                // Boxed, as the HTTP/2 exchange below: rare, and large.
                None => Box::pin(state.alpn_h2(|| pool.negotiate(&ep.authority))).await,
            }
        } else {
            Ok(false)
        };
        let result = match h2 {
            Err(e) => {
                unused_body = Some(body);
                Err(e)
            }
            Ok(true) => {
                // HTTP/2 (h2.rs): the response head is awaited at most the upstream timeout, or
                // the request's gRPC deadline when it is shorter. The exchange's future (hyper's
                // client, ~9 KiB) is boxed: inline, it would enlarge the task of every client
                // connection, HTTP/2 endpoints or not (bench/proxy.sh's RSS at 1,000 connections).
                let deadline =
                    head.grpc_timeout().map_or(pool.timeouts().response, |d| d.min(pool.timeouts().response));
                match head.h2_request(&ep.scheme, &ep.authority, &extra, body) {
                    Some(req) => {
                        let https = ep.scheme == http::uri::Scheme::HTTPS;
                        match Box::pin(pool.send_h2(https, &ep.authority, req, deadline)).await {
                            Ok(r) => Ok(UpBody::h2(r, pool.clone())),
                            Err((e, body)) => {
                                unused_body = body;
                                Err(e)
                            }
                        }
                    }
                    None => Err(UpError::Protocol("request head not kept for HTTP/2")),
                }
            }
            Ok(false) => {
                let mut req = head.attempt(&ep.host_header, &extra, body);
                req.wire_head = ctx.wire_head;
                // Time limits are the pool's, per step (upstream/limits.rs): a slow client is not
                // the endpoint's timeout.
                pool.send(&ep.scheme, &ep.authority, req).await
            }
        };
        drop(extra);
        drop(inflight);
        if ep.alpn && result.as_ref().is_err_and(UpError::is_connect) {
            // The endpoint may have changed what it offers: ask again on the next connection.
            state.set_negotiated_h2(None);
        }
        let outcome = match result {
            Ok(resp) => Ok(resp),
            Err(e) if e.is_connect() => Err(ProxyError::ConnectFailed),
            Err(UpError::Timeout) => Err(ProxyError::UpstreamTimeout),
            // The client's own body failed or stalled (it went away or paused mid-upload):
            // not the endpoint's fault.
            Err(UpError::Body(_)) => Err(ProxyError::ClientBodyError),
            Err(UpError::ClientTimeout) => Err(ProxyError::ClientTimeout),
            Err(_) => Err(ProxyError::UpstreamError),
        };
        Sent { outcome, elapsed: started.elapsed(), unused_body }
    }

    /// Phase 5: what one attempt tells about endpoint `idx` (latency, passive health,
    /// counters, the attempt's span), and the response the client gets from it.
    fn observe(
        &self,
        table: &TableRt,
        idx: usize,
        sent: Sent,
        ctx: &mut SendCtx<'_>,
    ) -> Result<Response<RespBody>, ProxyError> {
        let Sent { outcome, elapsed, .. } = sent;
        let (ep, state) = (&table.endpoints[idx], &table.states[idx]);
        let now = crate::now_ms();
        let counters = &state.counters;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = ctx.trace.as_mut() {
            match &outcome {
                Ok(r) => t.end_attempt(Some(r.status().as_u16()), None),
                Err(e) => t.end_attempt(None, Some(e.code())),
            }
        }
        match outcome {
            Ok(resp) => {
                // A gRPC error in the head ("trailers only") counts like a 5xx; one in the
                // trailers is counted when the body ends (body/counting.rs).
                let grpc = if ctx.grpc { grpc_status(resp.headers()) } else { None };
                let failed = resp.status().is_server_error() || grpc.is_some_and(grpc_failure);
                state.observe(elapsed, !failed);
                if failed {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                }
                // A gRPC call whose status comes in the trailers is judged there.
                let judged_later = ctx.grpc && grpc.is_none() && resp.status().is_success() && is_grpc(resp.headers());
                if !judged_later && state.record_result(failed, now) {
                    tracing::warn!(route_table = table.id, endpoint = %ep.raw, "endpoint ejected after consecutive failures");
                }
                Ok(ctx.shaping.response(resp, state))
            }
            Err(e @ (ProxyError::ClientBodyError | ProxyError::ClientTimeout)) => Err(e),
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

// --- phase 1: route -------------------------------------------------------------------

/// What routing found for a request.
struct Routed<'r> {
    service: &'r ServiceRoute,
    table: &'r TableRt,
    /// The service's QoS policy as the request starts (None: the service is not shaped).
    policy: Option<ShapeParams>,
    /// The policy's DSCP mark as a TOS byte (0, best effort, without one).
    tos: u8,
}

/// The Host the request names: its Host field, or the authority of an absolute URI (HTTP/2).
fn host(req: &Request<ClientBody>) -> Result<HeaderValue, ProxyError> {
    match req.headers().get(header::HOST) {
        Some(h) => Ok(h.clone()),
        None => {
            req.uri().authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()).ok_or(ProxyError::BadRequest)
        }
    }
}

/// Resolve the request's dot-segments in place (`path.rs`), so it is routed and forwarded
/// as the upstream will read it; a path that cannot be resolved safely is a 400.
fn resolve_path(req: &mut Request<ClientBody>) -> Result<(), ProxyError> {
    let resolved = match crate::path::normalize(req.uri().path()) {
        Ok(Cow::Borrowed(_)) => return Ok(()),
        Ok(Cow::Owned(p)) => p,
        Err(_) => return Err(ProxyError::BadRequest),
    };
    let mut parts = std::mem::take(req.uri_mut()).into_parts();
    let pq = match parts.path_and_query.as_ref().and_then(|pq| pq.query()) {
        Some(q) => format!("{resolved}?{q}"),
        None => resolved,
    };
    parts.path_and_query = Some(pq.parse().map_err(|_| ProxyError::BadRequest)?);
    *req.uri_mut() = Uri::from_parts(parts).map_err(|_| ProxyError::BadRequest)?;
    Ok(())
}

/// Phase 1: the service for `host` and `path`, and its enabled route table.
fn route<'r>(rt: &'r Runtime, host: &str, path: &str) -> Result<Routed<'r>, ProxyError> {
    let service = &**rt.route(host, path).ok_or(ProxyError::NoRoute)?;
    let table = service.table.as_deref().ok_or(ProxyError::NoRouteTable)?;
    let policy = service.slot.active().map(|s| s.params());
    let tos = policy.as_ref().map_or(0, |p| p.tos);
    Ok(Routed { service, table, policy, tos })
}

// --- phase 2: select ------------------------------------------------------------------

/// Phase 2: the endpoint the route table's algorithm picks now, `exclude` aside (a retry).
fn select(table: &TableRt, exclude: Option<usize>) -> Result<usize, ProxyError> {
    table.pick(exclude, crate::now_ms()).ok_or(ProxyError::NoHealthyEndpoint)
}

// --- phase 3: prepare -----------------------------------------------------------------

/// The request as it goes upstream, for every attempt.
struct Prepared {
    head: RequestHead,
    body: ReqBody,
    /// May be sent again to another endpoint: idempotent, without a body.
    retry_ok: bool,
}

/// Phase 3: the upstream head, encoded once into owned bytes, and the body wrapped for
/// shaping, counting against endpoint `state` and capture. The parsed request (whose header
/// values share the connection's read buffer) is dropped before the first await, so the
/// buffer can be reused for the next request instead of allocating another.
/// `host`: the Host the client named (X-Forwarded-Host).
fn prepare(
    mut req: Request<ClientBody>,
    conn: &ConnInfo,
    host: HeaderValue,
    shaping: &BodyShaping<'_>,
    trace: Option<&RequestTrace>,
    state: &Arc<EndpointState>,
) -> Prepared {
    let empty = http_body::Body::is_end_stream(req.body());
    // One pass over the names, without hashing: most requests carry no hop-by-hop field.
    if req.headers().keys().any(is_hop_by_hop) {
        // A protocol upgrade (WebSocket) is forwarded for HTTP/1.1 requests without a body.
        let upgrade =
            if empty && req.version() == Version::HTTP_11 { crate::tunnel::requested(req.headers()) } else { None };
        let headers = req.headers_mut();
        strip_hop_by_hop(headers);
        if let Some(protocol) = upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            headers.insert(header::UPGRADE, protocol);
        }
    }
    let fwd = Forwarded { client_ip: &conn.peer_ip, proto: if conn.tls { "https" } else { "http" }, host: Some(host) };
    let (parts, body) = req.into_parts();
    let head = RequestHead::forwarded(
        &parts.method,
        parts.uri.path_and_query(),
        parts.headers,
        empty,
        shaping.routed.table.head_for,
        &fwd,
    );
    // A request without a body (most GETs) has nothing to shape, count or capture.
    let body = if empty {
        ReqBody::Empty
    } else {
        let tap = trace.and_then(|t| t.req_tap.clone());
        let counted = Counting::new(shaping.shaped(body, Flow::Ingress), Some(state.clone()), Direction::In);
        ReqBody::Stream(Box::new((counted, tap)))
    };
    let retry_ok = head.idempotent() && empty;
    Prepared { head, body, retry_ok }
}

fn is_hop_by_hop(n: &HeaderName) -> bool {
    is_hop_by_hop_name(n.as_str().as_bytes())
}

/// Remove hop-by-hop headers, including those named by `Connection` (`prepare` calls it
/// only when a pass over the names found one: most messages carry none).
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
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

fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

// --- phases 4 and 5: send, observe ----------------------------------------------------

/// How one request's bodies are shaped: by its service's policy slot (consulted per chunk,
/// so live changes apply to open streams) and the link scheduler, with the delay added to
/// the request's trace.
struct BodyShaping<'a> {
    routed: &'a Routed<'a>,
    link: &'a Option<Arc<Link>>,
    delay_sink: &'a Option<Arc<AtomicU64>>,
}

impl BodyShaping<'_> {
    fn shaped<B>(&self, body: B, flow: Flow) -> Shaped<B> {
        Shaped::new(body, Some(self.routed.service.slot.clone()), self.link.clone(), flow, self.delay_sink.clone())
    }

    /// The client's response from an upstream's: shaped, counted against endpoint `state`,
    /// and, for a `101`, with the tunnel's client-to-upstream half attached (tunnel.rs).
    fn response(&self, resp: Response<UpBody>, state: &Arc<EndpointState>) -> Response<RespBody> {
        // The upstream client leaves hop-by-hop fields out of the head it returns.
        let (parts, mut body) = resp.into_parts();
        let writer = body.take_upgrade_writer();
        let wire = body.take_wire_head();
        let mut body =
            RespBody::stream(Counting::new(self.shaped(body, Flow::Egress), Some(state.clone()), Direction::Out), wire);
        if let Some(writer) = writer {
            body.set_tunnel(crate::tunnel::Tunnel {
                writer,
                slot: self.routed.service.slot.clone(),
                link: self.link.clone(),
                state: state.clone(),
                delay_sink: self.delay_sink.clone(),
            });
        }
        Response::from_parts(parts, body)
    }
}

/// Per-request facts every attempt needs.
struct SendCtx<'a> {
    shaping: BodyShaping<'a>,
    trace: &'a mut Option<Box<RequestTrace>>,
    attempt: usize,
    /// This worker's upstream pools.
    upstreams: &'a Upstreams,
    /// The request is a gRPC call.
    grpc: bool,
    /// Ask an HTTP/1.1 upstream for the response head as lines (`Outgoing::wire_head`).
    wire_head: bool,
}

/// What one attempt brought back, and how long it took.
struct Sent {
    outcome: Result<Response<UpBody>, ProxyError>,
    elapsed: Duration,
    /// The request body, unread, when no connection could be made (HTTP/2 upstreams): the
    /// request may go to another endpoint with it.
    unused_body: Option<ReqBody>,
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
}
