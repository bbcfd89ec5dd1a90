//! The control plane's outbound requests obey the outbound policy, through the API: health
//! probes, span search in query backends and test spans refuse link-local and metadata
//! targets at once, do not follow redirects, never echo a backend's body, and the private
//! switch (`MARCHPROXY_OUTBOUND_ALLOW_PRIVATE`) works both ways.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A local server counting its requests and answering each `status` with `body` (and a
/// `location` when given).
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

/// A TCP listener counting the connections it accepts.
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok(_c) = l.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, hits)
}

async fn add_query_backend(app: &ControlPlane, name: &str, query_url: &str) {
    let mut t = tracing_example();
    t["name"] = json!(name);
    t["query_url"] = json!(query_url);
    let (s, b) = app.post("/api/v1/observability/tracing", t).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// The search errors by source.
async fn search_errors(app: &ControlPlane) -> Vec<(String, String)> {
    let (s, r) = app.get("/api/v1/observability/spans/search?service=checkout").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["source"].as_str().unwrap().to_string(), e["error"].as_str().unwrap().to_string()))
        .collect()
}

async fn test_span(app: &ControlPlane, endpoint: &str) -> Value {
    let mut cfg = tracing_example();
    cfg["name"] = json!(format!("test {endpoint}"));
    cfg["backend"] = json!("otlp");
    cfg["endpoint"] = json!(endpoint);
    let (s, c) = app.post("/api/v1/observability/tracing", cfg).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, r) = app.post(&format!("/api/v1/observability/tracing/{}/test", c["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

#[tokio::test]
async fn span_search_refuses_metadata_ignores_redirects_and_never_echoes_bodies() {
    let app = ControlPlane::start().await;
    let (target, target_hits) = answering(200, json!({"data": []}).to_string(), None).await;
    let (redirector, _) = answering(302, String::new(), Some(format!("{target}/api/traces"))).await;
    let secret = format!("SECRET-{}", "s".repeat(4000));
    let (leaky, leaky_hits) = answering(500, secret, None).await;
    add_query_backend(&app, "imds", "http://169.254.169.254").await;
    add_query_backend(&app, "linklocal", "http://[fe80::1]:16686").await;
    add_query_backend(&app, "gce", "http://metadata.google.internal").await;
    add_query_backend(&app, "redirecting", &redirector).await;
    add_query_backend(&app, "leaky", &leaky).await;

    let started = Instant::now();
    let mut errors = search_errors(&app).await;
    // Nothing answers 169.254.169.254 here: a connection attempt would take the 5 s backend
    // timeout; a refusal is immediate.
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    errors.sort();
    let expected = [
        (
            "jaeger:gce",
            "jaeger:gce: refused by outbound policy: metadata.google.internal is a cloud metadata host name",
        ),
        ("jaeger:imds", "jaeger:imds: refused by outbound policy: 169.254.169.254 is a cloud metadata address"),
        ("jaeger:leaky", "jaeger:leaky: HTTP 500 Internal Server Error"),
        ("jaeger:linklocal", "jaeger:linklocal: refused by outbound policy: fe80::1 is a link-local address"),
        ("jaeger:redirecting", "jaeger:redirecting: HTTP 302 Found (redirects are not followed)"),
    ];
    let got: Vec<(&str, &str)> = errors.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(got, expected);
    assert_eq!(target_hits.load(Ordering::SeqCst), 0, "the redirect was followed");
    assert_eq!(leaky_hits.load(Ordering::SeqCst), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn test_spans_refuse_link_local_and_metadata_and_never_echo_bodies() {
    let app = ControlPlane::start().await;
    for (endpoint, says) in [
        ("http://169.254.169.254:4318", "169.254.169.254 is a cloud metadata address"),
        ("http://169.254.10.10:4318", "169.254.10.10 is a link-local address"),
        ("http://100.100.100.200", "100.100.100.200 is a cloud metadata address"),
        ("http://[fd00:ec2::254]", "fd00:ec2::254 is a cloud metadata address"),
    ] {
        let started = Instant::now();
        let r = test_span(&app, endpoint).await;
        assert_eq!(r["success"], false);
        assert_eq!(r["error"].as_str().unwrap(), format!("refused by outbound policy: {says}"), "{r}");
        assert!(started.elapsed() < Duration::from_secs(2), "{endpoint}: not refused at once");
    }
    let (leaky, hits) = answering(401, format!("SECRET-TOKEN {}", "t".repeat(4000)), None).await;
    let r = test_span(&app, &leaky).await;
    let e = r["error"].as_str().unwrap();
    assert!(e.starts_with("HTTP 401 Unauthorized") && !e.contains("SECRET") && e.chars().count() <= 300, "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    app.shutdown().await;
}

async fn eventually_health(app: &ControlPlane, table: &Value, pred: impl Fn(&Value) -> bool) -> Value {
    let path = format!("/api/v1/multi-cloud/routes/{}/health", table["id"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, v) = app.get(&path).await;
        assert_eq!(s, StatusCode::OK);
        if pred(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not met; last: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn route_table(app: &ControlPlane, protocol: &str, endpoints: [&str; 2]) -> Value {
    let sid = app.service("web", &format!("web-{}.example.com", rand_suffix())).await;
    let mut rt = route_example(sid);
    rt["name"] = json!(format!("probe {protocol} {}", endpoints[0]));
    rt["routes"][0]["endpoint"] = json!(endpoints[0]);
    rt["routes"][1]["endpoint"] = json!(endpoints[1]);
    rt["health_probe"] = json!({"protocol": protocol, "path": "/", "interval_seconds": 2, "timeout_seconds": 1,
        "unhealthy_threshold": 1, "healthy_threshold": 1});
    let (s, t) = app.post("/api/v1/multi-cloud/routes", rt).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t
}

fn rand_suffix() -> String {
    format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
}

#[tokio::test]
async fn health_probes_refuse_metadata_and_store_summaries() {
    let app = ControlPlane::start().await;
    let t = route_table(&app, "http", ["http://169.254.169.254:80", "http://[fe80::1]:80"]).await;
    let v = eventually_health(&app, &t, |v| v[0]["last_error"].is_string() && v[1]["last_error"].is_string()).await;
    assert_eq!(v[0]["last_error"], "refused by outbound policy: 169.254.169.254 is a cloud metadata address");
    assert_eq!(v[1]["last_error"], "refused by outbound policy: fe80::1 is a link-local address");
    app.shutdown().await;
}

#[tokio::test]
async fn private_ranges_can_be_refused() {
    let mut cfg = config().await;
    cfg.outbound.allow_private = false;
    let app = ControlPlane::start_with(cfg).await;
    let (port, hits) = counting_listener().await;
    let t = route_table(&app, "tcp", [&format!("http://127.0.0.1:{port}"), &format!("http://localhost:{port}")]).await;
    let v = eventually_health(&app, &t, |v| v[0]["last_error"].is_string() && v[1]["last_error"].is_string()).await;
    let (e0, e1) = (v[0]["last_error"].as_str().unwrap(), v[1]["last_error"].as_str().unwrap());
    assert!(e0.contains("127.0.0.1 is a loopback address and private ranges are not allowed"), "{e0}");
    assert!(e1.contains("localhost resolves to") && e1.contains("private ranges are not allowed"), "{e1}");
    // The control plane's own receiver, on loopback: refused too.
    let r = test_span(&app, &app.base.clone()).await;
    assert!(r["error"].as_str().unwrap().contains("a loopback address and private ranges are not allowed"), "{r}");
    add_query_backend(&app, "local", &format!("http://127.0.0.1:{port}")).await;
    let errors = search_errors(&app).await;
    assert!(errors[0].1.contains("private ranges are not allowed"), "{errors:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a refused target was contacted");
    app.shutdown().await;

    // The default allows them: the same probe connects.
    let app = ControlPlane::start().await;
    let t = route_table(&app, "tcp", [&format!("http://127.0.0.1:{port}"), &format!("http://localhost:{port}")]).await;
    let v = eventually_health(&app, &t, |v| v[0]["last_check"].is_string() && v[1]["last_check"].is_string()).await;
    assert!(v[0]["last_error"].is_null() && v[1]["last_error"].is_null(), "{v}");
    assert!(hits.load(Ordering::SeqCst) >= 2);
    app.shutdown().await;
}
