//! Sending spans: the transports, the async batching pipeline, and the one-shot test span.
//!
//! What it does:
//! - [`Transport`]: chosen from a tracing config's backend + exporter + endpoint:
//!   - `otlp`/`jaeger` + `http` → OTLP/HTTP protobuf `POST {endpoint}/v1/traces`;
//!   - `otlp`/`jaeger` + `grpc` → OTLP/gRPC `TraceService/Export` (`http://` is plaintext
//!     h2c, `https://` uses TLS with the webpki roots; no scheme means `http://`);
//!   - `zipkin` + `http` → Zipkin v2 JSON `POST` to the endpoint (`/api/v2/spans` when the
//!     endpoint has no path);
//!   - `jaeger` + `thrift` → Jaeger Thrift binary `POST {endpoint}/api/traces`.
//! - [`ExportPipeline`]: a cloneable handle over a background task with a bounded queue;
//!   [`ExportPipeline::push`] never blocks (`try_send`; a full queue drops and counts). The
//!   task batches by size or time, truncates attributes to `max_attribute_length`, sends
//!   with a per-request timeout and retries retryable failures with exponential backoff,
//!   then drops and counts. [`ExportStats`] are lock-free counters (plus the last error).
//! - [`send_test_span`]: one real span through the configured transport, reporting the
//!   backend's answer.
//!
//! What it does not know: sampling (done before spans are pushed), storage, and serving
//! HTTP. It needs a Tokio runtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use marchproxy_model::tracing_config::{SpanExporter, TracingBackend, TracingConfigSpec};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use crate::encode::{encode_jaeger_batch, encode_otlp_protobuf, encode_zipkin_json, to_otlp_request};
use crate::span::{Resource, SpanData, SpanKind, SpanStatus, new_span_id, new_trace_id, now_unix_nanos};

/// Tuning of the export pipeline.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Spans waiting to be batched; beyond this, pushes are dropped and counted.
    pub queue_capacity: usize,
    /// A batch is sent when it reaches this many spans...
    pub max_batch_size: usize,
    /// ...or when its first span has waited this long.
    pub batch_timeout: Duration,
    /// Timeout of one export request.
    pub request_timeout: Duration,
    /// Attempts per batch (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled each time, capped by `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 2048,
            max_batch_size: 512,
            batch_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// A tracing config that cannot be turned into a transport.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("backend `{backend}` does not support exporter `{exporter}`")]
    Unsupported { backend: &'static str, exporter: &'static str },
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },
}

/// One failed export attempt.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// The backend answered with a non-success HTTP status (body excerpt included).
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// gRPC status from the backend (or the channel).
    #[error("gRPC {code}: {message}")]
    Grpc { code: String, message: String, retryable: bool },
    /// Connection, TLS or I/O failure.
    #[error("transport error: {0}")]
    Transport(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

impl ExportError {
    /// Whether another attempt may succeed (OTLP's retryable set: HTTP 408/429/502/503/504,
    /// gRPC UNAVAILABLE etc., transport errors and timeouts).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
            Self::Grpc { retryable, .. } => *retryable,
            Self::Transport(_) | Self::Timeout(_) => true,
        }
    }
}

/// The wire protocol a transport speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    OtlpHttp,
    OtlpGrpc,
    ZipkinJson,
    JaegerThrift,
}

impl TransportKind {
    /// Which transport a backend/exporter pair means.
    pub fn select(backend: TracingBackend, exporter: SpanExporter) -> Result<Self, ConfigError> {
        use {SpanExporter as E, TracingBackend as B};
        match (backend, exporter) {
            (B::Otlp | B::Jaeger, E::Http) => Ok(Self::OtlpHttp),
            (B::Otlp | B::Jaeger, E::Grpc) => Ok(Self::OtlpGrpc),
            (B::Zipkin, E::Http) => Ok(Self::ZipkinJson),
            (B::Jaeger, E::Thrift) => Ok(Self::JaegerThrift),
            (b, e) => Err(ConfigError::Unsupported { backend: b.as_str(), exporter: e.as_str() }),
        }
    }
}

fn invalid(endpoint: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidEndpoint { endpoint: endpoint.to_owned(), reason: reason.into() }
}

