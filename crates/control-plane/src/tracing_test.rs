//! `POST /tracing/{id}/test`: one real span through the configured backend and exporter.

use marchproxy_model::tracing_cfg::TracingConfigSpec;

use crate::api::observability::TestResult;

pub async fn send(spec: &TracingConfigSpec) -> TestResult {
    let r = marchproxy_telemetry::exporter::send_test_span(spec).await;
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
