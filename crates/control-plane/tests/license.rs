//! The license gate in every mode, against a license server on loopback.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const KEY: &str = "PENG-ABCD-EFGH-IJKL-MNOP-QRST";

struct Fake {
    down: AtomicBool,
    /// The vendor revoked the key: `{"valid": false}`.
    revoked: AtomicBool,
}

async fn validate(State(f): State<Arc<Fake>>, headers: HeaderMap) -> (AxStatus, Json<Value>) {
    if f.down.load(Ordering::SeqCst) {
        return (AxStatus::BAD_GATEWAY, Json(json!({})));
    }
    if f.revoked.load(Ordering::SeqCst)
        || headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}"))
    {
        return (AxStatus::UNAUTHORIZED, Json(json!({"valid": false})));
    }
    (
        AxStatus::OK,
        Json(json!({"valid": true, "tier": "enterprise", "features": [
            {"name": "traffic_shaping", "entitled": true}, "multi_cloud_routing", "distributed_tracing"
        ], "limits": {"max_proxies": 100}, "expires_at": "2099-12-31T00:00:00Z"})),
    )
}

async fn license_server() -> (Arc<Fake>, String) {
    let f = Arc::new(Fake { down: AtomicBool::new(false), revoked: AtomicBool::new(false) });
    let app = axum::Router::new().route("/api/v2/validate", axum::routing::post(validate)).with_state(f.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (f, url)
}

const ENTERPRISE_GETS: [(&str, &str); 5] = [
    ("/api/v1/traffic-shaping/policies", "traffic_shaping"),
    ("/api/v1/multi-cloud/routes", "multi_cloud_routing"),
    ("/api/v1/multi-cloud/analytics/cost", "multi_cloud_routing"),
    ("/api/v1/observability/tracing", "distributed_tracing"),
    ("/api/v1/observability/spans/search", "distributed_tracing"),
];

async fn release(key: Option<&str>, url: &str) -> marchproxy_control_plane::ServeConfig {
    let mut cfg = config().await;
    cfg.release_mode = true;
    cfg.license_key = key.map(str::to_string);
    cfg.license_server_url = url.to_string();
    cfg
}

#[tokio::test]
async fn community_gets_403_with_upgrade_information() {
    let app = ControlPlane::start_with(release(None, "http://127.0.0.1:9").await).await;
    let (s, st) = app.get("/api/v1/license/status").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((st["tier"].as_str(), st["limits"]["max_proxies"].as_i64()), (Some("community"), Some(3)));
    for (path, feature) in ENTERPRISE_GETS {
        let (s, b) = app.get(path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(b["detail"]["error"], "Enterprise feature not available");
        assert_eq!(b["detail"]["feature"], feature);
        assert!(b["detail"]["upgrade_url"].as_str().unwrap().starts_with("https://"));
        assert!(!b["detail"]["message"].as_str().unwrap().is_empty());
    }
    let sid = app.service("web", "web.example.com").await;
    let (s, _) = app.post("/api/v1/traffic-shaping/policies", qos_example(sid)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Non-enterprise parts keep working.
    let (s, _) = app.get("/api/v1/services").await;
    assert_eq!(s, StatusCode::OK);
    app.shutdown().await;
}

#[tokio::test]
async fn enterprise_key_unlocks_and_survives_a_license_server_outage() {
    let (fake, url) = license_server().await;
    let cfg = release(Some(KEY), &url).await;
    let app = ControlPlane::start_with(cfg.clone()).await;
    let (_, st) = app.get("/api/v1/license/status").await;
    assert_eq!((st["tier"].as_str(), st["source"].as_str()), (Some("enterprise"), Some("license_server")));
    assert_eq!(st["key_hint"], "PENG-****-****-****-****-QRST");
    assert!(!st.to_string().contains("ABCD-EFGH"), "the key is never returned in full");
    for (path, _) in ENTERPRISE_GETS {
        let (s, b) = app.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }

    // The license server goes down: a re-validation keeps Enterprise (grace period).
    fake.down.store(true, Ordering::SeqCst);
    let (s, st) = app.post("/api/v1/license/refresh", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((st["tier"].as_str(), st["source"].as_str()), (Some("enterprise"), Some("grace_cache")));
    app.shutdown().await;

    // A restart during the outage recovers the validation persisted in the database.
    let app = ControlPlane::start_with(cfg).await;
    let (_, st) = app.get("/api/v1/license/status").await;
    assert_eq!((st["tier"].as_str(), st["source"].as_str()), (Some("enterprise"), Some("grace_cache")));
    let (s, _) = app.get("/api/v1/traffic-shaping/policies").await;
    assert_eq!(s, StatusCode::OK);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_or_rejected_keys_are_community() {
    let (_fake, url) = license_server().await;
    for key in ["PENG-1234", "PENG-AAAA-BBBB-CCCC-DDDD-EEEE"] {
        let app = ControlPlane::start_with(release(Some(key), &url).await).await;
        let (_, st) = app.get("/api/v1/license/status").await;
        assert_eq!(st["tier"], "community", "{key}: {st}");
        let (s, _) = app.get("/api/v1/traffic-shaping/policies").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn development_mode_has_everything() {
    let app = ControlPlane::start().await;
    let (_, st) = app.get("/api/v1/license/status").await;
    assert_eq!((st["tier"].as_str(), st["release_mode"].as_bool()), (Some("development"), Some(false)));
    assert_eq!(st["features"].as_array().unwrap().len(), 3);
    app.shutdown().await;
}

/// Parallel registrations cannot overrun the Community cap: they queue on the cluster row.
#[tokio::test]
async fn parallel_registrations_stop_at_the_community_cap() {
    let app = ControlPlane::start_with(release(None, "http://127.0.0.1:9").await).await;
    let key = app.key.clone();
    let calls = (0..6).map(|i| {
        let body = json!({"name": format!("edge-{i}"), "version": "test"});
        app.call_as(Some(&key), Method::POST, "/api/v1/proxy/register", Some(body))
    });
    let statuses: Vec<u16> = futures::future::join_all(calls).await.into_iter().map(|(s, _)| s.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 3, "{statuses:?}");
    let (_, proxies) = app.get("/api/v1/proxies").await;
    assert_eq!(proxies.as_array().map(Vec::len), Some(3), "{proxies}");
    app.shutdown().await;
}

/// The default cluster's snapshot as its proxies get it: at once, or after a long-poll
/// from `version`.
async fn snapshot(app: &ControlPlane, version: Option<i64>) -> Value {
    let q = version.map_or("wait_seconds=0".to_string(), |v| format!("version={v}&wait_seconds=20"));
    let r = app.http.get(format!("{}/api/v1/proxy/config?{q}", app.base)).bearer_auth(&app.key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn enterprise_parts(snap: &Value) -> [usize; 3] {
    ["qos_policies", "route_tables", "tracing_configs"].map(|k| snap[k].as_array().unwrap().len())
}

/// A lapsed license reaches the data plane: the next snapshot, sent at once to waiting
/// proxies, carries no enterprise configuration, so proxies stop shaping, routing by table
/// and tracing. A renewed license brings it back. Cleaning up stays allowed meanwhile.
#[tokio::test]
async fn a_lapsed_license_takes_enterprise_config_off_the_data_plane() {
    let (fake, url) = license_server().await;
    let app = ControlPlane::start_with(release(Some(KEY), &url).await).await;
    let sid = app.service("web", "web.example.com").await;
    let qos = app.post_ok("/api/v1/traffic-shaping/policies", qos_example(sid)).await["id"].as_i64().unwrap();
    let rt = app.post_ok("/api/v1/multi-cloud/routes", route_example(sid)).await["id"].as_i64().unwrap();
    let tc = app.post_ok("/api/v1/observability/tracing", tracing_example()).await["id"].as_i64().unwrap();
    let full = snapshot(&app, None).await;
    assert_eq!(enterprise_parts(&full), [1, 1, 1], "{full}");

    // The vendor revokes the key; the next validation (here forced) learns it.
    let waiting = snapshot(&app, full["version"].as_i64());
    let lapse = async {
        fake.revoked.store(true, Ordering::SeqCst);
        let (s, st) = app.post("/api/v1/license/refresh", json!({})).await;
        assert_eq!((s, st["tier"].as_str()), (StatusCode::OK, Some("community")), "{st}");
    };
    let started = std::time::Instant::now();
    let (bare, ()) = tokio::join!(waiting, lapse);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "the long-poll answered at once");
    assert!(bare["version"].as_i64() > full["version"].as_i64());
    assert_eq!(enterprise_parts(&bare), [0, 0, 0], "{bare}");
    assert!(bare["health"].as_array().unwrap().is_empty());
    assert_eq!(bare["services"].as_array().unwrap().len(), 1, "non-enterprise configuration stays");

    // Renewed: everything is back.
    fake.revoked.store(false, Ordering::SeqCst);
    app.post_ok("/api/v1/license/refresh", json!({})).await;
    let back = snapshot(&app, bare["version"].as_i64()).await;
    assert_eq!(enterprise_parts(&back), [1, 1, 1], "{back}");

    // Lapsed again: reading and writing enterprise objects is refused, cleaning up is not.
    fake.revoked.store(true, Ordering::SeqCst);
    app.post_ok("/api/v1/license/refresh", json!({})).await;
    assert_eq!(app.get(&format!("/api/v1/traffic-shaping/policies/{qos}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.put(&format!("/api/v1/traffic-shaping/policies/{qos}"), qos_example(sid)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&format!("/api/v1/traffic-shaping/policies/{qos}/enable"), json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.post(&format!("/api/v1/traffic-shaping/policies/{qos}/disable"), json!({})).await.0, StatusCode::OK);
    assert_eq!(app.delete(&format!("/api/v1/traffic-shaping/policies/{qos}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.post(&format!("/api/v1/multi-cloud/routes/{rt}/disable"), json!({})).await.0, StatusCode::OK);
    assert_eq!(app.delete(&format!("/api/v1/multi-cloud/routes/{rt}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.post(&format!("/api/v1/observability/tracing/{tc}/disable"), json!({})).await.0, StatusCode::OK);
    assert_eq!(app.delete(&format!("/api/v1/observability/tracing/{tc}")).await.0, StatusCode::NO_CONTENT);
    app.shutdown().await;
}

/// A Community first start creates no tracing config (an enterprise object) for the
/// built-in span store; a licensed one does.
#[tokio::test]
async fn first_start_creates_the_starter_tracing_config_only_when_licensed() {
    let (_fake, url) = license_server().await;
    for (key, expected) in [(None, 0), (Some(KEY), 1)] {
        let mut cfg = release(key, &url).await;
        cfg.starter_tracing = true;
        let app = ControlPlane::start_with(cfg).await;
        let db = &app.running().state.db;
        let filter = marchproxy_control_plane::store::ListFilter { limit: 10, ..Default::default() };
        let (_, n) = marchproxy_control_plane::store::tracing_configs::list_tracing(db, &filter).await.unwrap();
        assert_eq!(n, expected, "license key {key:?}");
        app.shutdown().await;
    }
}