fn parse_http_url(endpoint: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(endpoint.trim()).map_err(|e| invalid(endpoint, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(endpoint, "scheme must be http or https"));
    }
    if url.host_str().is_none() {
        return Err(invalid(endpoint, "missing host"));
    }
    Ok(url)
}

fn append_path(endpoint: &str, suffix: &str) -> Result<String, ConfigError> {
    let mut url = parse_http_url(endpoint)?;
    let path = url.path().trim_end_matches('/');
    if !path.ends_with(suffix) {
        let joined = format!("{path}{suffix}");
        url.set_path(&joined);
    }
    Ok(url.to_string())
}

/// `{endpoint}/v1/traces`, unless the endpoint already ends with `/v1/traces`.
pub fn otlp_http_url(endpoint: &str) -> Result<String, ConfigError> {
    append_path(endpoint, "/v1/traces")
}

/// `{endpoint}/api/traces`, unless the endpoint already ends with `/api/traces`.
pub fn jaeger_thrift_url(endpoint: &str) -> Result<String, ConfigError> {
    append_path(endpoint, "/api/traces")
}

/// The endpoint as given, or with `/api/v2/spans` when its path is empty or `/`.
pub fn zipkin_url(endpoint: &str) -> Result<String, ConfigError> {
    let mut url = parse_http_url(endpoint)?;
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/api/v2/spans");
    }
    Ok(url.to_string())
}

/// The gRPC target URI: `grpc://` and no scheme mean `http://`, `grpcs://` means `https://`.
pub fn otlp_grpc_uri(endpoint: &str) -> Result<String, ConfigError> {
    let e = endpoint.trim();
    let uri = if let Some(rest) = e.strip_prefix("grpc://") {
        format!("http://{rest}")
    } else if let Some(rest) = e.strip_prefix("grpcs://") {
        format!("https://{rest}")
    } else if e.starts_with("http://") || e.starts_with("https://") {
        e.to_owned()
    } else if e.contains("://") {
        return Err(invalid(endpoint, "scheme must be http, https, grpc or grpcs"));
    } else {
        format!("http://{e}")
    };
    parse_http_url(&uri)?;
    Ok(uri)
}

enum Target {
    Http { client: reqwest::Client, url: String, content_type: &'static str },
    Grpc { client: TraceServiceClient<Channel> },
}

/// A configured connection to one backend.
pub struct Transport {
    kind: TransportKind,
    url: String,
    target: Target,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("kind", &self.kind).field("url", &self.url).finish()
    }
}

/// An encoded batch, ready to be sent (cheap to clone for retries).
#[derive(Debug, Clone)]
pub enum Payload {
    Bytes(Bytes),
    Grpc(ExportTraceServiceRequest),
}

const BODY_EXCERPT: usize = 512;

