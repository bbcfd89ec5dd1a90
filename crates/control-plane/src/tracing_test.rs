//! `POST /tracing/{id}/test`: one real span through the configured backend and exporter.

use marchproxy_model::tracing_config::TracingConfigSpec;
use marchproxy_outbound::OutboundPolicy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// The outcome of one test span (a plain comment: a doc comment would change the OpenAPI schema).
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct TestResult {
    pub success: bool,
    pub latency_ms: f64,
    pub backend: String,
    pub exporter: String,
    pub endpoint: String,
    pub trace_id: String,
    pub error: Option<String>,
}

/// One test span through `spec`'s backend, under the outbound `policy`; the error is a
/// summary (never the backend's response body).
pub async fn send(spec: &TracingConfigSpec, policy: &OutboundPolicy) -> TestResult {
    let r = marchproxy_telemetry::exporter::send_test_span(spec, policy).await;
    TestResult {
        success: r.success,
        latency_ms: r.latency_ms as f64,
        backend: spec.backend.as_str().into(),
        exporter: spec.exporter.as_str().into(),
        endpoint: spec.endpoint.clone(),
        trace_id: r.trace_id,
        error: r.error,
    }
}
