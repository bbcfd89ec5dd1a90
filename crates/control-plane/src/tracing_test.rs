//! `POST /tracing/{id}/test`: one real span through the configured backend and exporter.

use std::net::{IpAddr, SocketAddr};

use marchproxy_model::tracing_config::TracingConfigSpec;
use marchproxy_outbound::OutboundPolicy;
use marchproxy_telemetry::exporter::{TEST_SPAN_TIMEOUT, TransportKind, otlp_http_url};
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

/// Whether `spec` exports OTLP/HTTP to this control plane's own receiver, which requires a
/// credential: its endpoint is this server's port on a loopback address (when the server
/// listens on every address or on a loopback one), or the host and port the operator
/// reached this API by (`request_host`, the `Host` of the test's request). A credential is
/// sent nowhere else.
pub fn targets_self(spec: &TracingConfigSpec, listen: SocketAddr, request_host: Option<&str>) -> bool {
    if TransportKind::select(spec.backend, spec.exporter).ok() != Some(TransportKind::OtlpHttp) {
        return false;
    }
    let Some(url) = otlp_http_url(&spec.endpoint).ok().and_then(|u| url::Url::parse(&u).ok()) else {
        return false;
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback && port == listen.port() && (listen.ip().is_unspecified() || listen.ip().is_loopback()) {
        return true;
    }
    // The Host header: `name[:port]`; without a port, the endpoint's scheme's default.
    let Some(authority) = request_host.and_then(|h| url::Url::parse(&format!("{}://{h}", url.scheme())).ok()) else {
        return false;
    };
    authority.host_str().map(str::to_ascii_lowercase).as_deref()
        == url.host_str().map(str::to_ascii_lowercase).as_deref()
        && authority.port_or_known_default() == Some(port)
}

/// One test span through `spec`'s backend, under the outbound `policy`; the error is a
/// summary (never the backend's response body). `authorization` is the `Authorization`
/// value for this control plane's own receiver (see [`targets_self`]).
pub async fn send(spec: &TracingConfigSpec, policy: &OutboundPolicy, authorization: Option<&str>) -> TestResult {
    let r = marchproxy_telemetry::exporter::send_test_span_with(spec, TEST_SPAN_TIMEOUT, policy, authorization).await;
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

    #[test]
    fn only_this_servers_receiver_is_self() {
        let any: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        let s = |ep: &str| spec("otlp", "http", ep);
        assert!(targets_self(&s("http://127.0.0.1:8000"), any, None));
        assert!(targets_self(&s("http://localhost:8000/v1/traces"), any, None));
        assert!(targets_self(&s("http://[::1]:8000"), any, None));
        assert!(!targets_self(&s("http://127.0.0.1:4318"), any, None), "another port");
        assert!(!targets_self(&s("http://collector:8000"), any, None), "another host");
        assert!(!targets_self(&spec("zipkin", "http", "http://127.0.0.1:8000"), any, None), "not OTLP/HTTP");
        assert!(!targets_self(&spec("otlp", "grpc", "http://127.0.0.1:8000"), any, None), "not OTLP/HTTP");
        // Listening on one external address: loopback is another server.
        let ext: SocketAddr = "10.0.0.5:8000".parse().unwrap();
        assert!(!targets_self(&s("http://127.0.0.1:8000"), ext, None));
        // The name the operator reached the API by (behind a TLS front end: other port).
        assert!(targets_self(&s("https://cp.example.com"), ext, Some("cp.example.com")));
        assert!(targets_self(&s("http://CP.example.com:8000"), ext, Some("cp.example.com:8000")));
        assert!(!targets_self(&s("https://cp.example.com:4318"), ext, Some("cp.example.com")));
        assert!(!targets_self(&s("https://evil.example.com"), ext, Some("cp.example.com")));
    }
}