impl Transport {
    /// Builds the transport for `spec`. Does not connect (gRPC connects lazily). Must be
    /// called inside a Tokio runtime for gRPC.
    pub fn from_spec(spec: &TracingConfigSpec, request_timeout: Duration) -> Result<Self, ConfigError> {
        let kind = TransportKind::select(spec.backend, spec.exporter)?;
        let http = |url: String, content_type| -> Result<Self, ConfigError> {
            let client = reqwest::Client::builder()
                .timeout(request_timeout)
                .connect_timeout(request_timeout)
                .user_agent(concat!("marchproxy-telemetry/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| invalid(&spec.endpoint, e.to_string()))?;
            Ok(Self { kind, url: url.clone(), target: Target::Http { client, url, content_type } })
        };
        match kind {
            TransportKind::OtlpHttp => http(otlp_http_url(&spec.endpoint)?, "application/x-protobuf"),
            TransportKind::ZipkinJson => http(zipkin_url(&spec.endpoint)?, "application/json"),
            TransportKind::JaegerThrift => http(jaeger_thrift_url(&spec.endpoint)?, "application/x-thrift"),
            TransportKind::OtlpGrpc => {
                let uri = otlp_grpc_uri(&spec.endpoint)?;
                let mut ep = Endpoint::from_shared(uri.clone())
                    .map_err(|e| invalid(&spec.endpoint, e.to_string()))?
                    .connect_timeout(request_timeout)
                    .timeout(request_timeout);
                if uri.starts_with("https://") {
                    ep = ep
                        .tls_config(ClientTlsConfig::new().with_webpki_roots())
                        .map_err(|e| invalid(&spec.endpoint, e.to_string()))?;
                }
                let client = TraceServiceClient::new(ep.connect_lazy());
                Ok(Self { kind, url: uri, target: Target::Grpc { client } })
            }
        }
    }

    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// The URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Encodes a batch in this transport's wire format.
    pub fn encode(&self, spans: &[SpanData]) -> Payload {
        match self.kind {
            TransportKind::OtlpHttp => Payload::Bytes(encode_otlp_protobuf(spans).into()),
            TransportKind::OtlpGrpc => Payload::Grpc(to_otlp_request(spans)),
            TransportKind::ZipkinJson => Payload::Bytes(encode_zipkin_json(spans).into()),
            TransportKind::JaegerThrift => Payload::Bytes(encode_jaeger_batch(spans).into()),
        }
    }

    /// Sends one encoded batch (one attempt, no timeout of its own beyond the client's).
    /// Returns the number of spans the backend reported as rejected (OTLP partial success).
    pub async fn send(&self, payload: Payload) -> Result<u64, ExportError> {
        match (&self.target, payload) {
            (Target::Http { client, url, content_type }, Payload::Bytes(body)) => {
                let resp = client
                    .post(url.as_str())
                    .header("content-type", *content_type)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| ExportError::Transport(error_chain(&e)))?;
                let status = resp.status();
                let bytes = resp.bytes().await.unwrap_or_default();
                if !status.is_success() {
                    let text = String::from_utf8_lossy(&bytes);
                    let body = crate::span::truncate_attr(text.trim(), BODY_EXCERPT).to_owned();
                    return Err(ExportError::Http { status: status.as_u16(), body });
                }
                if self.kind == TransportKind::OtlpHttp
                    && !bytes.is_empty()
                    && let Ok(r) = ExportTraceServiceResponse::decode(bytes.as_ref())
                {
                    return Ok(rejected(&r));
                }
                Ok(0)
            }
            (Target::Grpc { client }, Payload::Grpc(req)) => {
                let mut client = client.clone();
                match client.export(req).await {
                    Ok(r) => Ok(rejected(r.get_ref())),
                    Err(s) => Err(grpc_error(&s)),
                }
            }
            _ => Err(ExportError::Transport("payload does not match transport".into())),
        }
    }
}

fn rejected(r: &ExportTraceServiceResponse) -> u64 {
    r.partial_success.as_ref().map(|p| p.rejected_spans.max(0) as u64).unwrap_or(0)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s
}

fn grpc_error(s: &tonic::Status) -> ExportError {
    use tonic::Code;
    let retryable = matches!(
        s.code(),
        Code::Cancelled
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::OutOfRange
            | Code::Unavailable
            | Code::DataLoss
    );
    let mut message = s.message().to_owned();
    if let Some(src) = std::error::Error::source(s) {
        let chain = error_chain(src);
        if !message.contains(&chain) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&chain);
        }
    }
    ExportError::Grpc { code: format!("{:?}", s.code()), message, retryable }
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Lock-free counters of one pipeline.
#[derive(Debug, Default)]
pub struct ExportStats {
    spans_enqueued: AtomicU64,
    spans_exported: AtomicU64,
    spans_dropped: AtomicU64,
    export_errors: AtomicU64,
    batches_exported: AtomicU64,
    last_export_at_ms: AtomicU64,
    last_error_at_ms: AtomicU64,
    duration_sum_us: AtomicU64,
    duration_count: AtomicU64,
    last_export_error: Mutex<Option<String>>,
}

/// A copy of [`ExportStats`] at one moment.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StatsSnapshot {
    /// Spans accepted into the queue.
    pub spans_enqueued: u64,
    /// Spans the backend accepted.
    pub spans_exported: u64,
    /// Spans lost: queue full, pipeline shut down, export failed after retries, or rejected
    /// by the backend (OTLP partial success).
    pub spans_dropped: u64,
    /// Failed export attempts (each retry counts).
    pub export_errors: u64,
    pub batches_exported: u64,
    /// Unix ms of the last successful export.
    pub last_export_at_ms: Option<u64>,
    pub last_export_error: Option<String>,
    /// Unix ms of the last failed attempt.
    pub last_error_at_ms: Option<u64>,
    /// Mean duration of the spans accepted into the queue, in milliseconds.
    pub avg_span_duration_ms: f64,
}

