//! End-to-end export tests against fake receivers that decode the real wire formats.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Behaviour, spec};
use marchproxy_outbound::OutboundPolicy;
use marchproxy_telemetry::exporter::{PipelineOptions, TransportKind, send_test_span_with_timeout};
use marchproxy_telemetry::span::{AttrValue, SpanData, SpanKind, SpanStatus, new_trace_id};
use marchproxy_telemetry::{ExportPipeline, Resource};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind as PKind;

fn fast_opts() -> PipelineOptions {
    PipelineOptions {
        batch_timeout: Duration::from_millis(50),
        request_timeout: Duration::from_secs(2),
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        ..PipelineOptions::default()
    }
}

/// A server span with a client child, as the proxy produces per request.
fn request_spans(resource: &Arc<Resource>, failed: bool) -> (SpanData, SpanData) {
    let trace = new_trace_id();
    let mut server = SpanData::start(trace, None, "GET /api", SpanKind::Server, resource.clone());
    server.set_attr("http.request.method", "GET");
    server.set_attr("http.response.status_code", if failed { 502i64 } else { 200 });
    server.set_attr("marchproxy.qos.delay_ms", 1.5);
    server.set_attr("marchproxy.retried", false);
    let mut client = SpanData::start(trace, Some(server.span_id), "upstream", SpanKind::Client, resource.clone());
    client.set_attr("server.address", "10.0.0.1");
    client.end_unix_nanos = client.start_unix_nanos + 2_000_000;
    server.end_unix_nanos = server.start_unix_nanos + 3_000_000;
    if failed {
        server.status = SpanStatus::Error("upstream connect error".into());
    }
    (server, client)
}

fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    kvs.iter().find(|k| k.key == key).and_then(|k| k.value.as_ref()?.value.as_ref())
}

#[tokio::test]
async fn otlp_http_protobuf_reaches_receiver() {
    let (addr, rx) = common::otlp_http(Behaviour::default()).await;
    let p = ExportPipeline::with_options(&spec("otlp", "http", &format!("http://{addr}")), fast_opts()).unwrap();
    assert_eq!(p.transport_kind(), TransportKind::OtlpHttp);
    assert_eq!(p.url(), format!("http://{addr}/v1/traces"));
    let (server, client) = request_spans(p.resource(), true);
    assert!(p.push(server.clone()));
    assert!(p.push(client.clone()));
    p.flush().await;

    let reqs = rx.items();
    assert_eq!(reqs.len(), 1);
    assert_eq!(rx.content_types.lock().unwrap()[0], "application/x-protobuf");
    let rs = &reqs[0].resource_spans[0];
    let res = &rs.resource.as_ref().unwrap().attributes;
    assert_eq!(attr(res, "service.name"), Some(&Value::StringValue("edge-proxy".into())));
    assert_eq!(attr(res, "env"), Some(&Value::StringValue("test".into())));
    assert_eq!(attr(res, "region"), Some(&Value::StringValue("eu-1".into())));
    let spans = &rs.scope_spans[0].spans;
    assert_eq!(spans.len(), 2);
    let s = &spans[0];
    assert_eq!(s.trace_id, server.trace_id.to_vec());
    assert_eq!(s.span_id, server.span_id.to_vec());
    assert!(s.parent_span_id.is_empty());
    assert_eq!(s.kind, PKind::Server as i32);
    assert_eq!(s.name, "GET /api");
    assert_eq!(s.end_time_unix_nano - s.start_time_unix_nano, 3_000_000);
    assert_eq!(attr(&s.attributes, "http.response.status_code"), Some(&Value::IntValue(502)));
    assert_eq!(attr(&s.attributes, "marchproxy.qos.delay_ms"), Some(&Value::DoubleValue(1.5)));
    assert_eq!(attr(&s.attributes, "marchproxy.retried"), Some(&Value::BoolValue(false)));
    let st = s.status.as_ref().unwrap();
    assert_eq!((st.code, st.message.as_str()), (2, "upstream connect error"));
    let c = &spans[1];
    assert_eq!(c.kind, PKind::Client as i32);
    assert_eq!(c.parent_span_id, server.span_id.to_vec());

    let stats = p.stats();
    assert_eq!((stats.spans_enqueued, stats.spans_exported, stats.spans_dropped, stats.export_errors), (2, 2, 0, 0));
    assert!(stats.last_export_at_ms.is_some());
    assert!((stats.avg_span_duration_ms - 2.5).abs() < 1e-9);
    p.shutdown().await;
}

