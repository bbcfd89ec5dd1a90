//! The OTLP receiver (`POST /v1/traces`) under attack: forged spans without a credential,
//! oversized exports, a store that must stay bounded in bytes, and a flood of exports that
//! must not starve the API's writes.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An OTLP/JSON export: `n` spans of `service`, trace ids from `first`, each span with one
/// attribute of `attr_bytes` bytes and the resource with one of `resource_bytes`.
fn export(service: &str, first: u64, n: u64, attr_bytes: usize, resource_bytes: usize) -> Value {
    let start = chrono::Utc::now().timestamp_nanos_opt().unwrap() - 1_000_000_000;
    let spans: Vec<Value> = (first..first + n)
        .map(|i| {
            json!({"traceId": format!("{i:032x}"), "spanId": format!("{i:016x}"), "name": "GET /", "kind": 2,
                "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 1_000_000).to_string(),
                "attributes": [{"key": "pad", "value": {"stringValue": "p".repeat(attr_bytes)}}]})
        })
        .collect();
    let mut resource = vec![json!({"key": "service.name", "value": {"stringValue": service}})];
    if resource_bytes > 0 {
        resource.push(json!({"key": "host.pad", "value": {"stringValue": "r".repeat(resource_bytes)}}));
    }
    json!({"resourceSpans": [{"resource": {"attributes": resource}, "scopeSpans": [{"spans": spans}]}]})
}