impl ExportStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let nz = |v: u64| (v != 0).then_some(v);
        let count = self.duration_count.load(Ordering::Relaxed);
        StatsSnapshot {
            spans_enqueued: self.spans_enqueued.load(Ordering::Relaxed),
            spans_exported: self.spans_exported.load(Ordering::Relaxed),
            spans_dropped: self.spans_dropped.load(Ordering::Relaxed),
            export_errors: self.export_errors.load(Ordering::Relaxed),
            batches_exported: self.batches_exported.load(Ordering::Relaxed),
            last_export_at_ms: nz(self.last_export_at_ms.load(Ordering::Relaxed)),
            last_export_error: self.last_export_error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            last_error_at_ms: nz(self.last_error_at_ms.load(Ordering::Relaxed)),
            avg_span_duration_ms: if count == 0 {
                0.0
            } else {
                self.duration_sum_us.load(Ordering::Relaxed) as f64 / count as f64 / 1000.0
            },
        }
    }

    fn dropped(&self, n: u64) {
        self.spans_dropped.fetch_add(n, Ordering::Relaxed);
    }

    fn error(&self, e: &ExportError) {
        self.export_errors.fetch_add(1, Ordering::Relaxed);
        self.last_error_at_ms.store(unix_ms(), Ordering::Relaxed);
        *self.last_export_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
    }
}

enum Control {
    Flush(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
}

/// A cloneable handle to one configuration's export pipeline.
#[derive(Clone)]
pub struct ExportPipeline {
    spans: mpsc::Sender<SpanData>,
    control: mpsc::Sender<Control>,
    stats: Arc<ExportStats>,
    resource: Arc<Resource>,
    kind: TransportKind,
    url: Arc<str>,
}

impl std::fmt::Debug for ExportPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportPipeline").field("kind", &self.kind).field("url", &self.url).finish()
    }
}

impl ExportPipeline {
    /// Starts the pipeline of `spec` with default options. Needs a Tokio runtime.
    pub fn new(spec: &TracingConfigSpec) -> Result<Self, ConfigError> {
        Self::with_options(spec, PipelineOptions::default())
    }

    pub fn with_options(spec: &TracingConfigSpec, opts: PipelineOptions) -> Result<Self, ConfigError> {
        let transport = Transport::from_spec(spec, opts.request_timeout)?;
        let (tx, rx) = mpsc::channel(opts.queue_capacity.max(1));
        let (ctl_tx, ctl_rx) = mpsc::channel(8);
        let stats = Arc::new(ExportStats::default());
        let pipeline = Self {
            spans: tx,
            control: ctl_tx,
            stats: stats.clone(),
            resource: Arc::new(Resource::from_spec(spec)),
            kind: transport.kind(),
            url: transport.url().into(),
        };
        let worker =
            Worker { transport, opts, stats, max_attr_len: spec.max_attribute_length as usize, batch: Vec::new() };
        tokio::spawn(worker.run(rx, ctl_rx));
        Ok(pipeline)
    }

    /// The resource (service name + custom tags) spans of this pipeline should carry.
    pub fn resource(&self) -> &Arc<Resource> {
        &self.resource
    }

    pub fn transport_kind(&self) -> TransportKind {
        self.kind
    }

