//! Distributed tracing on the request path: a server span per proxied request and a
//! client span per upstream attempt, W3C/B3 context extracted and injected, the tracing
//! configs' samplers, header/body capture with redaction and truncation, and export
//! through each config's bounded pipeline (never blocking the request).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use http::{HeaderMap, HeaderName, HeaderValue};
use marchproxy_model::report::TracingSample;
use marchproxy_model::tracing_config::{TracingConfig, TracingConfigSpec};
use marchproxy_outbound::OutboundPolicy;
use marchproxy_telemetry::ExportPipeline;
use marchproxy_telemetry::exporter::{PipelineOptions, TransportKind, otlp_http_url};
use marchproxy_telemetry::propagation::{self, Format, Formats, SpanContext};
use marchproxy_telemetry::sampler::{Decision, Sampler};
use marchproxy_telemetry::span::{self, HeaderSide, SpanData, SpanKind, SpanStatus};

/// One enabled tracing config, live in this proxy.
pub struct Tracer {
    pub config_id: i64,
    pub spec: TracingConfigSpec,
    pub sampler: Sampler,
    pub pipeline: ExportPipeline,
    pub started: AtomicU64,
    pub sampled: AtomicU64,
    pub errored: AtomicU64,
    pub duration_sum_us: AtomicU64,
}

impl Tracer {
    pub fn sample(&self) -> TracingSample {
        let st = self.pipeline.stats();
        let started = self.started.load(Ordering::Relaxed);
        let sampled = self.sampled.load(Ordering::Relaxed);
        TracingSample {
            tracing_config_id: self.config_id,
            spans_started: started,
            spans_sampled: sampled,
            spans_exported: st.spans_exported,
            spans_dropped: st.spans_dropped,
            spans_errored: self.errored.load(Ordering::Relaxed),
            span_duration_sum_ms: self.duration_sum_us.load(Ordering::Relaxed) as f64 / 1000.0,
            effective_sampling_rate: (started > 0).then(|| sampled as f64 / started as f64),
            last_export_at_ms: st.last_export_at_ms.map(|v| v as i64),
            last_export_error: st.last_export_error,
        }
    }
}

/// The tracers of the current snapshot, rebuilt only when their config changed.
pub struct Tracing {
    tracers: ArcSwap<Vec<Arc<Tracer>>>,
    /// Where exporters may connect (`MARCHPROXY_OUTBOUND_*`).
    outbound: OutboundPolicy,
    /// Redact secret-looking query values in `url.query` and `url.full`
    /// (`--trace-redact-query`, on by default).
    redact_query: bool,
    /// This proxy's control-plane replicas (their origins) and cluster credential. The
    /// control plane's OTLP receiver requires that credential, so an OTLP/HTTP export to one
    /// of those origins carries it; an export anywhere else never does (a tracing backend
    /// never sees it).
    control_plane: Option<(Vec<reqwest::Url>, String)>,
}

/// No control plane to authenticate to, the default outbound policy, queries redacted.
impl Default for Tracing {
    fn default() -> Self {
        Self {
            tracers: ArcSwap::default(),
            outbound: OutboundPolicy::default(),
            redact_query: true,
            control_plane: None,
        }
    }
}

impl Tracing {
    /// Tracing for a proxy of the control plane at `control_planes` (its replicas' base
    /// URLs), which authenticates with `credential` (the cluster API key or the local
    /// proxy's token); exporters connect under `outbound`.
    pub fn new(control_planes: &[String], credential: &str, outbound: OutboundPolicy, redact_query: bool) -> Self {
        let urls: Vec<reqwest::Url> =
            control_planes.iter().filter_map(|u| reqwest::Url::parse(u.trim()).ok()).collect();
        Self {
            tracers: ArcSwap::default(),
            outbound,
            redact_query,
            control_plane: (!urls.is_empty()).then(|| (urls, credential.to_string())),
        }
    }