async fn stored(app: &ControlPlane, service: &str) -> i64 {
    let (s, r) = app.get(&format!("/api/v1/observability/spans/search?service={service}&limit=1")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r["total"].as_i64().unwrap()
}

async fn post_as(app: &ControlPlane, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
    let mut req = app.http.post(format!("{}/v1/traces", app.base)).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A chunked export (no declared length) over a raw socket; the answer's status and body.
async fn post_chunked(app: &ControlPlane, body: &Value) -> (StatusCode, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.running().addr;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.key
    );
    s.write_all(head.as_bytes()).await.unwrap();
    for c in serde_json::to_vec(body).unwrap().chunks(8192) {
        let mut chunk = format!("{:x}\r\n", c.len()).into_bytes();
        chunk.extend_from_slice(c);
        chunk.extend_from_slice(b"\r\n");
        // The server may answer and close before the whole body is sent.
        if s.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    let status = text.split(' ').nth(1).and_then(|c| c.parse::<u16>().ok()).expect("a status line");
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // The JSON error body (chunked or not): from its first `{` to its last `}`.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) => serde_json::from_str(&body[a..=b]).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (StatusCode::from_u16(status).unwrap(), json)
}

/// The receiver takes spans only from a cluster's proxies: forged spans without the
/// cluster's key, with a wrong one, or with a user's token are refused and not stored.
#[tokio::test]
async fn spans_without_a_cluster_credential_are_refused() {
    let app = ControlPlane::start().await;
    let body = export("forged", 1, 3, 8, 0);
    for token in [None, Some("mpk_not-a-key"), Some(app.token.as_str()), Some("garbage")] {
        let (s, r) = post_as(&app, token, &body).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{token:?}: {r}");
        assert!(r["detail"].as_str().unwrap().contains("cluster API key"), "{r}");
    }
    assert_eq!(stored(&app, "forged").await, 0, "refused spans are not stored");
    // The cluster's key, and the local proxy's token, are accepted.
    let (s, r) = post_as(&app, Some(&app.key), &body).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let local = app.running().state.auth.issue_proxy_token(1);
    let (s, _) = post_as(&app, Some(&local), &export("forged", 10, 2, 8, 0)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(stored(&app, "forged").await, 5);
    app.shutdown().await;
}

/// Each export is bounded: body bytes, spans, attribute bytes per span and in all (a
/// large resource cannot be copied into every span). Beyond: 413 with a reason, nothing
/// stored.
#[tokio::test]
async fn oversized_exports_are_refused_with_413() {
    let mut cfg = config().await;
    cfg.ingest.max_body_bytes = 64 * 1024;
    cfg.ingest.max_spans = 10;
    cfg.ingest.max_span_attribute_bytes = 1024;
    cfg.ingest.max_request_attribute_bytes = 4096;
    let app = ControlPlane::start_with(cfg).await;
    let too_large = |what: &str, body: &Value, r: (StatusCode, Value)| {
        assert_eq!(r.0, StatusCode::PAYLOAD_TOO_LARGE, "{what}: {}", r.1);
        assert!(r.1["detail"].is_string(), "{what}: {}", r.1);
        let _ = body;
    };
    let body = export("big", 1, 2, 40 * 1024, 0);
    too_large("body", &body, post_as(&app, Some(&app.key), &body).await);
    // The same without a declared length (chunked): cut while reading.
    too_large("chunked body", &body, post_chunked(&app, &body).await);
    let body = export("big", 1, 11, 8, 0);
    too_large("spans", &body, post_as(&app, Some(&app.key), &body).await);
    let body = export("big", 1, 1, 2000, 0);
    too_large("one span's attributes", &body, post_as(&app, Some(&app.key), &body).await);
    let body = export("big", 1, 1, 8, 2000);
    too_large("one span's attributes with its resource's", &body, post_as(&app, Some(&app.key), &body).await);
    // 10 small spans sharing a 900-byte resource: each span is within bounds, all together not.
    let body = export("big", 1, 10, 8, 900);
    too_large("all spans' attributes", &body, post_as(&app, Some(&app.key), &body).await);
    assert_eq!(stored(&app, "big").await, 0);
    // Within every bound: stored.
    let (s, r) = post_as(&app, Some(&app.key), &export("big", 1, 10, 100, 100)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(stored(&app, "big").await, 10);
    app.shutdown().await;
}

/// The store keeps at most `store_max_bytes` (the oldest spans go), not just a number of
/// rows however large each is; and at most `store_max_rows`.
#[tokio::test]
async fn the_span_store_is_bounded_in_bytes_and_rows() {
    let mut cfg = config().await;
    cfg.ingest.store_max_bytes = 64 * 1024;
    cfg.ingest.store_max_rows = 1000;
    let app = ControlPlane::start_with(cfg).await;
    // 200 spans of about 1.2 KiB each: about 240 KiB in all.
    for batch in 0..10 {
        let (s, r) = post_as(&app, Some(&app.key), &export("fat", 1 + batch * 20, 20, 1024, 0)).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let kept = stored(&app, "fat").await;
    // Each stored span takes more than 1 KiB, so at most 64 of them fit; at least 40 remain.
    assert!((40..=64).contains(&kept), "kept {kept} spans of 1 KiB in a 64 KiB store");
    // The newest are kept, the oldest evicted.
    let newest = app.get(&format!("/api/v1/observability/spans/search?trace_id={:032x}", 200)).await.1;
    assert_eq!(newest["total"], 1, "{newest}");
    let oldest = app.get(&format!("/api/v1/observability/spans/search?trace_id={:032x}", 1)).await.1;
    assert_eq!(oldest["total"], 0, "{oldest}");
    app.shutdown().await;

    let mut cfg = config().await;
    cfg.ingest.store_max_rows = 30;
    let app = ControlPlane::start_with(cfg).await;
    for batch in 0..5 {
        let (s, _) = post_as(&app, Some(&app.key), &export("thin", 1 + batch * 20, 20, 8, 0)).await;
        assert_eq!(s, StatusCode::OK);
    }
    assert_eq!(stored(&app, "thin").await, 30);
    app.shutdown().await;
}

/// While exports flood the receiver, API writes (which need the database's write lock,
/// one for the whole file on SQLite) still complete promptly.
#[tokio::test]
async fn a_flood_of_exports_does_not_starve_api_writes() {
    let app = ControlPlane::start().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut flooders = Vec::new();
    for f in 0..4u64 {
        let (http, url, key, stop, accepted) =
            (app.http.clone(), format!("{}/v1/traces", app.base), app.key.clone(), stop.clone(), accepted.clone());
        flooders.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = export("flood", (f << 40) + i * 2000, 2000, 200, 0);
                let r = http.post(&url).bearer_auth(&key).json(&body).send().await.unwrap();
                if r.status() == StatusCode::OK {
                    accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                i += 1;
            }
        }));
    }
    // Let the flood reach the store.
    eventually(Duration::from_secs(30), || async { accepted.load(std::sync::atomic::Ordering::Relaxed) >= 2 }).await;
    let mut slowest = Duration::ZERO;
    for i in 0..5 {
        let t = Instant::now();
        let (s, r) = app
            .post("/api/v1/services", json!({"name": format!("svc-{i}"), "cluster_id": 1, "hostnames": [format!("h{i}.example.com")], "protocol": "http"}))
            .await;
        slowest = slowest.max(t.elapsed());
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    eprintln!(
        "slowest API write during the flood: {slowest:?}; {} exports accepted",
        accepted.load(std::sync::atomic::Ordering::Relaxed)
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for f in flooders {
        let _ = tokio::time::timeout(Duration::from_secs(30), f).await;
    }
    assert!(slowest < Duration::from_secs(2), "an API write took {slowest:?} during the flood");
    app.shutdown().await;
}

/// Whoever exports spans to the receiver, a token in a URL's query or a captured
/// credential header is not stored, so span search cannot hand it out.
#[tokio::test]
async fn received_spans_are_stored_without_secrets() {
    let app = ControlPlane::start().await;
    let mut body = export("leaky", 7, 1, 0, 0);
    body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"] = json!([
        {"key": "url.full", "value": {"stringValue": "https://api.example.com/v1?access_token=SECRET1&page=2"}},
        {"key": "url.query", "value": {"stringValue": "sig=SECRET2&x=1"}},
        {"key": "http.request.header.authorization", "value": {"stringValue": "Bearer SECRET3"}},
        {"key": "http.request.header.accept", "value": {"stringValue": "text/html"}}
    ]);
    let (s, b) = post_as(&app, Some(&app.key.clone()), &body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut found = Value::Null;
    for _ in 0..50 {
        found = app.get(&format!("/api/v1/observability/spans/search?trace_id={:032x}", 7)).await.1;
        if found["total"].as_i64() == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = found.to_string();
    assert!(text.contains("page=2") && text.contains("text/html"), "{text}");
    for secret in ["SECRET1", "SECRET2", "SECRET3"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    app.shutdown().await;
}
