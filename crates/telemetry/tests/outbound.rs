//! Exporters and test spans obey the outbound policy: refused targets (literal, or a name
//! that resolves to a refused address) fail at once and are never contacted, redirects are
//! not followed, and a backend's error body never comes back.

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Behaviour, spec};
use marchproxy_outbound::OutboundPolicy;
use marchproxy_telemetry::exporter::{ConfigError, PipelineOptions};
use marchproxy_telemetry::span::{SpanData, SpanKind, new_trace_id};
use marchproxy_telemetry::{ExportPipeline, send_test_span};

const METADATA: [u8; 4] = [169, 254, 169, 254];

fn opts(outbound: OutboundPolicy) -> PipelineOptions {
    PipelineOptions {
        batch_timeout: Duration::from_millis(50),
        request_timeout: Duration::from_secs(2),
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        outbound,
        ..PipelineOptions::default()
    }
}

/// A local server: every request is counted and answered `status` with `body`, plus a
/// `location` header.
async fn answering(status: u16, body: String, location: Option<String>) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().fallback(move || {
        h.fetch_add(1, Ordering::SeqCst);
        let (body, location) = (body.clone(), location.clone());
        async move {
            let mut r = axum::response::Response::new(axum::body::Body::from(body));
            *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
            if let Some(l) = location {
                r.headers_mut().insert("location", l.parse().unwrap());
            }
            r
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, hits)
}

#[tokio::test]
async fn metadata_addresses_are_refused_at_once_literal_or_resolved() {
    let policy = OutboundPolicy::default().with_host("collector.test", &[IpAddr::from(METADATA)]);
    for (backend, exporter) in [("otlp", "http"), ("otlp", "grpc"), ("zipkin", "http"), ("jaeger", "thrift")] {
        // An address that would hang (nothing answers 169.254.169.254 here): a refusal is
        // immediate, a connection attempt would wait for the timeout.
        let started = Instant::now();
        let r = send_test_span(&spec(backend, exporter, "http://169.254.169.254:4318"), &policy).await;
        assert!(!r.success);
        assert_eq!(
            r.error.as_deref(),
            Some("refused by outbound policy: 169.254.169.254 is a cloud metadata address"),
            "{backend}/{exporter}"
        );
        let r = send_test_span(&spec(backend, exporter, "http://collector.test:4318"), &policy).await;
        let e = r.error.unwrap();
        assert!(
            e.contains(
                "refused by outbound policy: collector.test resolves to 169.254.169.254, a cloud metadata address"
            ),
            "{backend}/{exporter}: {e}"
        );
        let r = send_test_span(&spec(backend, exporter, "http://[fe80::1]:4318"), &policy).await;
        assert!(r.error.unwrap().contains("a link-local address"), "{backend}/{exporter}");
        assert!(started.elapsed() < Duration::from_secs(1), "{backend}/{exporter}: {:?}", started.elapsed());
    }
    // A pipeline towards a literal metadata address is not even built.
    let e = ExportPipeline::with_options(&spec("otlp", "http", "http://169.254.169.254"), opts(policy.clone()));
    assert!(matches!(e, Err(ConfigError::Refused(_))));
    let e = ExportPipeline::with_options(&spec("otlp", "grpc", "metadata.google.internal:4317"), opts(policy));
    assert!(matches!(e, Err(ConfigError::Refused(_))));
}

#[tokio::test]
async fn refused_names_are_never_contacted_and_not_retried() {
    let (http_addr, http_rx) = common::otlp_http(Behaviour::default()).await;
    let (grpc_addr, grpc_rx) = common::otlp_grpc(None).await;
    let loopback = IpAddr::from([127, 0, 0, 1]);
    // Private ranges off: a name resolving to loopback is refused.
    let policy = OutboundPolicy::new(false, vec![], vec![]).with_host("collector.test", &[loopback]);
    for (exporter, port, rx_count) in [
        ("http", http_addr.port(), &(|| http_rx.count()) as &dyn Fn() -> usize),
        ("grpc", grpc_addr.port(), &|| grpc_rx.count()),
    ] {
        let endpoint = format!("http://collector.test:{port}");
        let r = send_test_span(&spec("otlp", exporter, &endpoint), &policy).await;
        let e = r.error.unwrap();
        assert!(e.contains("collector.test resolves to 127.0.0.1, a loopback address"), "{exporter}: {e}");
        let p = ExportPipeline::with_options(&spec("otlp", exporter, &endpoint), opts(policy.clone())).unwrap();
        p.push(SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone()));
        p.flush().await;
        let st = p.stats();
        assert_eq!((st.spans_dropped, st.export_errors), (1, 1), "{exporter}: a refusal is not retried");
        assert!(st.last_export_error.unwrap().contains("refused by outbound policy"));
        assert_eq!(rx_count(), 0, "{exporter}: the collector was contacted");
        // The same collector, allowed: reached.
        let r = send_test_span(
            &spec("otlp", exporter, &endpoint),
            &OutboundPolicy::default().with_host("collector.test", &[loopback]),
        )
        .await;
        assert!(r.success, "{exporter}: {r:?}");
        assert_eq!(rx_count(), 1);
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (target, hits) = answering(200, String::new(), None).await;
    let (redirector, _) = answering(307, String::new(), Some(format!("{target}/api/v2/spans"))).await;
    let r = send_test_span(&spec("zipkin", "http", &format!("{redirector}/api/v2/spans")), &OutboundPolicy::default())
        .await;
    let e = r.error.unwrap();
    assert!(e.starts_with("HTTP 307 Temporary Redirect"), "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
}

#[tokio::test]
async fn error_bodies_are_never_echoed() {
    let secret = format!("SECRET-{}", "x".repeat(5000));
    let (url, hits) = answering(500, secret, None).await;
    let r = send_test_span(&spec("otlp", "http", &url), &OutboundPolicy::default()).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let e = r.error.unwrap();
    assert!(e.starts_with("HTTP 500 Internal Server Error"), "{e}");
    assert!(!e.contains("SECRET") && e.chars().count() <= 300, "{e}");
}