    /// Where batches are sent.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues a finished span without blocking. Returns `false` (and counts a drop) when
    /// the queue is full or the pipeline is shut down.
    pub fn push(&self, span: SpanData) -> bool {
        let dur_us = span.duration_nanos() / 1000;
        match self.spans.try_send(span) {
            Ok(()) => {
                self.stats.spans_enqueued.fetch_add(1, Ordering::Relaxed);
                self.stats.duration_sum_us.fetch_add(dur_us, Ordering::Relaxed);
                self.stats.duration_count.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.stats.dropped(1);
                false
            }
        }
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// The live counters (to read without holding the pipeline).
    pub fn stats_handle(&self) -> Arc<ExportStats> {
        self.stats.clone()
    }

    /// Sends everything queued so far (with retries) and waits for it.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.control.send(Control::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Stops accepting spans, flushes what is queued, and stops the background task.
    /// Later pushes are dropped and counted. Idempotent.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.control.send(Control::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

struct Worker {
    transport: Transport,
    opts: PipelineOptions,
    stats: Arc<ExportStats>,
    max_attr_len: usize,
    batch: Vec<SpanData>,
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::Receiver<SpanData>, mut ctl: mpsc::Receiver<Control>) {
        let mut deadline = tokio::time::Instant::now();
        loop {
            tokio::select! {
                biased;
                c = ctl.recv() => match c {
                    Some(Control::Flush(ack)) => {
                        self.drain(&mut rx).await;
                        let _ = ack.send(());
                    }
                    Some(Control::Shutdown(ack)) => {
                        rx.close();
                        self.drain(&mut rx).await;
                        let _ = ack.send(());
                        break;
                    }
                    None => {
                        rx.close();
                        self.drain(&mut rx).await;
                        break;
                    }
                },
                s = rx.recv() => match s {
                    Some(span) => {
                        if self.batch.is_empty() {
                            deadline = tokio::time::Instant::now() + self.opts.batch_timeout;
                        }
                        self.batch.push(span);
                        if self.batch.len() >= self.opts.max_batch_size {
                            self.export().await;
                        }
                    }
                    None => {
                        self.export().await;
                        break;
                    }
                },
                _ = tokio::time::sleep_until(deadline), if !self.batch.is_empty() => {
                    self.export().await;
                }
            }
        }
        // Anything still queued after the loop (a shut-down pipeline) counts as dropped.
        while let Ok(_s) = rx.try_recv() {
            self.stats.dropped(1);
        }
        // Answer later control messages so `flush`/`shutdown` callers never hang.
        ctl.close();
        while let Ok(c) = ctl.try_recv() {
            match c {
                Control::Flush(a) | Control::Shutdown(a) => {
                    let _ = a.send(());
                }
            }
        }
    }

    /// Exports everything currently queued, in batches.
    async fn drain(&mut self, rx: &mut mpsc::Receiver<SpanData>) {
        while let Ok(s) = rx.try_recv() {
            self.batch.push(s);
            if self.batch.len() >= self.opts.max_batch_size {
                self.export().await;
            }
        }
        self.export().await;
    }

    async fn export(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        for s in &mut self.batch {
            s.truncate_attributes(self.max_attr_len);
        }
        let n = self.batch.len() as u64;
        let payload = self.transport.encode(&self.batch);
        self.batch.clear();
        let mut backoff = self.opts.initial_backoff;
        let attempts = self.opts.max_attempts.max(1);
        for attempt in 1..=attempts {
            let r = match tokio::time::timeout(self.opts.request_timeout, self.transport.send(payload.clone())).await {
                Ok(r) => r,
                Err(_) => Err(ExportError::Timeout(self.opts.request_timeout)),
            };
            match r {
                Ok(rejected) => {
                    let rejected = rejected.min(n);
                    self.stats.spans_exported.fetch_add(n - rejected, Ordering::Relaxed);
                    self.stats.dropped(rejected);
                    self.stats.batches_exported.fetch_add(1, Ordering::Relaxed);
                    self.stats.last_export_at_ms.store(unix_ms(), Ordering::Relaxed);
                    return;
                }
                Err(e) => {
                    self.stats.error(&e);
                    tracing::debug!(url = %self.transport.url(), attempt, error = %e, "span export failed");
                    if !e.is_retryable() || attempt == attempts {
                        tracing::warn!(url = %self.transport.url(), spans = n, error = %e, "dropping span batch");
                        self.stats.dropped(n);
                        return;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.opts.max_backoff);
                }
            }
        }
    }
}

/// The answer of [`send_test_span`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestSpanResult {
    pub success: bool,
    pub latency_ms: u64,
    /// Hex trace id of the span sent (search for it in the backend).
    pub trace_id: String,
    /// The backend's (or transport's) error.
    pub error: Option<String>,
}

/// Default timeout of [`send_test_span`].
pub const TEST_SPAN_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends one real span through the configured backend and exporter (5 s timeout).
pub async fn send_test_span(spec: &TracingConfigSpec) -> TestSpanResult {
    send_test_span_with_timeout(spec, TEST_SPAN_TIMEOUT).await
}