/// The credential of a receiver that requires one (the control plane's) is sent only when
/// configured, on every HTTP export and on the test span, and never appears in `Debug`.
#[tokio::test]
async fn an_authorization_header_is_sent_only_when_configured() {
    let (addr, rx) = common::otlp_http(Behaviour::default()).await;
    let endpoint = format!("http://{addr}");
    let plain = ExportPipeline::with_options(&spec("otlp", "http", &endpoint), fast_opts()).unwrap();
    let opts = PipelineOptions { authorization: Some("Bearer mpk_secret".into()), ..fast_opts() };
    assert!(!format!("{opts:?}").contains("mpk_secret"), "{opts:?}");
    let authed = ExportPipeline::with_options(&spec("otlp", "http", &endpoint), opts).unwrap();
    assert!(!format!("{authed:?}").contains("mpk_secret"));
    let (s, _) = request_spans(plain.resource(), false);
    assert!(plain.push(s.clone()));
    plain.flush().await;
    assert!(authed.push(s));
    authed.flush().await;
    let r = marchproxy_telemetry::exporter::send_test_span_with(
        &spec("otlp", "http", &endpoint),
        Duration::from_secs(2),
        &OutboundPolicy::default(),
        Some("Bearer mpk_test"),
    )
    .await;
    assert!(r.success, "{r:?}");
    assert_eq!(
        *rx.authorizations.lock().unwrap(),
        vec![None, Some("Bearer mpk_secret".to_string()), Some("Bearer mpk_test".to_string())]
    );
    // A value that cannot be a header is a configuration error, not a panic.
    let bad = PipelineOptions { authorization: Some("Bearer a\nb".into()), ..fast_opts() };
    assert!(ExportPipeline::with_options(&spec("otlp", "http", &endpoint), bad).is_err());
}

#[tokio::test]
async fn otlp_grpc_reaches_tonic_receiver() {
    let (addr, rx) = common::otlp_grpc(None).await;
    // Jaeger with exporter grpc speaks OTLP/gRPC too.
    let p = ExportPipeline::with_options(&spec("jaeger", "grpc", &format!("http://{addr}")), fast_opts()).unwrap();
    assert_eq!(p.transport_kind(), TransportKind::OtlpGrpc);
    let (server, client) = request_spans(p.resource(), false);
    p.push(server.clone());
    p.push(client);
    p.flush().await;
    let reqs = rx.items();
    assert_eq!(reqs.len(), 1);
    let rs = &reqs[0].resource_spans[0];
    assert_eq!(
        attr(&rs.resource.as_ref().unwrap().attributes, "service.name"),
        Some(&Value::StringValue("edge-proxy".into()))
    );
    let spans = &rs.scope_spans[0].spans;
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].trace_id, server.trace_id.to_vec());
    assert_eq!(spans[1].trace_id, server.trace_id.to_vec());
    assert_eq!(p.stats().spans_exported, 2);
    p.shutdown().await;
}

#[tokio::test]
async fn zipkin_v2_json_reaches_receiver() {
    let (addr, rx) = common::zipkin(Behaviour::default()).await;
    let p = ExportPipeline::with_options(&spec("zipkin", "http", &format!("http://{addr}")), fast_opts()).unwrap();
    assert_eq!(p.url(), format!("http://{addr}/api/v2/spans"));
    let (server, client) = request_spans(p.resource(), true);
    p.push(server.clone());
    p.push(client.clone());
    p.flush().await;
    let bodies = rx.items();
    assert_eq!(bodies.len(), 1);
    assert_eq!(rx.content_types.lock().unwrap()[0], "application/json");
    let arr = bodies[0].as_array().unwrap();
    assert_eq!(arr.len(), 2);
    let s = &arr[0];
    assert_eq!(s["traceId"], hex::encode(server.trace_id));
    assert_eq!(s["id"], hex::encode(server.span_id));
    assert!(s.get("parentId").is_none());
    assert_eq!(s["kind"], "SERVER");
    assert_eq!(s["name"], "GET /api");
    assert_eq!(s["timestamp"], server.start_unix_nanos / 1000);
    assert_eq!(s["duration"], 3000);
    assert_eq!(s["localEndpoint"]["serviceName"], "edge-proxy");
    assert_eq!(s["tags"]["http.response.status_code"], "502");
    assert_eq!(s["tags"]["marchproxy.retried"], "false");
    assert_eq!(s["tags"]["env"], "test");
    assert_eq!(s["tags"]["error"], "upstream connect error");
    let c = &arr[1];
    assert_eq!(c["kind"], "CLIENT");
    assert_eq!(c["parentId"], hex::encode(server.span_id));
    assert!(c["tags"].get("error").is_none());
    p.shutdown().await;
}

