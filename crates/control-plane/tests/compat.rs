//! Contract tests for the original MarchProxy clients (issue 20): their requests as the
//! original hooks send them (paths, query names, bodies), and the fields they read.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// `POST …/test-failover?simulate_failure_endpoint=…` with no body is a simulation: nothing
/// leaves the rotation. A call with neither a body nor the query (`testFailover(id)`) removes
/// nothing and says where traffic goes now; a live drill needs `"dry_run": false`. The
/// answer has the original's fields too.
#[tokio::test]
async fn test_failover_the_original_way_only_simulates() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let table = app.post_ok("/api/v1/multi-cloud/routes", route_example(sid)).await;
    let id = table["id"].as_i64().unwrap();
    let version = app.version().await;
    let ep = "https://api.us-east-1.example.com";
    let url = format!("/api/v1/multi-cloud/routes/{id}/test-failover?simulate_failure_endpoint={ep}");
    let (s, r) = app.raw(Method::POST, &url, "").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["dry_run"].as_bool(), r["removed_endpoint"].as_str()), (Some(true), Some(ep)), "{r}");
    assert_eq!(r["failover_target"], "https://api.us-central1.example.com");
    assert_eq!((r["route_id"].as_i64(), r["route_name"].as_str()), (Some(id), Some("Multi-Region Failover")), "{r}");
    assert_eq!((r["algorithm"].as_str(), r["auto_failover_enabled"].as_bool()), (Some("latency"), Some(true)));
    assert_eq!((r["simulated_failure"].as_str(), r["test_status"].as_str()), (Some(ep), Some("success")));
    assert_eq!(r["healthy_endpoints"].as_array().map(Vec::len), Some(2), "not probed yet counts as healthy: {r}");
    assert_eq!(r["unhealthy_endpoints"], json!([]));
    let (s, r) = app.raw(Method::POST, &format!("/api/v1/multi-cloud/routes/{id}/test-failover"), "").await;
    assert_eq!((s, r["dry_run"].as_bool()), (StatusCode::OK, Some(true)), "{r}");
    assert!(r["removed_endpoint"].is_null() && r["simulated_failure"].is_null(), "nothing removed: {r}");
    assert_eq!(r["failover_target"], ep, "where traffic goes now: {r}");
    assert_eq!(app.version().await, version, "no drain was written: proxies saw no change");
    // The query with a body asking for something else is refused, naming the parameter.
    let (s, e) = app.post(&url, json!({"dry_run": false})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("simulate_failure_endpoint"), "{e}");
    let (s, e) = app.raw(Method::POST, &format!("{url}x"), "").await;
    assert_eq!(s, StatusCode::CONFLICT, "an endpoint the table does not have: {e}");
    app.shutdown().await;
}

/// GET of a route table has `health_status`, GET of a tracing config `stats`: by default, as
/// in the original (`include_health`, `include_stats` default to true); `=false` leaves them out.
#[tokio::test]
async fn include_flags_add_health_and_stats() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let id = app.post_ok("/api/v1/multi-cloud/routes", route_example(sid)).await["id"].as_i64().unwrap();
    let plain = app.get_ok(&format!("/api/v1/multi-cloud/routes/{id}?include_health=false")).await;
    assert!(plain.get("health_status").is_none() && plain["routes"].is_array(), "{plain}");
    let with = app.get_ok(&format!("/api/v1/multi-cloud/routes/{id}")).await;
    let health = with["health_status"].as_array().unwrap_or_else(|| panic!("{with}"));
    assert_eq!(health.len(), 2, "{with}");
    assert!(health.iter().all(|h| h["endpoint"].is_string() && h["is_healthy"].is_boolean()), "{with}");
    assert_eq!(with["name"], plain["name"]);

    let tid = app.post_ok("/api/v1/observability/tracing", tracing_example()).await["id"].as_i64().unwrap();
    let plain = app.get_ok(&format!("/api/v1/observability/tracing/{tid}?include_stats=false")).await;
    assert!(plain.get("stats").is_none(), "{plain}");
    let with = app.get_ok(&format!("/api/v1/observability/tracing/{tid}")).await;
    assert_eq!(with["stats"]["spans_started"], 0, "{with}");
    assert_eq!(with["name"], plain["name"]);
    let (s, e) = app.get(&format!("/api/v1/observability/tracing/{tid}?include_stats=maybe")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    app.shutdown().await;
}