pub async fn send_test_span_with_timeout(spec: &TracingConfigSpec, timeout: Duration) -> TestSpanResult {
    let trace_id = new_trace_id();
    let trace_hex = hex::encode(trace_id);
    let started = Instant::now();
    let fail = |error: String, started: Instant| TestSpanResult {
        success: false,
        latency_ms: started.elapsed().as_millis() as u64,
        trace_id: trace_hex.clone(),
        error: Some(error),
    };
    let transport = match Transport::from_spec(spec, timeout) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string(), started),
    };
    let resource = Arc::new(Resource::from_spec(spec));
    let end = now_unix_nanos();
    let mut span = SpanData {
        trace_id,
        span_id: new_span_id(),
        parent_span_id: None,
        name: "marchproxy.test_span".into(),
        kind: SpanKind::Server,
        start_unix_nanos: end.saturating_sub(1_000_000),
        end_unix_nanos: end,
        status: SpanStatus::Ok,
        attributes: Vec::new(),
        events: Vec::new(),
        resource,
    };
    span.set_attr("marchproxy.test", true);
    span.set_attr("marchproxy.tracing_config", spec.name.clone());
    span.set_attr("marchproxy.cluster_id", spec.cluster_id);
    span.truncate_attributes(spec.max_attribute_length as usize);
    let payload = transport.encode(std::slice::from_ref(&span));
    let started = Instant::now();
    let r = match tokio::time::timeout(timeout, transport.send(payload)).await {
        Ok(r) => r,
        Err(_) => Err(ExportError::Timeout(timeout)),
    };
    match r {
        Ok(0) => TestSpanResult {
            success: true,
            latency_ms: started.elapsed().as_millis() as u64,
            trace_id: trace_hex,
            error: None,
        },
        Ok(_) => fail("the backend rejected the span (OTLP partial success)".into(), started),
        Err(e) => fail(format!("{e} (sending to {})", transport.url()), started),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(otlp_http_url("http://c:4318").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(otlp_http_url("http://c:4318/").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(otlp_http_url("http://c:4318/v1/traces").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(otlp_http_url("https://c/otlp").unwrap(), "https://c/otlp/v1/traces");
        assert_eq!(jaeger_thrift_url("http://j:14268").unwrap(), "http://j:14268/api/traces");
        assert_eq!(jaeger_thrift_url("http://j:14268/api/traces").unwrap(), "http://j:14268/api/traces");
        assert_eq!(zipkin_url("http://z:9411").unwrap(), "http://z:9411/api/v2/spans");
        assert_eq!(zipkin_url("http://z:9411/").unwrap(), "http://z:9411/api/v2/spans");
        assert_eq!(zipkin_url("http://z:9411/custom").unwrap(), "http://z:9411/custom");
        assert_eq!(otlp_grpc_uri("c:4317").unwrap(), "http://c:4317");
        assert_eq!(otlp_grpc_uri("grpc://c:4317").unwrap(), "http://c:4317");
        assert_eq!(otlp_grpc_uri("grpcs://c:4317").unwrap(), "https://c:4317");
        assert_eq!(otlp_grpc_uri("https://c:4317").unwrap(), "https://c:4317");
        assert!(otlp_grpc_uri("ftp://c").is_err());
        assert!(otlp_http_url("ftp://c").is_err());
        assert!(otlp_http_url("not a url").is_err());
    }

    #[test]
    fn transport_selection() {
        use {SpanExporter as E, TracingBackend as B};
        assert_eq!(TransportKind::select(B::Otlp, E::Http), Ok(TransportKind::OtlpHttp));
        assert_eq!(TransportKind::select(B::Jaeger, E::Grpc), Ok(TransportKind::OtlpGrpc));
        assert_eq!(TransportKind::select(B::Jaeger, E::Thrift), Ok(TransportKind::JaegerThrift));
        assert_eq!(TransportKind::select(B::Zipkin, E::Http), Ok(TransportKind::ZipkinJson));
        assert!(TransportKind::select(B::Zipkin, E::Grpc).is_err());
        assert!(TransportKind::select(B::Otlp, E::Thrift).is_err());
    }

    #[test]
    fn retryable_errors() {
        assert!(ExportError::Http { status: 503, body: String::new() }.is_retryable());
        assert!(ExportError::Http { status: 429, body: String::new() }.is_retryable());
        assert!(!ExportError::Http { status: 400, body: String::new() }.is_retryable());
        assert!(ExportError::Timeout(Duration::from_secs(1)).is_retryable());
        assert!(grpc_error(&tonic::Status::unavailable("x")).is_retryable());
        assert!(!grpc_error(&tonic::Status::invalid_argument("x")).is_retryable());
    }
}