#[tokio::test]
async fn jaeger_thrift_reaches_collector() {
    let (addr, rx) = common::jaeger_thrift(Behaviour::default()).await;
    let p = ExportPipeline::with_options(&spec("jaeger", "thrift", &format!("http://{addr}")), fast_opts()).unwrap();
    assert_eq!(p.url(), format!("http://{addr}/api/traces"));
    let (server, client) = request_spans(p.resource(), true);
    p.push(server.clone());
    p.push(client.clone());
    p.flush().await;
    let batches = rx.items();
    assert_eq!(batches.len(), 1);
    assert_eq!(rx.content_types.lock().unwrap()[0], "application/x-thrift");
    let b = &batches[0];
    assert_eq!(b.process.service_name, "edge-proxy");
    assert_eq!(b.process.tags.len(), 2);
    assert_eq!(b.spans.len(), 2);
    let s = &b.spans[0];
    assert_eq!(s.trace_id(), server.trace_id);
    assert_eq!(s.span_id, i64::from_be_bytes(server.span_id));
    assert_eq!(s.parent_span_id, 0);
    assert_eq!(s.operation_name, "GET /api");
    assert_eq!(s.duration, 3000);
    use marchproxy_telemetry::encode::jaeger::JaegerTagValue as T;
    assert_eq!(s.tag("http.response.status_code"), Some(&T::Long(502)));
    assert_eq!(s.tag("span.kind"), Some(&T::Str("server".into())));
    assert_eq!(s.tag("error"), Some(&T::Bool(true)));
    let c = &b.spans[1];
    assert_eq!(c.parent_span_id, i64::from_be_bytes(server.span_id));
    assert_eq!(c.tag("span.kind"), Some(&T::Str("client".into())));
    p.shutdown().await;
}

#[tokio::test]
async fn batches_by_size_and_truncates_attributes() {
    let (addr, rx) = common::otlp_http(Behaviour::default()).await;
    let mut s = spec("otlp", "http", &format!("http://{addr}/v1/traces"));
    s.max_attribute_length = 16;
    let opts = PipelineOptions { max_batch_size: 100, batch_timeout: Duration::from_secs(30), ..fast_opts() };
    let p = ExportPipeline::with_options(&s, opts).unwrap();
    for i in 0..250 {
        let mut sp = SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone());
        sp.set_attr("long", format!("{i:04}-{}", "é".repeat(40)));
        assert!(p.push(sp));
    }
    // Two full batches go out without waiting for the (30 s) timer.
    let t = Instant::now();
    while rx.items().len() < 2 && t.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sizes: Vec<usize> = rx.items().iter().map(|r| r.resource_spans[0].scope_spans[0].spans.len()).collect();
    assert_eq!(sizes, vec![100, 100]);
    p.shutdown().await;
    let reqs = rx.items();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].resource_spans[0].scope_spans[0].spans.len(), 50);
    let first = &reqs[0].resource_spans[0].scope_spans[0].spans[0];
    // "0000-" is 5 bytes, then 2-byte chars: 16 bytes allow 5 of them (15 bytes).
    assert_eq!(attr(&first.attributes, "long"), Some(&Value::StringValue(format!("0000-{}", "é".repeat(5)))));
    assert_eq!(p.stats().spans_exported, 250);
    // After shutdown, pushes are dropped and counted.
    assert!(!p.push(SpanData::start(new_trace_id(), None, "late", SpanKind::Server, p.resource().clone())));
    assert_eq!(p.stats().spans_dropped, 1);
}