    /// The `Authorization` value an export of `spec` carries: the cluster credential when
    /// `spec` sends OTLP/HTTP to this proxy's own control plane (same scheme, host and
    /// port), otherwise none.
    fn authorization_for(&self, spec: &TracingConfigSpec) -> Option<String> {
        let (control_plane, credential) = self.control_plane.as_ref()?;
        if TransportKind::select(spec.backend, spec.exporter).ok()? != TransportKind::OtlpHttp {
            return None;
        }
        let target = reqwest::Url::parse(&otlp_http_url(&spec.endpoint).ok()?).ok()?;
        control_plane.iter().any(|c| c.origin() == target.origin()).then(|| format!("Bearer {credential}"))
    }

    pub fn active(&self) -> Arc<Vec<Arc<Tracer>>> {
        self.tracers.load_full()
    }

    /// Make the tracers match the snapshot's enabled configs.
    pub fn apply(&self, configs: &[TracingConfig]) {
        let old = self.tracers.load_full();
        let mut next = Vec::new();
        for c in configs.iter().filter(|c| c.spec.enabled) {
            if let Some(t) = old.iter().find(|t| t.config_id == c.id && t.spec == c.spec) {
                next.push(t.clone());
                continue;
            }
            let opts = PipelineOptions {
                outbound: self.outbound.clone(),
                authorization: self.authorization_for(&c.spec),
                ..PipelineOptions::default()
            };
            match ExportPipeline::with_options(&c.spec, opts) {
                Ok(pipeline) => next.push(Arc::new(Tracer {
                    config_id: c.id,
                    spec: c.spec.clone(),
                    sampler: Sampler::from_spec(&c.spec),
                    pipeline,
                    started: AtomicU64::new(0),
                    sampled: AtomicU64::new(0),
                    errored: AtomicU64::new(0),
                    duration_sum_us: AtomicU64::new(0),
                })),
                Err(e) => tracing::error!(config = c.id, error = %e, "cannot build the span exporter"),
            }
        }
        for t in old.iter() {
            if !next.iter().any(|n| Arc::ptr_eq(n, t)) {
                let p = t.pipeline.clone();
                tokio::spawn(async move { p.shutdown().await });
            }
        }
        self.tracers.store(Arc::new(next));
    }
}

/// What the request path knows when it starts tracing.
pub struct RequestInfo<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub host: &'a str,
    pub scheme: &'static str,
    pub version: &'static str,
    pub client: std::net::IpAddr,
    pub service: &'a str,
    pub service_id: i64,
    pub route_table: &'a str,
    pub route_table_id: i64,
    pub algorithm: &'static str,
    pub priority: Option<&'static str>,
}

/// A body prefix copied as it streams (never the whole body).
#[derive(Default)]
pub struct Tap {
    max: usize,
    buf: Mutex<Vec<u8>>,
}

impl Tap {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, buf: Mutex::new(Vec::new()) })
    }

    pub fn feed(&self, data: &[u8]) {
        let mut b = self.buf.lock().expect("tap lock");
        let room = self.max.saturating_sub(b.len());
        b.extend_from_slice(&data[..room.min(data.len())]);
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buf.lock().expect("tap lock"))
    }
}

/// The trace of one proxied request: its server span and the attempts' client spans.
pub struct RequestTrace {
    tracers: Vec<(Arc<Tracer>, Decision)>,
    server: SpanData,
    ctx: SpanContext,
    format: Option<Format>,
    clients: Vec<SpanData>,
    req_headers: Vec<(String, String)>,
    resp_headers: Vec<(String, String)>,
    pub req_tap: Option<Arc<Tap>>,
    pub resp_tap: Option<Arc<Tap>>,
    /// Nanoseconds of delay shaping added to this request's bodies.
    pub shaping_delay_ns: Arc<AtomicU64>,
    failed: bool,
    finished: bool,
    service: String,
    /// From [`Tracing`]: redact the query of each attempt's `url.full`.
    redact_query: bool,
}

