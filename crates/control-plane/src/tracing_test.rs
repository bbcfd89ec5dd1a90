//! `POST /tracing/{id}/test`: one real span through the configured exporter.

use marchproxy_model::tracing_cfg::TracingConfigSpec;

use crate::api::observability::TestResult;

pub async fn send(spec: &TracingConfigSpec) -> TestResult {
    let _ = spec;
    TestResult {
        success: false,
        latency_ms: 0.0,
        backend: spec.backend.as_str().into(),
        exporter: spec.exporter.as_str().into(),
        endpoint: spec.endpoint.clone(),
        trace_id: String::new(),
        error: Some("exporter not wired yet".into()),
    }
}