/// Span search takes the original names `service_name` and `operation_name` and its JSON
/// `tags`, and answers with the original's names too (`total_count`, `search_params`, and
/// per span `service_name`, `operation_name`, `has_error`, `tags`).
#[tokio::test]
async fn span_search_takes_the_original_parameter_names() {
    let app = ControlPlane::start().await;
    let span = |trace: &str, service: &str, name: &str| {
        json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
            "scopeSpans": [{"spans": [{"traceId": trace, "spanId": "0102030405060708", "name": name, "kind": 2,
                "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000005000000"}]}]}]})
    };
    for (t, svc, op) in [
        ("0af7651916cd43dd8448eb211c80319c", "checkout", "GET /cart"),
        ("1af7651916cd43dd8448eb211c80319c", "checkout", "POST /pay"),
        ("2af7651916cd43dd8448eb211c80319c", "search", "GET /q"),
    ] {
        assert!(app.export_spans(&span(t, svc, op)).await.status().is_success());
    }
    let app = &app;
    let q = |query: &str| {
        let path = format!("/api/v1/observability/spans/search?{query}&start=0");
        async move { app.get_ok(&path).await }
    };
    let r = q("service_name=checkout").await;
    assert_eq!(r["total"], 2, "{r}");
    let r = q("service_name=checkout&operation_name=POST%20%2Fpay").await;
    assert_eq!((r["total"].as_i64(), r["total_count"].as_i64()), (Some(1), Some(1)), "{r}");
    assert_eq!(r["spans"][0]["operation"], "POST /pay");
    let s = &r["spans"][0];
    assert_eq!((s["service_name"].as_str(), s["operation_name"].as_str()), (Some("checkout"), Some("POST /pay")));
    assert_eq!((s["has_error"].as_bool(), s["tags"].is_object()), (Some(false), true), "{s}");
    assert_eq!(r["search_params"]["service"], "checkout", "{r}");
    let r = q("tags=%7B%22span.kind%22%3A%22server%22%7D").await;
    assert!(r["total"].is_i64(), "a JSON object of tags is understood: {r}");
    let (s, e) = app.get("/api/v1/observability/spans/search?tags=%7Bbroken").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let r = q("service=search").await;
    assert_eq!(r["total"], 1, "our own name still works: {r}");
    let (s, e) = app.get("/api/v1/observability/spans/search?service=a&service_name=b").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "both names at once: {e}");
}

/// A list without `limit` returns every item up to 1,000 (the original client never pages);
/// `X-Total-Count` has the total.
#[tokio::test]
async fn lists_without_a_limit_do_not_drop_items() {
    let app = ControlPlane::start().await;
    for i in 0..130 {
        app.service(&format!("s{i}"), &format!("s{i}.example.com")).await;
    }
    let r = app.http.get(format!("{}/api/v1/services", app.base)).bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(r.headers()["x-total-count"], "130");
    let items: serde_json::Value = r.json().await.unwrap();
    assert_eq!(items.as_array().unwrap().len(), 130);
    app.shutdown().await;
}