#[tokio::test]
async fn batches_by_time() {
    let (addr, rx) = common::zipkin(Behaviour::default()).await;
    let opts = PipelineOptions { batch_timeout: Duration::from_millis(100), ..fast_opts() };
    let p = ExportPipeline::with_options(&spec("zipkin", "http", &format!("http://{addr}/")), opts).unwrap();
    p.push(SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone()));
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(rx.count(), 0, "sent before the batch timeout");
    let t = Instant::now();
    while rx.count() == 0 && t.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rx.count(), 1);
    p.shutdown().await;
}

#[tokio::test]
async fn backend_down_drops_and_counts() {
    let addr = common::closed_port().await;
    let p = ExportPipeline::with_options(&spec("otlp", "http", &format!("http://{addr}")), fast_opts()).unwrap();
    for _ in 0..10 {
        assert!(p.push(SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone())));
    }
    p.flush().await;
    let st = p.stats();
    assert_eq!(st.spans_exported, 0);
    assert_eq!(st.spans_dropped, 10);
    assert_eq!(st.export_errors, 3, "three attempts");
    let err = st.last_export_error.unwrap();
    assert!(err.contains("transport error"), "{err}");
    assert!(st.last_error_at_ms.is_some());
    assert!(st.last_export_at_ms.is_none());

    // Same over gRPC.
    let p = ExportPipeline::with_options(&spec("otlp", "grpc", &format!("http://{addr}")), fast_opts()).unwrap();
    p.push(SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone()));
    p.flush().await;
    let st = p.stats();
    assert_eq!((st.spans_dropped, st.export_errors), (1, 3));
    assert!(st.last_export_error.unwrap().contains("Unavailable"));
}

#[tokio::test]
async fn retries_with_backoff_then_succeeds() {
    let (addr, rx) = common::jaeger_thrift(Behaviour { fail_first: 2, ..Behaviour::default() }).await;
    let p = ExportPipeline::with_options(&spec("jaeger", "thrift", &format!("http://{addr}")), fast_opts()).unwrap();
    p.push(SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone()));
    p.flush().await;
    let st = p.stats();
    assert_eq!(rx.count(), 3);
    assert_eq!((st.spans_exported, st.spans_dropped, st.export_errors), (1, 0, 2));
    assert!(st.last_export_error.unwrap().contains("HTTP 503"));
}

#[tokio::test]
async fn permanent_errors_are_not_retried() {
    let (addr, rx) = common::otlp_http(Behaviour { fail_first: 100, fail_status: 400, ..Behaviour::default() }).await;
    let p = ExportPipeline::with_options(&spec("otlp", "http", &format!("http://{addr}")), fast_opts()).unwrap();
    p.push(SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone()));
    p.flush().await;
    assert_eq!(rx.count(), 1);
    let st = p.stats();
    assert_eq!((st.spans_dropped, st.export_errors), (1, 1));
    // The status, never the backend's body.
    let err = st.last_export_error.unwrap();
    assert_eq!(err, "HTTP 400 Bad Request");

    let (addr, rx) = common::otlp_grpc(Some(tonic::Code::InvalidArgument)).await;
    let p = ExportPipeline::with_options(&spec("otlp", "grpc", &format!("http://{addr}")), fast_opts()).unwrap();
    p.push(SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone()));
    p.flush().await;
    assert_eq!(rx.count(), 1);
    // The code, never the backend's own message.
    let err = p.stats().last_export_error.unwrap();
    assert!(err.contains("InvalidArgument") && !err.contains("collector says no"), "{err}");
}

#[tokio::test]
async fn queue_is_bounded_and_push_never_blocks() {
    // A slow backend keeps the worker busy while the queue fills.
    let (addr, rx) = common::otlp_http(Behaviour { delay: Duration::from_millis(500), ..Behaviour::default() }).await;
    let opts = PipelineOptions { queue_capacity: 100, batch_timeout: Duration::from_millis(1), ..fast_opts() };
    let p = ExportPipeline::with_options(&spec("otlp", "http", &format!("http://{addr}")), opts).unwrap();
    let span = SpanData::start(new_trace_id(), None, "op", SpanKind::Server, p.resource().clone());
    assert!(p.push(span.clone()));
    // Wait until the worker is inside the (slow) export.
    let t = Instant::now();
    while rx.count() == 0 && t.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t = Instant::now();
    let accepted = (0..1000).filter(|_| p.push(span.clone())).count();
    assert!(t.elapsed() < Duration::from_millis(200), "push blocked: {:?}", t.elapsed());
    assert_eq!(accepted, 100);
    assert_eq!(p.stats().spans_dropped, 900);
    p.shutdown().await;
    let st = p.stats();
    assert_eq!(st.spans_exported, 101);
    assert_eq!(st.spans_enqueued, 101);
    assert_eq!(st.spans_dropped, 900);
}

