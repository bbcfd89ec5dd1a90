//! The export pipeline: a cloneable handle ([`ExportPipeline`]) over a background task with
//! a bounded queue. [`ExportPipeline::push`] never blocks (`try_send`; a full queue drops and
//! counts). The task batches by size or time, truncates attributes to
//! `max_attribute_length`, sends with a per-request timeout and retries retryable failures
//! with exponential backoff, then drops and counts. [`ExportStats`] are lock-free counters
//! (plus the last error).
//!
//! What it does not know: sampling (done before spans are pushed) and wire formats (the
//! [`Transport`] encodes).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use marchproxy_model::tracing_config::TracingConfigSpec;
use marchproxy_outbound::OutboundPolicy;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::exporter::transport::{ConfigError, ExportError, Transport, TransportKind};
use crate::span::{Resource, SpanData};

/// Tuning of the export pipeline.
#[derive(Clone)]
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
    /// Where exports may connect (the operator's policy; the default refuses link-local
    /// and cloud metadata addresses and allows private ones).
    pub outbound: OutboundPolicy,
    /// `Authorization` header value sent with each export (HTTP transports), e.g.
    /// `Bearer mpk_...` for the control plane's own receiver; `None` sends none.
    pub authorization: Option<String>,
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
            outbound: OutboundPolicy::default(),
            authorization: None,
        }
    }
}

impl std::fmt::Debug for PipelineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineOptions")
            .field("queue_capacity", &self.queue_capacity)
            .field("max_batch_size", &self.max_batch_size)
            .field("batch_timeout", &self.batch_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("authorization", &self.authorization.as_ref().map(|_| "<redacted>"))
            .finish()
    }
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
        let transport = Transport::from_spec(spec, opts.request_timeout, &opts.outbound)?
            .with_authorization(opts.authorization.as_deref())?;
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
                    // The error carries the backend's answer: escaped (`?`) so it cannot forge log lines.
                    tracing::debug!(url = %self.transport.url(), attempt, error = ?e.to_string(), "span export failed");
                    if !e.is_retryable() || attempt == attempts {
                        tracing::warn!(url = %self.transport.url(), spans = n, error = ?e.to_string(), "dropping span batch");
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