/// A viewer's 403 on a write can be told from the license's: `detail` is a plain string there,
/// an object with `error: "Enterprise feature not available"` for the license.
#[tokio::test]
async fn a_role_403_is_not_a_license_403() {
    let app = ControlPlane::start().await;
    app.post_ok("/api/v1/users", json!({"username": "vera", "password": "Viewer-Pass-42", "role": "viewer"})).await;
    let viewer = app.login("vera", "Viewer-Pass-42").await;
    let body = json!({"name": "x", "cluster_id": 1, "hostnames": ["x.io"], "protocol": "http"});
    let (s, e) = app.call_as(Some(&viewer), Method::POST, "/api/v1/services", Some(body)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(e["detail"].is_string(), "{e}");
    assert!(e["detail"].get("error").is_none());
    app.shutdown().await;
}

/// Updates change only what they name, by PUT (the original client's partial `*Update`
/// bodies, without ids: a nested object sent replaces the stored one, as the original did)
/// and by PATCH (a JSON merge patch: nested objects merge); an omitted `enabled` is not
/// reset; a bad field is still a 422 naming it.
#[tokio::test]
async fn partial_updates_change_only_what_they_name() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let p = app.post_ok("/api/v1/traffic-shaping/policies", qos_example(sid)).await;
    let id = p["id"].as_i64().unwrap();
    let path = format!("/api/v1/traffic-shaping/policies/{id}");
    app.post_ok(&format!("{path}/disable"), json!({})).await;
    // The original client's QoSPolicyUpdate: all optional, its own field name, no ids.
    // The original page clears "Ingress Limit" by sending bandwidth without ingress_mbps.
    let u = app.put_ok(&path, json!({"bandwidth_config": {"egress_mbps": 50}})).await;
    assert_eq!(u["bandwidth"]["egress_mbps"], 50, "{u}");
    assert!(u["bandwidth"]["ingress_mbps"].is_null(), "the sent object replaces the stored one: {u}");
    assert_eq!(u["bandwidth"]["burst_size_kb"], 1024, "left out: the default: {u}");
    assert_eq!(u["enabled"], false, "an omitted enabled does not re-enable: {u}");
    assert_eq!((u["name"].clone(), u["service_id"].clone()), (p["name"].clone(), p["service_id"].clone()));
    let (s, u) =
        app.call(Method::PATCH, &path, Some(json!({"description": "bulk", "priority_config": {"weight": 3}}))).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!((u["description"].as_str(), u["priority_config"]["weight"].as_i64()), (Some("bulk"), Some(3)));
    assert_eq!(u["priority_config"]["priority"], "P1", "merged, not replaced: {u}");
    let (s, u) = app.call(Method::PATCH, &path, Some(json!({"description": null}))).await;
    assert_eq!((s, u["description"].clone()), (StatusCode::OK, serde_json::Value::Null), "null clears: {u}");
    let (s, e) = app.call(Method::PATCH, &path, Some(json!({"bandwidth": {"egress_mbps": 0}}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("egress_mbps"), "{e}");
    let (s, _) = app.call(Method::PATCH, &path, Some(json!(["not", "an", "object"]))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The same for a route table (its original field name too), a tracing config and a service.
    let t = app.post_ok("/api/v1/multi-cloud/routes", route_example(sid)).await;
    let tp = format!("/api/v1/multi-cloud/routes/{}", t["id"]);
    let u = app.put_ok(&tp, json!({"health_probe_config": {"interval_seconds": 60}})).await;
    assert_eq!(
        (u["health_probe"]["interval_seconds"].as_i64(), u["health_probe"]["protocol"].as_str()),
        (Some(60), Some("tcp")),
        "replaced, the rest defaults: {u}"
    );
    let (s, u) = app.call(Method::PATCH, &tp, Some(json!({"health_probe": {"protocol": "http"}}))).await;
    assert_eq!(
        (s, u["health_probe"]["interval_seconds"].as_i64(), u["health_probe"]["protocol"].as_str()),
        (StatusCode::OK, Some(60), Some("http")),
        "merged: {u}"
    );
    assert_eq!(u["routes"].as_array().map(Vec::len), Some(2));
    let c = app.post_ok("/api/v1/observability/tracing", tracing_example()).await;
    let (s, u) = app
        .call(Method::PATCH, &format!("/api/v1/observability/tracing/{}", c["id"]), Some(json!({"sampling_rate": 0.5})))
        .await;
    assert_eq!(
        (s, u["sampling_rate"].as_f64(), u["backend"].as_str()),
        (StatusCode::OK, Some(0.5), Some("jaeger")),
        "{u}"
    );
    let (s, u) = app
        .call(Method::PATCH, &format!("/api/v1/services/{sid}"), Some(json!({"hostnames": ["new.example.com"]})))
        .await;
    assert_eq!(
        (s, u["hostnames"][0].as_str(), u["name"].as_str()),
        (StatusCode::OK, Some("new.example.com"), Some("web")),
        "{u}"
    );
    app.shutdown().await;
}

/// Tracing: the original client's stats names, and its test call (`send_test_span=false`
/// validates and connects without sending a span; the result names the config).
#[tokio::test]
async fn tracing_stats_and_test_in_the_original_shapes() {
    let app = ControlPlane::start().await;
    let mut cfg = tracing_example();
    cfg["backend"] = json!("otlp");
    cfg["endpoint"] = json!(app.base.clone());
    let c = app.post_ok("/api/v1/observability/tracing", cfg).await;
    let id = c["id"].as_i64().unwrap();
    let stats = app.get_ok(&format!("/api/v1/observability/tracing/{id}/stats")).await;
    for (orig, ours) in [
        ("total_spans", "spans_started"),
        ("sampled_spans", "spans_sampled"),
        ("dropped_spans", "spans_dropped"),
        ("error_spans", "spans_errored"),
    ] {
        assert_eq!(stats[orig], stats[ours], "{orig}: {stats}");
        assert!(stats[orig].is_i64(), "{orig}: {stats}");
    }
    assert!(stats.get("avg_span_duration_ms").is_some() && stats.get("last_export").is_some(), "{stats}");

    // Connect only: no span reaches the receiver.
    let r = app.post_ok(&format!("/api/v1/observability/tracing/{id}/test?send_test_span=false"), json!({})).await;
    assert_eq!((r["config_id"].as_i64(), r["config_name"].as_str()), (Some(id), Some("Jaeger production")), "{r}");
    assert_eq!(r["test_status"], "success", "{r}");
    assert_eq!(r["validation_errors"], json!([]));
    assert_eq!(
        (r["connectivity_test"]["success"].as_bool(), r["connectivity_test"]["span_sent"].as_bool()),
        (Some(true), Some(false)),
        "{r}"
    );
    let ct = &r["connectivity_test"];
    assert_eq!(
        (ct["backend"].as_str(), ct["exporter"].as_str(), ct["status"].as_str()),
        (Some("otlp"), Some("http"), Some("reachable")),
        "{r}"
    );
    let found = app.get_ok("/api/v1/observability/spans/search?service=edge&start=0").await;
    assert_eq!(found["total"], 0, "no span was sent: {found}");
    // With a span (the default).
    let r = app.post_ok(&format!("/api/v1/observability/tracing/{id}/test"), json!({})).await;
    assert_eq!(
        (r["test_status"].as_str(), r["connectivity_test"]["span_sent"].as_bool()),
        (Some("success"), Some(true)),
        "{r}"
    );
    // Nothing listens on port 9: failed, and why.
    let mut bad = tracing_example();
    bad["endpoint"] = json!("http://127.0.0.1:9");
    let b = app.post_ok("/api/v1/observability/tracing", bad).await;
    let r =
        app.post_ok(&format!("/api/v1/observability/tracing/{}/test?send_test_span=false", b["id"]), json!({})).await;
    assert_eq!(r["test_status"], "failed", "{r}");
    assert!(r["connectivity_test"]["error"].as_str().unwrap().contains("127.0.0.1:9"), "{r}");
    assert_eq!(r["connectivity_test"]["status"], "unreachable", "{r}");
    let (s, _) = app.post(&format!("/api/v1/observability/tracing/{id}/test?send_test_span=perhaps"), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    app.shutdown().await;
}

/// Fields the original API defaults, defaulted the same: a tracing config needs only a name,
/// a cluster and an endpoint (jaeger, grpc, probabilistic at 0.1); a QoS policy no
/// `bandwidth`; a route table no `algorithm` (latency), a probe no `protocol` (tcp), a route
/// no `weight` (1).
#[tokio::test]
async fn defaults_are_the_originals() {
    let app = ControlPlane::start().await;
    let c = app
        .post_ok("/api/v1/observability/tracing", json!({"name": "t", "cluster_id": 1, "endpoint": "jaeger:14250"}))
        .await;
    assert_eq!(
        (c["backend"].as_str(), c["exporter"].as_str(), c["sampling_strategy"].as_str(), c["sampling_rate"].as_f64()),
        (Some("jaeger"), Some("grpc"), Some("probabilistic"), Some(0.1)),
        "{c}"
    );
    let sid = app.service("web", "web.example.com").await;
    let mut p = qos_example(sid);
    p.as_object_mut().unwrap().remove("bandwidth");
    let p = app.post_ok("/api/v1/traffic-shaping/policies", p).await;
    assert!(p["bandwidth"]["ingress_mbps"].is_null() && p["bandwidth"]["burst_size_kb"] == 1024, "{p}");
    let mut t = route_example(sid);
    t.as_object_mut().unwrap().remove("algorithm");
    t["health_probe"] = json!({});
    t["routes"][0].as_object_mut().unwrap().remove("weight");
    let t = app.post_ok("/api/v1/multi-cloud/routes", t).await;
    assert_eq!(
        (t["algorithm"].as_str(), t["health_probe"]["protocol"].as_str(), t["routes"][0]["weight"].as_i64()),
        (Some("latency"), Some("tcp"), Some(1)),
        "{t}"
    );
    app.shutdown().await;
}
