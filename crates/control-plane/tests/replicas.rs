//! Two control-plane replicas on one database: a change written through one wakes the
//! proxies' long-polls on the other at once through Redis.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_write_on_one_replica_wakes_long_polls_on_the_other_through_redis() {
    let mut cfg = config().await;
    cfg.redis_url =
        Some(std::env::var("MARCHPROXY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into()));
    // Without Redis, the other replica would only notice on this (slow) re-check.
    cfg.config_recheck_ms = 20_000;
    let a = ControlPlane::start_with(cfg.clone()).await;
    let b = ControlPlane::start_with(cfg).await;
    assert!(
        a.running().state.db.events.uses_redis() && b.running().state.db.events.uses_redis(),
        "Redis must be reachable for this test"
    );
    // The replica that bootstrapped the database holds the default cluster's key.
    let key = [&a.key, &b.key].into_iter().find(|k| !k.is_empty()).expect("one replica bootstrapped").clone();
    let (_, snap) = b.call_as(Some(&key), Method::GET, "/api/v1/proxy/config?wait_seconds=0", None).await;
    let version = snap["version"].as_i64().unwrap();

    let poll = tokio::spawn(poll_config(b.base.clone(), b.http.clone(), key.clone(), version, 15));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let written = Instant::now();
    let (s, _) = a
        .post(
            "/api/v1/services",
            json!({"name": "web", "cluster_id": 1, "hostnames": ["web.example.com"], "protocol": "http"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (status, _, body) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(written.elapsed() < Duration::from_secs(2), "woken in {:?}", written.elapsed());
    let body = body.unwrap();
    assert!(body["version"].as_i64().unwrap() > version);
    assert_eq!(body["services"][0]["name"], "web");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn exactly_one_replica_probes_and_another_takes_over_when_it_stops() {
    let cfg = config().await;
    let a = ControlPlane::start_with(cfg.clone()).await;
    let b = ControlPlane::start_with(cfg).await;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let probes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = probes.clone();
    tokio::spawn(async move {
        loop {
            if l.accept().await.is_ok() {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    let sid = a.service("web", "web.example.com").await;
    let mut rt = route_example(sid);
    rt["routes"] = json!([{"provider": "aws", "region": "us-east-1", "endpoint": format!("127.0.0.1:{port}")}]);
    rt["health_probe"] = json!({"protocol": "tcp", "interval_seconds": 2, "timeout_seconds": 1});
    let (s, _) = a.post("/api/v1/multi-cloud/routes", rt).await;
    assert_eq!(s, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(5200)).await;
    let seen = probes.load(std::sync::atomic::Ordering::Relaxed);
    // One prober makes about 3 probes in 5 s (2 s interval); two would make about 6.
    assert!((1..=4).contains(&seen), "{seen} probes in 5 s");
    a.shutdown().await;
    let before = probes.load(std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(16)).await;
    let after = probes.load(std::sync::atomic::Ordering::Relaxed);
    assert!(after >= before + 2, "probing continued on the remaining replica ({before} -> {after})");
    b.shutdown().await;
}

/// A proxy that runs a version the database no longer has (restored from an older backup,
/// so `config_version` went down) gets the current snapshot at once, not a 304 until the
/// version climbs past its own.
#[tokio::test]
async fn a_proxy_ahead_of_the_database_gets_the_current_snapshot_at_once() {
    let app = ControlPlane::start().await;
    let key = app.key.clone();
    let get = |version: i64| poll_config(app.base.clone(), app.http.clone(), key.clone(), version, 3);
    let (s, _, body) = get(-1).await;
    assert_eq!(s, StatusCode::OK);
    let current = body.unwrap()["version"].as_i64().unwrap();
    // Same version: nothing to send, the long-poll runs to its end.
    let (s, waited, _) = get(current).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(waited >= Duration::from_secs(2), "{waited:?}");
    // A version the database has never reached: the current snapshot, immediately.
    let (s, waited, body) = get(current + 1000).await;
    assert_eq!(s, StatusCode::OK);
    assert!(waited < Duration::from_secs(1), "{waited:?}");
    assert_eq!(body.unwrap()["version"].as_i64().unwrap(), current);
    app.shutdown().await;
}

/// One config long-poll as a proxy: status, how long it took, and the snapshot if any.
async fn poll_config(
    base: String,
    http: reqwest::Client,
    key: String,
    version: i64,
    wait_seconds: u64,
) -> (StatusCode, Duration, Option<serde_json::Value>) {
    let t = Instant::now();
    let r = http
        .get(format!("{base}/api/v1/proxy/config?version={version}&wait_seconds={wait_seconds}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    (r.status(), t.elapsed(), r.json::<serde_json::Value>().await.ok())
}

/// Proxy reports (which read before they write) racing configuration writes never fail:
/// on SQLite a deferred transaction that read first cannot take the write lock once another
/// connection wrote (SQLITE_BUSY_SNAPSHOT); write transactions begin IMMEDIATE instead.
#[tokio::test]
async fn reports_racing_configuration_writes_all_succeed() {
    let app = ControlPlane::start().await;
    let key = app.key.clone();
    let register = json!({"name": "edge", "version": "test"});
    let (_, reg) = app.call_as(Some(&key), Method::POST, "/api/v1/proxy/register", Some(register)).await;
    let proxy_id = reg["proxy_id"].as_i64().unwrap();
    let reports = (0..20).map(|i| {
        let (app, key) = (&app, &key);
        async move {
            let report = json!({"proxy_id": proxy_id, "report_id": format!("r{i}"), "config_version": 1});
            app.call_as(Some(key), Method::POST, "/api/v1/proxy/report", Some(report)).await.0
        }
    });
    let writes = (0..20).map(|i| {
        let app = &app;
        async move {
            let body = json!({"name": format!("svc-{i}"), "cluster_id": 1, "hostnames": [format!("s{i}.example.com")], "protocol": "http"});
            app.post("/api/v1/services", body).await.0
        }
    });
    let (reports, writes) = tokio::join!(futures::future::join_all(reports), futures::future::join_all(writes));
    assert!(reports.iter().all(|s| *s == StatusCode::OK), "{reports:?}");
    assert!(writes.iter().all(|s| *s == StatusCode::CREATED), "{writes:?}");
    app.shutdown().await;
}

/// Replicas started together on an empty database (a Kubernetes Deployment's first
/// rollout) all start: one creates the admin and the default cluster, the others see them.
#[tokio::test]
async fn replicas_started_together_on_an_empty_database_all_start() {
    let cfg = config().await;
    let starts = (0..3).map(|_| marchproxy_control_plane::start(cfg.clone()));
    let running: Vec<_> =
        futures::future::join_all(starts).await.into_iter().map(|r| r.expect("every replica starts")).collect();
    let admins = running.iter().filter(|r| r.bootstrapped.admin_created).count();
    let clusters = running.iter().filter(|r| r.bootstrapped.default_cluster_key.is_some()).count();
    assert_eq!((admins, clusters), (1, 1));
    let users = marchproxy_control_plane::store::users::list_users(&running[0].state.db).await.unwrap();
    assert_eq!(users.len(), 1);
    for r in running {
        r.shutdown().await;
    }
}

/// Drill: Redis dies under two replicas. Writes keep succeeding (users see no error), and a
/// write on one replica still reaches a long-poll on the other, through the database
/// re-check instead of Redis; when Redis returns, changes go through it again.
#[tokio::test]
async fn with_redis_down_replicas_fall_back_to_the_database_recheck() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let redis = |port: u16| {
        std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)")
    };
    let mut server = redis(port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut cfg = config().await;
    cfg.redis_url = Some(format!("redis://127.0.0.1:{port}/0"));
    // Slow enough that a fast wake can only have come through Redis.
    cfg.config_recheck_ms = 8000;
    let a = ControlPlane::start_with(cfg.clone()).await;
    let b = ControlPlane::start_with(cfg).await;
    assert!(a.running().state.db.events.uses_redis() && b.running().state.db.events.uses_redis());
    let key = [&a.key, &b.key].into_iter().find(|k| !k.is_empty()).unwrap().clone();
    // A write on `a`, seen by a long-poll on `b`: how long it took.
    let round = |name: String| {
        let (a, b, key) = (&a, &b, key.clone());
        async move {
            let (_, snap) = b.call_as(Some(&key), Method::GET, "/api/v1/proxy/config?wait_seconds=0", None).await;
            let version = snap["version"].as_i64().unwrap();
            let poll = tokio::spawn(poll_config(b.base.clone(), b.http.clone(), key, version, 15));
            tokio::time::sleep(Duration::from_millis(200)).await;
            let written = Instant::now();
            let (s, body) = a
                .post(
                    "/api/v1/services",
                    json!({"name": name, "cluster_id": 1, "hostnames": [format!("{name}.test")], "protocol": "http"}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
            let (status, _, snap) = poll.await.unwrap();
            assert_eq!(status, StatusCode::OK);
            assert!(snap.unwrap()["services"].as_array().unwrap().iter().any(|s| s["name"] == name));
            written.elapsed()
        }
    };
    let with_redis = round("one".into()).await;
    assert!(with_redis < Duration::from_secs(1), "through Redis: {with_redis:?}");

    server.kill().unwrap();
    server.wait().unwrap();
    let took = round("two".into()).await;
    assert!(took < Duration::from_millis(9500), "through the database re-check (8 s): {took:?}");
    // Reads and writes on both replicas answer as usual.
    assert_eq!(b.get("/api/v1/services").await.0, StatusCode::OK);

    // Redis comes back on the same port: the replicas reconnect by themselves.
    let mut server = redis(port);
    let mut fast = Duration::MAX;
    for i in 0..6 {
        fast = round(format!("back{i}")).await;
        if fast < Duration::from_secs(1) {
            break;
        }
    }
    assert!(fast < Duration::from_secs(1), "through Redis again: {fast:?}");
    server.kill().unwrap();
    let _ = server.wait();
    a.shutdown().await;
    b.shutdown().await;
}
