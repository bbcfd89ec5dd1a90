//! Span search merges the embedded store with Jaeger and Zipkin query APIs (fakes that
//! answer in those APIs' formats), reports a failing backend, and the store feeds the
//! dependency graph and latency histograms.

mod common;

use axum::Json;
use axum::extract::Query;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn serve(app: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    url
}

async fn jaeger(Query(q): Query<std::collections::HashMap<String, String>>) -> Json<Value> {
    assert_eq!(q.get("service").map(String::as_str), Some("checkout"));
    Json(json!({"data": [{
        "traceID": "aaaabbbbccccddddeeeeffff00001111",
        "spans": [{
            "traceID": "aaaabbbbccccddddeeeeffff00001111", "spanID": "1111222233334444", "operationName": "GET /cart",
            "references": [], "startTime": 1_700_000_000_000_000i64, "duration": 12_000, "processID": "p1",
            "tags": [{"key": "span.kind", "type": "string", "value": "server"}, {"key": "error", "type": "bool", "value": true}]
        }],
        "processes": {"p1": {"serviceName": "checkout"}}
    }]}))
}

async fn zipkin(Query(q): Query<std::collections::HashMap<String, String>>) -> Json<Value> {
    assert_eq!(q.get("serviceName").map(String::as_str), Some("checkout"));
    Json(json!([[{
        "traceId": "99998888777766665555444433332222", "id": "aaaa000011112222", "name": "post /pay", "kind": "CLIENT",
        "timestamp": 1_700_000_001_000_000i64, "duration": 3_000, "localEndpoint": {"serviceName": "checkout"}, "tags": {"http.status_code": "200"}
    }]]))
}

#[tokio::test]
async fn search_merges_jaeger_and_zipkin_and_reports_failures() {
    let app = ControlPlane::start().await;
    let j = serve(axum::Router::new().route("/api/traces", axum::routing::get(jaeger))).await;
    let z = serve(axum::Router::new().route("/api/v2/traces", axum::routing::get(zipkin))).await;
    let broken = serve(axum::Router::new().route(
        "/api/traces",
        axum::routing::get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "storage down") }),
    ))
    .await;
    for (name, backend, exporter, url) in
        [("jaeger", "jaeger", "http", j), ("zipkin", "zipkin", "http", z), ("broken", "jaeger", "grpc", broken)]
    {
        let mut t = tracing_example();
        t["name"] = json!(name);
        t["backend"] = json!(backend);
        t["exporter"] = json!(exporter);
        t["query_url"] = json!(url);
        let (s, b) = app.post("/api/v1/observability/tracing", t).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, r) = app.get("/api/v1/observability/spans/search?service=checkout").await;
    assert_eq!(s, StatusCode::OK);
    let sources: Vec<&str> = r["spans"].as_array().unwrap().iter().map(|s| s["source"].as_str().unwrap()).collect();
    assert!(sources.contains(&"jaeger:jaeger") && sources.contains(&"zipkin:zipkin"), "{r}");
    assert_eq!(r["total"], 2);
    let jspan = r["spans"].as_array().unwrap().iter().find(|s| s["source"] == "jaeger:jaeger").unwrap();
    assert_eq!(
        (jspan["status"].as_str(), jspan["duration_ms"].as_f64(), jspan["kind"].as_str()),
        (Some("error"), Some(12.0), Some("server"))
    );
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{r}");
    assert_eq!(errors[0]["source"], "jaeger:broken");
    // The status, never the backend's body.
    assert_eq!(errors[0]["error"], "jaeger:broken: HTTP 500 Internal Server Error");
    // Our filters apply to backend results too.
    let (_, r) = app.get("/api/v1/observability/spans/search?service=checkout&has_error=false").await;
    assert_eq!(r["total"], 1);
    assert_eq!(r["spans"][0]["source"], "zipkin:zipkin");
    app.shutdown().await;
}

#[tokio::test]
async fn stored_spans_feed_dependencies_and_latency_histograms() {
    let app = ControlPlane::start().await;
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let mut spans = vec![];
    for i in 0..10i64 {
        let start = now - 1_000_000_000 + i * 1000;
        spans.push(json!({"traceId": format!("{:032x}", i + 1), "spanId": format!("{:016x}", i + 100), "name": "GET", "kind": 3,
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + (i + 1) * 1_000_000).to_string(),
            "attributes": [{"key": "marchproxy.service", "value": {"stringValue": "payments"}}],
            "status": {"code": if i == 9 { 2 } else { 0 }}}));
    }
    let body = json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "edge"}}]}, "scopeSpans": [{"spans": spans}]}]});
    let resp = app.export_spans(&body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, g) = app.get("/api/v1/observability/dependencies").await;
    assert_eq!(g["edges"], json!([{"parent": "edge", "child": "payments", "call_count": 10, "error_count": 1}]), "{g}");
    assert_eq!(g["nodes"].as_array().unwrap().len(), 2);
    let (s, h) = app.get("/api/v1/observability/latency?service=edge").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["count"], 10);
    assert_eq!(h["p50_ms"], 6.0);
    assert_eq!(h["p99_ms"], 10.0);
    let le5: i64 = h["buckets"].as_array().unwrap().iter().take(3).map(|b| b["count"].as_i64().unwrap()).sum();
    assert_eq!(le5, 5, "{h}");
    let (s, _) = app.get("/api/v1/observability/latency?hours=0").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    app.shutdown().await;
}

/// Span names longer than the store's columns are cut, not rejected (PostgreSQL's VARCHAR
/// columns would otherwise fail the whole batch there and only there).
#[tokio::test]
async fn overlong_service_and_operation_names_are_stored_cut() {
    let app = ControlPlane::start().await;
    let service = "s".repeat(400);
    let operation = "é".repeat(1000);
    let start = chrono::Utc::now().timestamp_nanos_opt().unwrap() - 1_000_000_000;
    let span = json!({"traceId": "0123456789abcdef0123456789abcdef", "spanId": "0123456789abcdef", "name": operation,
        "kind": 2, "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 5_000_000).to_string()});
    let body = json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"spans": [span]}]}]});
    let resp = app.export_spans(&body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let (s, r) = app.get(&format!("/api/v1/observability/spans/search?service={}", "s".repeat(100))).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let spans = r["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 1, "{r}");
    assert_eq!(spans[0]["operation"].as_str().unwrap().chars().count(), 255);
    app.shutdown().await;
}
