//! The health monitor probes real sockets and flips endpoints only after the thresholds.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn eventually(app: &ControlPlane, path: &str, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (s, v) = app.get(path).await;
        assert_eq!(s, StatusCode::OK);
        if pred(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not met within {within:?}; last: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn tcp_probes_flip_health_after_thresholds() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = up.local_addr().unwrap().port();
    let accept = tokio::spawn(async move {
        loop {
            let _ = up.accept().await;
        }
    });
    let mut rt = route_example(sid);
    rt["routes"][0]["endpoint"] = json!(format!("http://127.0.0.1:{port}"));
    rt["routes"][1]["endpoint"] = json!("http://127.0.0.1:9");
    rt["health_probe"] = json!({"protocol": "tcp", "interval_seconds": 1, "timeout_seconds": 0, "unhealthy_threshold": 2, "healthy_threshold": 2});
    let (s, e) = app.post("/api/v1/multi-cloud/routes", rt.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "timeout 0 is invalid: {e}");
    rt["health_probe"] = json!({"protocol": "tcp", "interval_seconds": 2, "timeout_seconds": 1, "unhealthy_threshold": 2, "healthy_threshold": 2});
    let (s, t) = app.post("/api/v1/multi-cloud/routes", rt).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let path = format!("/api/v1/multi-cloud/routes/{}/health", t["id"]);

    // Both get probed; the closed port turns unhealthy after two failures, the open one stays healthy.
    let v = eventually(&app, &path, Duration::from_secs(10), |v| {
        v[1]["is_healthy"] == false && v[0]["last_check"].is_string()
    })
    .await;
    assert_eq!(v[0]["is_healthy"], true);
    assert!(v[0]["rtt_ms"].as_f64().unwrap() >= 0.0);
    assert!(v[0]["consecutive_successes"].as_u64().unwrap() >= 1);
    assert!(v[1]["consecutive_failures"].as_u64().unwrap() >= 2);
    assert!(v[1]["last_error"].as_str().unwrap().contains("TCP connect"), "{v}");

    // The healthy endpoint goes away: unhealthy only after two consecutive failures, and
    // within interval × unhealthy_threshold (2 s × 2; refused connections fail at once).
    accept.abort();
    let _ = accept.await;
    let died = Instant::now();
    let v =
        eventually(&app, &path, Duration::from_secs(10), |v| v[0]["consecutive_failures"].as_u64() >= Some(1)).await;
    assert_eq!(v[0]["is_healthy"], true, "a single failure must not flip: {v}");
    eventually(&app, &path, Duration::from_secs(10), |v| v[0]["is_healthy"] == false).await;
    // (Plus the 200 ms the status is polled at and some slack for a loaded machine.)
    let took = died.elapsed();
    assert!(took <= Duration::from_millis(4500), "marked unhealthy {took:?} after it died");

    // It comes back: healthy again after two good probes.
    let back = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let _accept = tokio::spawn(async move {
        loop {
            let _ = back.accept().await;
        }
    });
    let v = eventually(&app, &path, Duration::from_secs(12), |v| v[0]["is_healthy"] == true).await;
    assert!(v[0]["consecutive_successes"].as_u64().unwrap() >= 2);
    assert!(v[0]["last_error"].is_null());
    app.shutdown().await;
}

/// `grpc` probes ask `grpc.health.v1.Health/Check` over h2c: SERVING is healthy, NOT_SERVING
/// and a dead server are not; a refused gRPC service name never reaches the API.
#[tokio::test]
async fn grpc_probes_ask_the_grpc_health_service() {
    let app = ControlPlane::start().await;
    let sid = app.service("rpc", "rpc.example.com").await;
    let mut server = grpc::GrpcServer::start("a").await;
    let mut rt = route_example(sid);
    rt["routes"] = json!([{"provider": "aws", "region": "us-east-1", "endpoint": server.url(), "weight": 100}]);
    rt["health_probe"] =
        json!({"protocol": "grpc", "grpc_service": "bad name!", "interval_seconds": 2, "timeout_seconds": 1});
    let (s, e) = app.post("/api/v1/multi-cloud/routes", rt.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("grpc_service"), "{e}");
    rt["health_probe"] = json!({"protocol": "grpc", "grpc_service": "test.Echo", "interval_seconds": 2, "timeout_seconds": 1,
                               "unhealthy_threshold": 1, "healthy_threshold": 1});
    let (s, t) = app.post("/api/v1/multi-cloud/routes", rt).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let path = format!("/api/v1/multi-cloud/routes/{}/health", t["id"]);
    let calls = server.calls.load(std::sync::atomic::Ordering::Relaxed);
    let v = eventually(&app, &path, Duration::from_secs(10), |v| v[0]["last_check"].is_string()).await;
    assert_eq!(v[0]["is_healthy"], true, "{v}");
    assert!(server.calls.load(std::sync::atomic::Ordering::Relaxed) > calls, "the server was asked");

    server.serving.store(false, std::sync::atomic::Ordering::Relaxed);
    let v = eventually(&app, &path, Duration::from_secs(10), |v| v[0]["is_healthy"] == false).await;
    assert_eq!(v[0]["last_error"], "NOT_SERVING", "{v}");

    server.serving.store(true, std::sync::atomic::Ordering::Relaxed);
    eventually(&app, &path, Duration::from_secs(10), |v| v[0]["is_healthy"] == true).await;
    server.kill();
    let v = eventually(&app, &path, Duration::from_secs(10), |v| v[0]["is_healthy"] == false).await;
    assert!(v[0]["last_error"].as_str().unwrap().contains("TCP connect"), "{v}");
    app.shutdown().await;
}
