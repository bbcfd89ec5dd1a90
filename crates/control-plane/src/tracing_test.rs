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
    /// The test span's trace id (empty when no span was sent).
    pub trace_id: String,
    pub error: Option<String>,
    // --- the original MarchProxy client's fields --------------------------------------------
    pub config_id: i64,
    pub config_name: String,
    /// `success` or `failed`.
    pub test_status: String,
    /// What the stored config fails of the current validation (empty when valid).
    pub validation_errors: Vec<String>,
    pub connectivity_test: ConnectivityTest,
}

/// The connection check of a test: a TCP connection to the endpoint, and the span when sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConnectivityTest {
    pub success: bool,
    pub endpoint: String,
    pub latency_ms: f64,
    /// Whether a test span was sent (`send_test_span`, default true).
    pub span_sent: bool,
    pub error: Option<String>,
    /// The original MarchProxy API's names: the config's backend and exporter, and
    /// `reachable` or `unreachable`.
    pub backend: String,
    pub exporter: String,
    pub status: String,
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
/// Test config `id`: validate it, then send one real span through its backend and exporter
/// (`send_span`), or only open a TCP connection to its endpoint (through the outbound policy).
pub async fn run(
    id: i64,
    spec: &TracingConfigSpec,
    policy: &OutboundPolicy,
    authorization: Option<&str>,
    send_span: bool,
) -> TestResult {
    let validation_errors: Vec<String> = match spec.validate() {
        Ok(()) => vec![],
        Err(e) => e.errors.iter().map(|f| format!("{}: {}", loc_text(&f.loc), f.msg)).collect(),
    };
    let (success, latency_ms, trace_id, error) = if send_span {
        let r =
            marchproxy_telemetry::exporter::send_test_span_with(spec, TEST_SPAN_TIMEOUT, policy, authorization).await;
        (r.success, r.latency_ms as f64, r.trace_id, r.error)
    } else {
        let start = std::time::Instant::now();
        let r = match endpoint_host_port(&spec.endpoint) {
            Some((host, port)) => {
                match tokio::time::timeout(TEST_SPAN_TIMEOUT, policy.connect_tcp(&host, port)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(format!("TCP connect to {host}:{port}: {e}")),
                    Err(_) => Err(format!("TCP connect to {host}:{port}: timed out")),
                }
            }
            None => Err("the endpoint has no host and port".to_string()),
        };
        (r.is_ok(), start.elapsed().as_secs_f64() * 1000.0, String::new(), r.err())
    };
    let ok = success && validation_errors.is_empty();
    TestResult {
        success: ok,
        latency_ms,
        backend: spec.backend.as_str().into(),
        exporter: spec.exporter.as_str().into(),
        endpoint: spec.endpoint.clone(),
        trace_id,
        error: error.clone(),
        config_id: id,
        config_name: spec.name.clone(),
        test_status: if ok { "success" } else { "failed" }.into(),
        validation_errors,
        connectivity_test: ConnectivityTest {
            success,
            endpoint: spec.endpoint.clone(),
            latency_ms,
            span_sent: send_span && success,
            error,
            backend: spec.backend.as_str().into(),
            exporter: spec.exporter.as_str().into(),
            status: if success { "reachable" } else { "unreachable" }.into(),
        },
    }
}

fn loc_text(loc: &[serde_json::Value]) -> String {
    loc.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect::<Vec<_>>().join(".")
}

/// `host` and `port` of an endpoint URL (`http(s)://host[:port]/…`, `host:port`).
fn endpoint_host_port(endpoint: &str) -> Option<(String, u16)> {
    let with_scheme = if endpoint.contains("://") { endpoint.to_string() } else { format!("tcp://{endpoint}") };
    let u = url::Url::parse(&with_scheme).ok()?;
    let host = u.host_str()?.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = u.port_or_known_default().or(match u.scheme() {
        "grpc" => Some(80),
        "grpcs" => Some(443),
        _ => None,
    })?;
    Some((host, port))
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
    fn endpoints_give_host_and_port() {
        assert_eq!(endpoint_host_port("http://jaeger:14268/api/traces"), Some(("jaeger".into(), 14268)));
        assert_eq!(endpoint_host_port("https://collector.example.com"), Some(("collector.example.com".into(), 443)));
        assert_eq!(endpoint_host_port("127.0.0.1:4317"), Some(("127.0.0.1".into(), 4317)));
        assert_eq!(endpoint_host_port("http://[::1]:4318"), Some(("::1".into(), 4318)));
        assert_eq!(endpoint_host_port("nonsense"), None);
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