impl RequestTrace {
    /// Start tracing a request, or `None` when no config records it.
    pub fn begin(tracing: &Tracing, headers: &HeaderMap, info: &RequestInfo<'_>) -> Option<Box<Self>> {
        // A guard, not a clone of the Arc: no shared reference count touched per request.
        let tracers = tracing.tracers.load();
        if tracers.is_empty() {
            return None;
        }
        // Most requests carry no trace context: one pass over the names instead of a lookup
        // for each propagation header.
        let ex = if headers.keys().any(|k| propagation::is_context_header(k.as_str())) {
            propagation::extract(|name| headers.get(name).and_then(|v| v.to_str().ok()))
        } else {
            propagation::Extracted::default()
        };
        let trace_id = ex.context.as_ref().map(|c| c.trace_id).unwrap_or_else(span::new_trace_id);
        let recording: Vec<(Arc<Tracer>, Decision)> = tracers
            .iter()
            .filter_map(|t| {
                let d = t.sampler.should_sample(&trace_id, ex.sampled);
                d.is_recording().then(|| (t.clone(), d))
            })
            .collect();
        if recording.is_empty() {
            return None;
        }
        let sampled = recording.iter().any(|(_, d)| d.is_sampled());
        let parent = ex.context.as_ref().map(|c| c.span_id);
        let resource = recording[0].0.pipeline.resource().clone();
        let mut s =
            SpanData::start(trace_id, parent, format!("{} {}", info.method, info.service), SpanKind::Server, resource);
        s.set_attr("http.request.method", info.method.to_string());
        s.set_attr("url.path", info.path.to_string());
        if let Some(q) = info.query {
            let q = if tracing.redact_query { span::redact_query(q) } else { Cow::Borrowed(q) };
            s.set_attr("url.query", q.into_owned());
        }
        s.set_attr("url.scheme", info.scheme);
        s.set_attr("server.address", info.host.to_string());
        s.set_attr("network.protocol.version", info.version);
        s.set_attr("client.address", info.client.to_string());
        if let Some(ua) = headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()) {
            s.set_attr("user_agent.original", ua.to_string());
        }
        s.set_attr("marchproxy.service", info.service.to_string());
        s.set_attr("marchproxy.service_id", info.service_id);
        s.set_attr("marchproxy.route_table", info.route_table.to_string());
        s.set_attr("marchproxy.route_table_id", info.route_table_id);
        s.set_attr("marchproxy.algorithm", info.algorithm);
        if let Some(p) = info.priority {
            s.set_attr("marchproxy.qos.priority", p);
        }
        let mut ctx = match &ex.context {
            Some(c) => c.child(s.span_id),
            None => SpanContext::new(trace_id, s.span_id, sampled),
        };
        ctx.sampled = Some(sampled);
        let want_req_headers = recording.iter().any(|(t, _)| t.spec.include_request_headers);
        let req_headers = if want_req_headers {
            headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let max = recording.iter().map(|(t, _)| t.spec.max_attribute_length as usize).max().unwrap_or(512);
        let req_tap = recording.iter().any(|(t, _)| t.spec.include_request_body).then(|| Tap::new(max));
        let resp_tap = recording.iter().any(|(t, _)| t.spec.include_response_body).then(|| Tap::new(max));
        for (t, _) in &recording {
            t.started.fetch_add(1, Ordering::Relaxed);
        }
        Some(Box::new(Self {
            tracers: recording,
            server: s,
            ctx,
            format: ex.format,
            clients: Vec::new(),
            req_headers,
            resp_headers: Vec::new(),
            req_tap,
            resp_tap,
            shaping_delay_ns: Arc::new(AtomicU64::new(0)),
            failed: false,
            finished: false,
            service: info.service.to_string(),
            redact_query: tracing.redact_query,
        }))
    }

