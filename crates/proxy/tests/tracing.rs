//! Tracing on live traffic: spans through a chain of two proxies into the control
//! plane's own OTLP receiver, propagation, capture with redaction and truncation,
//! samplers, stats, live changes, and a backend outage.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

async fn tracing_config(cp: &ControlPlane, extra: Value) -> i64 {
    let mut body = json!({
        "name": "local", "cluster_id": 1, "backend": "otlp", "endpoint": cp.base.clone(), "exporter": "http",
        "sampling_strategy": "always", "service_name": "edge", "custom_tags": {"env": "test"}
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    cp.post_ok("/api/v1/observability/tracing", body).await["id"].as_i64().unwrap()
}

async fn spans_of(cp: &ControlPlane, trace_id: &str, want: usize) -> Vec<Value> {
    let mut last = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline {
        last = cp.get_ok(&format!("/api/v1/observability/spans/search?trace_id={trace_id}&limit=100")).await;
        if last["total"].as_u64().unwrap_or(0) >= want as u64 {
            return last["spans"].as_array().unwrap().clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {want} spans of {trace_id}, got {last}");
}

#[tokio::test]
async fn a_trace_crosses_two_proxies_and_keeps_its_id() {
    let cp = ControlPlane::start().await;
    let up = Upstream::start("origin").await;
    let b = proxy(&cp, |_| {}).await;
    let a = proxy(&cp, |_| {}).await;
    // front.example.com → proxy A → proxy B (Host 127.0.0.1) → origin.
    let front = cp.service("front", "front.example.com").await;
    let back = cp.service("back", "127.0.0.1").await;
    cp.route_table(
        front,
        "failover",
        vec![json!({"provider": "aws", "region": "us-east-1", "endpoint": format!("http://{}", b.addr)})],
        quiet_probe(),
    )
    .await;
    cp.route_table(back, "failover", vec![route(&up, "gcp", "europe-west1")], quiet_probe()).await;
    let cfg = tracing_config(&cp, json!({})).await;
    synced(&cp, &a).await;
    synced(&cp, &b).await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = "00f067aa0ba902b7";
    let r = client()
        .get(format!("http://{}/echo", a.addr))
        .header("host", "front.example.com")
        .header("traceparent", format!("00-{trace_id}-{parent}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    let tp = echo["headers"]["traceparent"].as_str().expect("the upstream got a traceparent");
    assert!(tp.starts_with(&format!("00-{trace_id}-")) && tp.ends_with("-01"), "{tp}");

    let spans = spans_of(&cp, trace_id, 4).await;
    assert_eq!(spans.len(), 4, "{spans:?}");
    let by_kind = |kind: &str, svc: &str| {
        spans
            .iter()
            .find(|s| s["kind"] == kind && s["attributes"]["marchproxy.service"] == svc)
            .unwrap_or_else(|| panic!("{kind} span of {svc} in {spans:?}"))
            .clone()
    };
    let (a_srv, a_cli, b_srv, b_cli) =
        (by_kind("server", "front"), by_kind("client", "front"), by_kind("server", "back"), by_kind("client", "back"));
    assert_eq!(a_srv["parent_span_id"], parent);
    assert_eq!(a_cli["parent_span_id"], a_srv["span_id"]);
    assert_eq!(b_srv["parent_span_id"], a_cli["span_id"], "B continues A's client span");
    assert_eq!(b_cli["parent_span_id"], b_srv["span_id"]);
    assert!(tp.contains(b_cli["span_id"].as_str().unwrap()), "the upstream's parent is B's client span");
    for s in &spans {
        assert_eq!(s["service"], "edge");
        assert_eq!(s["attributes"]["env"], "test", "custom tags applied");
    }
    assert_eq!(a_srv["attributes"]["http.request.method"], "GET");
    assert_eq!(a_srv["attributes"]["http.response.status_code"], 200);
    assert_eq!(a_srv["attributes"]["marchproxy.algorithm"], "failover");
    assert_eq!(b_cli["attributes"]["cloud.provider"], "gcp");
    assert_eq!(b_cli["attributes"]["cloud.region"], "europe-west1");
    assert_eq!(b_cli["attributes"]["marchproxy.endpoint"], up.url());
    assert!(a_srv["attributes"]["marchproxy.qos.delay_ms"].is_number());

    // B3 in, B3 (and W3C) out.
    let r = client()
        .get(format!("http://{}/echo", b.addr))
        .header("host", "127.0.0.1")
        .header("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7")
        .header("x-b3-spanid", "e457b5a2e4d86bd1")
        .header("x-b3-sampled", "1")
        .send()
        .await
        .unwrap();
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["headers"]["x-b3-traceid"], "80f198ee56343ba864fe8b2a57d3eff7");
    assert!(echo["headers"]["traceparent"].as_str().unwrap().contains("80f198ee56343ba864fe8b2a57d3eff7"));

    // The proxies report their counters.
    eventually(Duration::from_secs(5), || async {
        cp.get_ok(&format!("/api/v1/observability/tracing/{cfg}/stats")).await["spans_exported"].as_i64().unwrap_or(0)
            >= 4
    })
    .await;
    eventually(Duration::from_secs(5), || async {
        cp.get_ok(&format!("/api/v1/observability/tracing/{cfg}/stats")).await["spans_started"].as_i64().unwrap_or(0)
            >= 6
    })
    .await;
    let st = cp.get_ok(&format!("/api/v1/observability/tracing/{cfg}/stats")).await;
    assert_eq!(st["effective_sampling_rate"], 1.0);
    assert!(st["last_export_at"].is_string());
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn captured_headers_are_redacted_and_attributes_truncated() {
    let (cp, _up, _svc) = one_upstream_service("origin", "web", "web.example.com").await;
    tracing_config(
        &cp,
        json!({"include_request_headers": true, "include_response_headers": true, "include_request_body": true,
               "include_response_body": true, "max_attribute_length": 32}),
    )
    .await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let trace_id = "11111111111111111111111111111111";
    let r = client()
        .post(format!("http://{}/echo", p.addr))
        .header("host", "web.example.com")
        .header("traceparent", format!("00-{trace_id}-2222222222222222-01"))
        .header("authorization", "Bearer top-secret-token")
        .header("cookie", "session=abc")
        .header("x-api-key", "k-123")
        .header("x-long", "y".repeat(100))
        .body("B".repeat(100))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let _ = r.text().await;
    let spans = spans_of(&cp, trace_id, 2).await;
    let srv = spans.iter().find(|s| s["kind"] == "server").unwrap();
    let a = &srv["attributes"];
    assert_eq!(a["http.request.header.authorization"], "[REDACTED]");
    assert_eq!(a["http.request.header.cookie"], "[REDACTED]");
    assert_eq!(a["http.request.header.x-api-key"], "[REDACTED]");
    assert_eq!(a["http.request.header.x-long"].as_str().unwrap().len(), 32, "truncated to max_attribute_length");
    assert_eq!(a["http.request.body"].as_str().unwrap(), "B".repeat(32));
    assert!(a["http.response.body"].as_str().unwrap().len() <= 32);
    assert!(
        a["http.response.header.content-type"].is_string() || a["http.response.header.content-length"].is_string(),
        "{a}"
    );
    let all = serde_json::to_string(&spans).unwrap();
    assert!(!all.contains("top-secret-token") && !all.contains("session=abc"), "secrets never leave the proxy");
    for s in &spans {
        for (k, v) in s["attributes"].as_object().unwrap() {
            if let Some(t) = v.as_str() {
                assert!(t.len() <= 32, "{k} = {t}");
            }
        }
    }
    p.shutdown().await;
}

#[tokio::test]
async fn samplers_and_live_changes_decide_what_is_exported() {
    let (cp, _up, _svc) = one_upstream_service("origin", "web", "web.example.com").await;
    let cfg = tracing_config(&cp, json!({"sampling_strategy": "error_only"})).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();
    let send = |tid: String, path: &'static str| {
        let c = c.clone();
        let addr = p.addr;
        async move {
            c.get(format!("http://{addr}{path}"))
                .header("host", "web.example.com")
                .header("traceparent", format!("00-{tid}-3333333333333333-00"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let ok_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1".to_string();
    let err_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2".to_string();
    assert_eq!(send(ok_id.clone(), "/").await, 200);
    assert_eq!(send(err_id.clone(), "/status/503").await, 503);
    // error_only: the failed request is exported even though its parent was not sampled.
    let spans = spans_of(&cp, &err_id, 2).await;
    assert!(spans.iter().any(|s| s["status"] == "error"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ok = cp.get_ok(&format!("/api/v1/observability/spans/search?trace_id={ok_id}")).await;
    assert_eq!(ok["total"], 0, "a successful request is not exported by error_only");

    // Switch to never: nothing more is exported, within a second.
    let mut spec = cp.get_ok(&format!("/api/v1/observability/tracing/{cfg}")).await;
    spec["sampling_strategy"] = json!("never");
    cp.put_ok(&format!("/api/v1/observability/tracing/{cfg}"), spec).await;
    synced(&cp, &p).await;
    let never_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3".to_string();
    assert_eq!(send(never_id.clone(), "/status/500").await, 500);
    // Disabled: the proxy stops tracing.
    cp.post_ok(&format!("/api/v1/observability/tracing/{cfg}/disable"), json!({})).await;
    synced(&cp, &p).await;
    assert!(p.proxy.tracing.active().is_empty());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let none = cp.get_ok(&format!("/api/v1/observability/spans/search?trace_id={never_id}")).await;
    assert_eq!(none["total"], 0);
    p.shutdown().await;
}

#[tokio::test]
async fn a_dead_backend_never_slows_requests_and_drops_are_counted() {
    let (cp, _up, _svc) = one_upstream_service("origin", "web", "web.example.com").await;
    let cfg = tracing_config(&cp, json!({"endpoint": "http://127.0.0.1:9"})).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();
    let t = Instant::now();
    for _ in 0..200 {
        assert_eq!(get(&c, &p, "web.example.com", "/").await.0, 200);
    }
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "tracing to a dead backend must not block requests: {:?}",
        t.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let st = cp.get_ok(&format!("/api/v1/observability/tracing/{cfg}/stats")).await;
        if st["spans_dropped"].as_i64().unwrap_or(0) > 0 && st["last_export_error"].is_string() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no drop reported: {st}; proxy sees {:?}",
            p.proxy.tracing.active().first().map(|t| t.pipeline.stats())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    p.shutdown().await;
}

/// Secret-looking query values never leave the proxy by default (`url.query` of the
/// server span, `url.full` of the client span); `--trace-redact-query false` keeps them.
/// (The control plane's receiver would redact them again; here it stores spans as sent, so
/// what is seen is what the proxy exported.)
#[tokio::test]
async fn secret_query_values_are_redacted_in_spans_unless_turned_off() {
    let mut cfg = marchproxy_test_support::control_plane::config().await;
    cfg.ingest.redact_secrets = false;
    let cp = ControlPlane::start_with(cfg).await;
    let up = Upstream::start("origin").await;
    let svc = cp.service("web", "web.example.com").await;
    cp.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    tracing_config(&cp, json!({})).await;
    let redacting = proxy(&cp, |_| {}).await;
    let verbatim = proxy(&cp, |c| c.trace_redact_query = false).await;
    synced(&cp, &redacting).await;
    synced(&cp, &verbatim).await;
    let send = |p: &marchproxy_proxy::Running, trace_id: &'static str| {
        client()
            .get(format!("http://{}/echo?access_token=s3cr3t-value&page=2&X-Amz-Signature=sig-value", p.addr))
            .header("host", "web.example.com")
            .header("traceparent", format!("00-{trace_id}-2222222222222222-01"))
            .send()
    };
    let (hidden, shown) = ("33333333333333333333333333333333", "44444444444444444444444444444444");
    assert_eq!(send(&redacting, hidden).await.unwrap().status(), 200);
    assert_eq!(send(&verbatim, shown).await.unwrap().status(), 200);

    let spans = spans_of(&cp, hidden, 2).await;
    let server = spans.iter().find(|s| s["kind"] == "server").unwrap();
    let client_span = spans.iter().find(|s| s["kind"] == "client").unwrap();
    assert_eq!(server["attributes"]["url.query"], "access_token=[REDACTED]&page=2&X-Amz-Signature=[REDACTED]");
    assert!(
        client_span["attributes"]["url.full"]
            .as_str()
            .unwrap()
            .ends_with("/echo?access_token=[REDACTED]&page=2&X-Amz-Signature=[REDACTED]")
    );
    let all = serde_json::to_string(&spans).unwrap();
    assert!(!all.contains("s3cr3t-value") && !all.contains("sig-value"), "{all}");

    let spans = spans_of(&cp, shown, 2).await;
    let server = spans.iter().find(|s| s["kind"] == "server").unwrap();
    assert_eq!(server["attributes"]["url.query"], "access_token=s3cr3t-value&page=2&X-Amz-Signature=sig-value");
    redacting.shutdown().await;
    verbatim.shutdown().await;
}

#[tokio::test]
async fn exporters_obey_the_outbound_policy_and_allowed_traffic_flows() {
    let cp = ControlPlane::start().await;
    // The upstream on another loopback address, which the policy below allows.
    let up = Upstream::start_on("origin", "127.0.0.2:0").await;
    let svc = cp.service("web", "web.example.com").await;
    cp.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    let port = cp.base.rsplit(':').next().unwrap().to_string();
    // The control plane's receiver by name: it resolves to 127.0.0.1 (or ::1), which this
    // proxy may not reach; its upstream at 127.0.0.2 stays reachable.
    let cfg = tracing_config(&cp, json!({"endpoint": format!("http://localhost:{port}")})).await;
    let p = proxy(&cp, |c| c.outbound.deny = "127.0.0.1/32,::1".parse().unwrap()).await;
    synced(&cp, &p).await;
    let c = client();
    for _ in 0..5 {
        assert_eq!(get(&c, &p, "web.example.com", "/").await.0, 200);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let st = loop {
        let st = cp.get_ok(&format!("/api/v1/observability/tracing/{cfg}/stats")).await;
        if st["spans_dropped"].as_i64().unwrap_or(0) > 0 && st["last_export_error"].is_string() {
            break st;
        }
        assert!(Instant::now() < deadline, "no refusal reported: {st}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let e = st["last_export_error"].as_str().unwrap();
    assert!(e.contains("refused by outbound policy: localhost resolves to") && e.contains("denied range"), "{e}");
    let (_, found) = cp.get("/api/v1/observability/spans/search?service=edge").await;
    assert_eq!(found["total"], 0, "a span reached the refused receiver: {found}");

    // A metadata endpoint: the exporter is never built, traffic still flows.
    cp.put_ok(
        &format!("/api/v1/observability/tracing/{cfg}"),
        json!({"name": "local", "cluster_id": 1, "backend": "otlp", "endpoint": "http://169.254.169.254:4318",
               "exporter": "http", "sampling_strategy": "always", "service_name": "edge"}),
    )
    .await;
    synced(&cp, &p).await;
    assert!(p.proxy.tracing.active().is_empty());
    assert_eq!(get(&c, &p, "web.example.com", "/").await.0, 200);
    p.shutdown().await;
}
