//! [`send_test_span`]: one real span through a tracing config's transport, reporting the
//! backend's answer (the control plane's "test" button).

use std::sync::Arc;
use std::time::{Duration, Instant};

use marchproxy_model::tracing_config::TracingConfigSpec;
use marchproxy_outbound::OutboundPolicy;
use marchproxy_outbound::summary::bounded;
use serde::Serialize;

use crate::exporter::transport::{ExportError, Transport};
use crate::span::{Resource, SpanData, SpanKind, SpanStatus, new_span_id, new_trace_id, now_unix_nanos};

/// The answer of [`send_test_span`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestSpanResult {
    pub success: bool,
    pub latency_ms: u64,
    /// Hex trace id of the span sent (search for it in the backend).
    pub trace_id: String,
    /// What went wrong, summarised (a status code, "connection refused", a policy
    /// refusal…; never the backend's response body).
    pub error: Option<String>,
}

/// Default timeout of [`send_test_span`].
pub const TEST_SPAN_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest error a result carries, in characters.
const MAX_ERROR_CHARS: usize = 300;

/// Sends one real span through the configured backend and exporter (5 s timeout), under
/// the outbound `policy`.
pub async fn send_test_span(spec: &TracingConfigSpec, policy: &OutboundPolicy) -> TestSpanResult {
    send_test_span_with_timeout(spec, TEST_SPAN_TIMEOUT, policy).await
}

pub async fn send_test_span_with_timeout(
    spec: &TracingConfigSpec,
    timeout: Duration,
    policy: &OutboundPolicy,
) -> TestSpanResult {
    send_test_span_with(spec, timeout, policy, None).await
}

/// [`send_test_span_with_timeout`] with an `Authorization` header value (HTTP transports),
/// for a backend that requires one (the control plane's own receiver).
pub async fn send_test_span_with(
    spec: &TracingConfigSpec,
    timeout: Duration,
    policy: &OutboundPolicy,
    authorization: Option<&str>,
) -> TestSpanResult {
    let trace_id = new_trace_id();
    let trace_hex = hex::encode(trace_id);
    let started = Instant::now();
    let fail = |error: String, started: Instant| TestSpanResult {
        success: false,
        latency_ms: started.elapsed().as_millis() as u64,
        trace_id: trace_hex.clone(),
        error: Some(bounded(&error, MAX_ERROR_CHARS)),
    };
    let transport = match Transport::from_spec(spec, timeout, policy).and_then(|t| t.with_authorization(authorization))
    {
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