#[tokio::test]
async fn test_span_success_and_failures() {
    let (addr, rx) = common::otlp_http(Behaviour::default()).await;
    let r = send_test_span(&spec("otlp", "http", &format!("http://{addr}"))).await;
    assert!(r.success, "{r:?}");
    assert_eq!(r.error, None);
    let reqs = rx.items();
    let s = &reqs[0].resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(hex::encode(&s.trace_id), r.trace_id);
    assert_eq!(attr(&s.attributes, "marchproxy.test"), Some(&Value::BoolValue(true)));

    for (backend, exporter) in [("jaeger", "grpc"), ("otlp", "grpc")] {
        let (addr, rx) = common::otlp_grpc(None).await;
        let r = send_test_span(&spec(backend, exporter, &format!("http://{addr}"))).await;
        assert!(r.success, "{r:?}");
        assert_eq!(rx.count(), 1);
    }
    let (addr, rx) = common::zipkin(Behaviour::default()).await;
    assert!(send_test_span(&spec("zipkin", "http", &format!("http://{addr}"))).await.success);
    assert_eq!(rx.items()[0][0]["traceId"].as_str().unwrap().len(), 32);
    let (addr, rx) = common::jaeger_thrift(Behaviour::default()).await;
    let r = send_test_span(&spec("jaeger", "thrift", &format!("http://{addr}"))).await;
    assert!(r.success);
    assert_eq!(hex::encode(rx.items()[0].spans[0].trace_id()), r.trace_id);

    // The backend's status comes back, its body does not.
    let (addr, _) = common::zipkin(Behaviour { fail_first: 1, fail_status: 500, ..Behaviour::default() }).await;
    let r = send_test_span(&spec("zipkin", "http", &format!("http://{addr}"))).await;
    assert!(!r.success);
    let e = r.error.unwrap();
    assert!(e.contains("HTTP 500 Internal Server Error") && !e.contains("backend overloaded"), "{e}");

    // Transport errors and gRPC statuses come back.
    let down = common::closed_port().await;
    let r = send_test_span(&spec("otlp", "http", &format!("http://{down}"))).await;
    let e = r.error.unwrap();
    assert!(!r.success && e.starts_with("transport error: connection refused"), "{e}");
    let (addr, _) = common::otlp_grpc(Some(tonic::Code::PermissionDenied)).await;
    let r = send_test_span(&spec("otlp", "grpc", &format!("http://{addr}"))).await;
    let e = r.error.unwrap();
    assert!(e.starts_with("gRPC PermissionDenied") && !e.contains("collector says no"), "{e}");

    // Timeout.
    let (addr, _) = common::otlp_http(Behaviour { delay: Duration::from_secs(3), ..Behaviour::default() }).await;
    let r = send_test_span_with_timeout(
        &spec("otlp", "http", &format!("http://{addr}")),
        Duration::from_millis(200),
        &OutboundPolicy::default(),
    )
    .await;
    assert!(!r.success);
    assert!(r.latency_ms < 2000);
    assert!(r.error.is_some());

    // Impossible combination.
    let r = send_test_span(&spec("zipkin", "thrift", "http://127.0.0.1:1")).await;
    assert_eq!(r.error.as_deref(), Some("backend `zipkin` does not support exporter `thrift`"));
}

async fn send_test_span(
    spec: &marchproxy_model::tracing_config::TracingConfigSpec,
) -> marchproxy_telemetry::TestSpanResult {
    marchproxy_telemetry::send_test_span(spec, &OutboundPolicy::default()).await
}

#[test]
fn attr_value_text() {
    assert_eq!(AttrValue::Int(5).to_text(), "5");
    assert_eq!(AttrValue::Bool(true).to_text(), "true");
}