    /// Start a client span for an upstream attempt and inject its context into `headers`.
    pub fn start_attempt(
        &mut self,
        headers: &mut HeaderMap,
        method: &str,
        url: &str,
        endpoint: &super::runtime::EndpointRt,
        attempt: usize,
    ) {
        let mut c = SpanData::start(
            self.ctx.trace_id,
            Some(self.server.span_id),
            method.to_string(),
            SpanKind::Client,
            self.server.resource.clone(),
        );
        c.set_attr("http.request.method", method.to_string());
        let url = if self.redact_query { span::redact_url_query(url) } else { Cow::Borrowed(url) };
        c.set_attr("url.full", url.into_owned());
        c.set_attr("server.address", endpoint.host.clone());
        c.set_attr("server.port", endpoint.port as i64);
        c.set_attr("marchproxy.endpoint", endpoint.raw.clone());
        c.set_attr("cloud.provider", endpoint.provider.as_str());
        c.set_attr("cloud.region", endpoint.region.clone());
        c.set_attr("http.request.resend_count", attempt as i64);
        c.set_attr("marchproxy.service", self.service.clone());
        for (t, _) in &self.tracers {
            t.started.fetch_add(1, Ordering::Relaxed);
        }
        let ctx = self.ctx.child(c.span_id);
        // W3C always, and the format the request came in when it was B3.
        let formats = match self.format {
            Some(f @ (Format::B3Single | Format::B3Multi)) => {
                let mut f = Formats::only(f);
                f.w3c = true;
                f
            }
            _ => Formats::only(Format::W3c),
        };
        propagation::inject(&ctx, formats, |name, value| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        });
        self.clients.push(c);
    }

    /// Close the current attempt with its outcome.
    pub fn end_attempt(&mut self, status: Option<u16>, error: Option<&'static str>) {
        if let Some(c) = self.clients.last_mut() {
            c.end();
            if let Some(s) = status {
                c.set_attr("http.response.status_code", s as i64);
                if s >= 500 {
                    c.status = SpanStatus::Error(format!("HTTP {s}"));
                    c.set_attr("error.type", s.to_string());
                }
            }
            if let Some(e) = error {
                c.status = SpanStatus::Error(e.to_string());
                c.set_attr("error.type", e);
            }
        }
    }

    /// Record a gRPC call's status (`grpc-status`, in the head of a "trailers only" answer or
    /// in the trailers): on the server span and the last attempt's. A server-side failure
    /// (UNAVAILABLE and the like, `grpc::grpc_failure`) marks both as errors even though
    /// the HTTP status was 200.
    pub fn grpc_status(&mut self, code: u32) {
        let failed = crate::grpc::grpc_failure(code);
        let spans = std::iter::once(&mut self.server).chain(self.clients.last_mut());
        for span in spans {
            span.set_attr("rpc.grpc.status_code", code as i64);
            if failed {
                span.status = SpanStatus::Error(format!("gRPC status {code}"));
                span.set_attr("error.type", code.to_string());
            }
        }
        if failed {
            self.failed = true;
        }
    }

    /// Record the response head the client gets.
    pub fn response(&mut self, status: u16, headers: &HeaderMap, proxy_error: Option<&'static str>) {
        self.server.set_attr("http.response.status_code", status as i64);
        if status >= 500 || proxy_error.is_some() {
            self.failed = true;
            self.server.status =
                SpanStatus::Error(proxy_error.map(str::to_string).unwrap_or_else(|| format!("HTTP {status}")));
            self.server.set_attr("error.type", proxy_error.map(str::to_string).unwrap_or_else(|| status.to_string()));
        }
        if self.tracers.iter().any(|(t, _)| t.spec.include_response_headers) {
            self.resp_headers = headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
        }
    }

    /// End the server span and hand the spans to each recording config.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.server.end();
        let delay_ms = self.shaping_delay_ns.load(Ordering::Relaxed) as f64 / 1e6;
        self.server.set_attr("marchproxy.qos.delay_ms", delay_ms);
        let req_body = self.req_tap.as_ref().map(|t| t.take());
        let resp_body = self.resp_tap.as_ref().map(|t| t.take());
        let last = self.tracers.len().saturating_sub(1);
        for (i, (t, decision)) in self.tracers.iter().enumerate() {
            let export = t.sampler.finish(*decision, self.failed);
            if self.failed {
                t.errored.fetch_add(1, Ordering::Relaxed);
            }
            if !export {
                continue;
            }
            let max = t.spec.max_attribute_length as usize;
            let resource = t.pipeline.resource().clone();
            // The last (usually only) config takes the spans; others get copies.
            let mut server = if i == last {
                std::mem::replace(
                    &mut self.server,
                    SpanData::start([0; 16], None, "", SpanKind::Internal, resource.clone()),
                )
            } else {
                self.server.clone()
            };
            server.resource = resource.clone();
            if t.spec.include_request_headers {
                span::capture_headers(
                    &mut server,
                    HeaderSide::Request,
                    self.req_headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    max,
                );
            }
            if t.spec.include_response_headers {
                span::capture_headers(
                    &mut server,
                    HeaderSide::Response,
                    self.resp_headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    max,
                );
            }
            if let (true, Some(b)) = (t.spec.include_request_body, &req_body) {
                span::capture_body(&mut server, "http.request.body", b, max);
            }
            if let (true, Some(b)) = (t.spec.include_response_body, &resp_body) {
                span::capture_body(&mut server, "http.response.body", b, max);
            }
            server.truncate_attributes(max);
            t.duration_sum_us.fetch_add(server.duration_nanos() / 1000, Ordering::Relaxed);
            t.sampled.fetch_add(1 + self.clients.len() as u64, Ordering::Relaxed);
            t.pipeline.push(server);
            let clients = if i == last { std::mem::take(&mut self.clients) } else { self.clients.clone() };
            for mut c in clients {
                c.resource = resource.clone();
                c.truncate_attributes(max);
                t.duration_sum_us.fetch_add(c.duration_nanos() / 1000, Ordering::Relaxed);
                t.pipeline.push(c);
            }
        }
    }
}

