//! The lease API behind cluster-wide bandwidth limits (`POST /api/v1/proxy/qos-lease`):
//! shares by demand, never more than the limit in total, only for what the proxy's cluster
//! may enforce, and bad input refused with the field.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const LIMIT: f64 = 10_000_000.0; // 80 Mbps

async fn register(app: &ControlPlane, name: &str) -> i64 {
    let (s, body) = app
        .call_as(Some(&app.key), Method::POST, "/api/v1/proxy/register", Some(json!({"name": name, "version": "test"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["proxy_id"].as_i64().unwrap()
}

async fn lease(app: &ControlPlane, proxy: i64, policy: i64, used: f64, throttled: bool) -> (StatusCode, Value) {
    let body = json!({"proxy_id": proxy, "interval_ms": 1000, "demands": [
        {"policy_id": policy, "direction": "egress", "used_bps": used, "throttled": throttled}]});
    app.call_as(Some(&app.key), Method::POST, "/api/v1/proxy/qos-lease", Some(body)).await
}

async fn rate(app: &ControlPlane, proxy: i64, policy: i64, used: f64, throttled: bool) -> f64 {
    let (s, body) = lease(app, proxy, policy, used, throttled).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in_ms"], 3000);
    let g = &body["grants"][0];
    assert_eq!((g["policy_id"].as_i64(), g["direction"].as_str()), (Some(policy), Some("egress")), "{body}");
    g["rate_bps"].as_f64().unwrap()
}

#[tokio::test]
async fn shares_follow_demand_and_never_add_up_to_more_than_the_limit() {
    let app = ControlPlane::start().await;
    let svc = app.service("bulk", "bulk.example.com").await;
    let mut spec = qos_example(svc);
    spec["bandwidth"] = json!({"egress_mbps": 80, "burst_size_kb": 96});
    let policy = app.post_ok("/api/v1/traffic-shaping/policies", spec.clone()).await;
    assert_eq!(policy["bandwidth"]["scope"], "cluster");
    let id = policy["id"].as_i64().unwrap();
    let [p1, p2, p3] = [register(&app, "a").await, register(&app, "b").await, register(&app, "c").await];

    // Alone, a throttled proxy gets the whole limit.
    let r1 = rate(&app, p1, id, 0.0, true).await;
    assert!((r1 - LIMIT).abs() < 1.0, "{r1}");
    // A second throttled proxy gets only what the first does not hold yet…
    let r2 = rate(&app, p2, id, 0.0, true).await;
    assert!(r1 + r2 <= LIMIT * 1.01, "{r1} + {r2}");
    // …and its half once the first has shrunk to its half at its next lease.
    let r1 = rate(&app, p1, id, r1, true).await;
    assert!((r1 - LIMIT / 2.0).abs() < LIMIT * 0.01, "{r1}");
    let r2 = rate(&app, p2, id, r2, true).await;
    assert!((r2 - LIMIT / 2.0).abs() < LIMIT * 0.01, "{r2}");
    // An idle third proxy gets a small floor; a light one what it uses plus headroom.
    let r3 = rate(&app, p3, id, 0.0, false).await;
    assert!(r3 > 0.0 && r3 < LIMIT * 0.01, "{r3}");
    let r3 = rate(&app, p3, id, 1_000_000.0, false).await;
    assert!(r3 <= LIMIT - r1 - r2 + LIMIT * 0.01, "grows only into free capacity: {r3}");
    let r1 = rate(&app, p1, id, r1, true).await;
    let r2 = rate(&app, p2, id, r2, true).await;
    let r3 = rate(&app, p3, id, 1_000_000.0, false).await;
    assert!((r3 - 1_200_000.0).abs() < 1.0, "used + 20 %: {r3}");
    assert!((r1 - (LIMIT - 1_200_000.0) / 2.0).abs() < LIMIT * 0.01, "{r1}");
    assert!(r1 + r2 + r3 <= LIMIT * 1.01, "{r1} + {r2} + {r3}");
    let (_, stats) = app.get(&format!("/api/v1/traffic-shaping/policies/{id}/stats")).await;
    let shares = stats["cluster_shares"].as_array().unwrap();
    assert_eq!(shares.len(), 3, "{stats}");
    let grants = shares.iter().map(|s| s["rate_mbps"].as_f64().unwrap()).sum::<f64>();
    assert!((grants - (r1 + r2 + r3) * 8.0 / 1e6).abs() < 0.01, "{stats}");

    // Scope `proxy`: no shares; each proxy enforces the limit on its own.
    spec["bandwidth"]["scope"] = json!("proxy");
    app.put_ok(&format!("/api/v1/traffic-shaping/policies/{id}"), spec.clone()).await;
    let (s, body) = lease(&app, p1, id, 0.0, true).await;
    assert_eq!((s, body["grants"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{body}");
    // Nor for a direction without a limit, a policy that does not exist, another cluster's
    // policy, or a disabled policy.
    spec["bandwidth"]["scope"] = json!("cluster");
    app.put_ok(&format!("/api/v1/traffic-shaping/policies/{id}"), spec).await;
    let other = app.post_ok("/api/v1/clusters", json!({"name": "other"})).await;
    let (other_id, other_key) = (other["id"].as_i64().unwrap(), other["api_key"].as_str().unwrap());
    let other_svc = app
        .post_ok(
            "/api/v1/services",
            json!({"name": "o", "cluster_id": other_id, "hostnames": ["o.example.com"], "protocol": "http"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mut theirs = qos_example(other_svc);
    theirs["cluster_id"] = json!(other_id);
    let theirs = app.post_ok("/api/v1/traffic-shaping/policies", theirs).await["id"].as_i64().unwrap();
    let body = json!({"proxy_id": p1, "interval_ms": 1000, "demands": [
        {"policy_id": id, "direction": "ingress", "used_bps": 0, "throttled": true},
        {"policy_id": id + 1000, "direction": "egress", "used_bps": 0, "throttled": true},
        {"policy_id": theirs, "direction": "egress", "used_bps": 0, "throttled": true}]});
    let (s, body) = app.call_as(Some(&app.key), Method::POST, "/api/v1/proxy/qos-lease", Some(body)).await;
    assert_eq!((s, body["grants"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{body}");
    // Their own proxy gets a share of it.
    let (_, reg) = app
        .call_as(Some(other_key), Method::POST, "/api/v1/proxy/register", Some(json!({"name": "o1", "version": "t"})))
        .await;
    let body = json!({"proxy_id": reg["proxy_id"], "interval_ms": 1000, "demands": [
        {"policy_id": theirs, "direction": "egress", "used_bps": 0, "throttled": true}]});
    let (s, body) = app.call_as(Some(other_key), Method::POST, "/api/v1/proxy/qos-lease", Some(body)).await;
    assert_eq!((s, body["grants"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{body}");
    app.post_ok(&format!("/api/v1/traffic-shaping/policies/{id}/disable"), json!({})).await;
    let (_, body) = lease(&app, p1, id, 0.0, true).await;
    assert_eq!(body["grants"].as_array().map(Vec::len), Some(0), "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn bad_leases_are_refused_with_the_field() {
    let app = ControlPlane::start().await;
    let p = register(&app, "a").await;
    for (body, field) in [
        (json!({"proxy_id": p, "interval_ms": 10, "demands": []}), "interval_ms"),
        (json!({"proxy_id": p, "interval_ms": 60000, "demands": []}), "interval_ms"),
        (
            json!({"proxy_id": p, "interval_ms": 500, "demands": [
                {"policy_id": 1, "direction": "egress", "used_bps": -1.0, "throttled": false}]}),
            "used_bps",
        ),
        (
            json!({"proxy_id": p, "interval_ms": 500, "demands": [
                {"policy_id": 1, "direction": "egress", "used_bps": 1.0, "throttled": false},
                {"policy_id": 1, "direction": "egress", "used_bps": 2.0, "throttled": true}]}),
            "one demand per policy and direction",
        ),
    ] {
        let (s, err) = app.call_as(Some(&app.key), Method::POST, "/api/v1/proxy/qos-lease", Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    let (s, _) = lease(&app, p + 100, 1, 0.0, false).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "an unknown proxy re-registers first");
    let (s, _) = app
        .call_as(
            None,
            Method::POST,
            "/api/v1/proxy/qos-lease",
            Some(json!({"proxy_id": p, "interval_ms": 500, "demands": []})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}