impl Drop for RequestTrace {
    fn drop(&mut self) {
        // A response body dropped mid-stream (client gone) still ends its spans.
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(backend: &str, exporter: &str, endpoint: &str) -> TracingConfigSpec {
        serde_json::from_value(serde_json::json!({
            "name": "t", "cluster_id": 1, "backend": backend, "endpoint": endpoint, "exporter": exporter,
            "sampling_strategy": "always"
        }))
        .unwrap()
    }

    /// The cluster credential goes only to this proxy's own control plane's OTLP receiver:
    /// never to another host, port or scheme, nor over another transport.
    #[test]
    fn the_credential_goes_only_to_the_own_control_plane() {
        let t = Tracing::new(
            &["http://127.0.0.1:8000".into(), "http://cp-2:8000".into()],
            "mpk_key",
            OutboundPolicy::default(),
            true,
        );
        let auth = |b, e, ep| t.authorization_for(&spec(b, e, ep));
        assert_eq!(auth("otlp", "http", "http://127.0.0.1:8000").as_deref(), Some("Bearer mpk_key"));
        assert_eq!(auth("otlp", "http", "http://127.0.0.1:8000/v1/traces").as_deref(), Some("Bearer mpk_key"));
        assert_eq!(auth("jaeger", "http", "http://127.0.0.1:8000/").as_deref(), Some("Bearer mpk_key"));
        assert_eq!(auth("otlp", "http", "http://127.0.0.1:4318"), None, "another port");
        assert_eq!(auth("otlp", "http", "http://collector:8000"), None, "another host");
        assert_eq!(auth("otlp", "http", "http://cp-2:8000").as_deref(), Some("Bearer mpk_key"), "another replica");
        assert_eq!(auth("otlp", "http", "https://127.0.0.1:8000"), None, "another scheme");
        assert_eq!(auth("otlp", "grpc", "http://127.0.0.1:8000"), None, "not OTLP/HTTP");
        assert_eq!(auth("zipkin", "http", "http://127.0.0.1:8000"), None, "not OTLP/HTTP");
        // Default ports compare equal to explicit ones.
        let t = Tracing::new(&["https://cp.example.com/".into()], "tok", OutboundPolicy::default(), true);
        assert_eq!(
            t.authorization_for(&spec("otlp", "http", "https://cp.example.com:443")).as_deref(),
            Some("Bearer tok")
        );
        assert_eq!(Tracing::default().authorization_for(&spec("otlp", "http", "http://127.0.0.1:8000")), None);
    }
}
