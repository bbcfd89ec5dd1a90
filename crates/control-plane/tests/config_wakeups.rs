//! A configuration change is one operation: every write that changes what proxies enforce
//! (it bumps the cluster's `config_version`) also wakes the proxies' config long-polls when
//! it commits. The database re-check is made very slow here, so a write path that forgot to
//! wake them leaves its long-poll waiting until `wait_seconds` (a 304), and this test names it.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How soon after a change its long-poll must answer (the re-check is a minute away).
const WAKE_WITHIN_MS: i64 = 300;
/// How long each long-poll may wait before it gives up with a 304.
const POLL_WAIT_SECONDS: u64 = 10;

/// What a step does to change the configuration.
enum Write {
    /// An API call; `{name}` in the path is an id saved by an earlier step, and `save`
    /// keeps the answer's `id` under that name.
    Call { method: Method, path: &'static str, body: Option<fn(&Ids) -> Value>, save: Option<&'static str> },
    /// Start a live failover drill (1 s) that drains endpoint `b`.
    DrillStart,
    /// The drill ends by itself and restores the endpoint.
    DrillEnd,
    /// Endpoint `a` stops listening; the health monitor marks it unhealthy.
    HealthFlip,
}

type Ids = HashMap<&'static str, i64>;

fn service(description: &str, enabled: bool) -> Value {
    json!({"name": "web", "description": description, "cluster_id": 1, "hostnames": ["web.example.com"],
           "protocol": "http", "enabled": enabled})
}

fn qos(ids: &Ids, egress_mbps: u32) -> Value {
    let mut p = qos_example(ids["service"]);
    p["bandwidth"]["egress_mbps"] = json!(egress_mbps);
    p
}

fn tracing(sampling_rate: f64) -> Value {
    let mut t = tracing_example();
    t["sampling_rate"] = json!(sampling_rate);
    t
}

/// Two endpoints that listen (ports `a` and `b`), probed over TCP every 2 s; one failed
/// probe marks an endpoint unhealthy.
fn route_table(ids: &Ids, algorithm: &str) -> Value {
    let mut rt = route_example(ids["service"]);
    rt["algorithm"] = json!(algorithm);
    rt["routes"][0]["endpoint"] = json!(format!("127.0.0.1:{}", ids["a"]));
    rt["routes"][1]["endpoint"] = json!(format!("127.0.0.1:{}", ids["b"]));
    rt["health_probe"] = json!({"protocol": "tcp", "interval_seconds": 2, "timeout_seconds": 1,
                                "unhealthy_threshold": 1, "healthy_threshold": 2});
    rt
}

fn steps() -> Vec<(&'static str, Write)> {
    use Write::*;
    let call = |method: Method, path, body: Option<fn(&Ids) -> Value>, save| Call { method, path, body, save };
    vec![
        ("create a service", call(Method::POST, "/api/v1/services", Some(|_| service("v1", true)), Some("service"))),
        ("update a service", call(Method::PUT, "/api/v1/services/{service}", Some(|_| service("v2", true)), None)),
        ("disable a service", call(Method::PUT, "/api/v1/services/{service}", Some(|_| service("v2", false)), None)),
        ("enable a service", call(Method::PUT, "/api/v1/services/{service}", Some(|_| service("v2", true)), None)),
        (
            "create a QoS policy",
            call(Method::POST, "/api/v1/traffic-shaping/policies", Some(|i| qos(i, 100)), Some("policy")),
        ),
        (
            "update a QoS policy",
            call(Method::PUT, "/api/v1/traffic-shaping/policies/{policy}", Some(|i| qos(i, 200)), None),
        ),
        ("disable a QoS policy", call(Method::POST, "/api/v1/traffic-shaping/policies/{policy}/disable", None, None)),
        ("enable a QoS policy", call(Method::POST, "/api/v1/traffic-shaping/policies/{policy}/enable", None, None)),
        (
            "create a tracing config",
            call(Method::POST, "/api/v1/observability/tracing", Some(|_| tracing(0.1)), Some("tracing")),
        ),
        (
            "update a tracing config",
            call(Method::PUT, "/api/v1/observability/tracing/{tracing}", Some(|_| tracing(0.2)), None),
        ),
        ("disable a tracing config", call(Method::POST, "/api/v1/observability/tracing/{tracing}/disable", None, None)),
        ("enable a tracing config", call(Method::POST, "/api/v1/observability/tracing/{tracing}/enable", None, None)),
        ("delete a tracing config", call(Method::DELETE, "/api/v1/observability/tracing/{tracing}", None, None)),
        (
            "create a route table",
            call(Method::POST, "/api/v1/multi-cloud/routes", Some(|i| route_table(i, "latency")), Some("routes")),
        ),
        (
            "update a route table",
            call(Method::PUT, "/api/v1/multi-cloud/routes/{routes}", Some(|i| route_table(i, "cost")), None),
        ),
        ("disable a route table", call(Method::POST, "/api/v1/multi-cloud/routes/{routes}/disable", None, None)),
        ("enable a route table", call(Method::POST, "/api/v1/multi-cloud/routes/{routes}/enable", None, None)),
        ("a failover drill drains an endpoint", DrillStart),
        ("the drill restores the endpoint", DrillEnd),
        ("the health monitor marks an endpoint unhealthy", HealthFlip),
        ("delete a route table", call(Method::DELETE, "/api/v1/multi-cloud/routes/{routes}", None, None)),
        ("delete a QoS policy", call(Method::DELETE, "/api/v1/traffic-shaping/policies/{policy}", None, None)),
        ("delete a service", call(Method::DELETE, "/api/v1/services/{service}", None, None)),
    ]
}

/// A TCP listener that accepts until its task is aborted (then its port refuses).
async fn listener() -> (u16, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let _ = l.accept().await;
        }
    });
    (port, task)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The proxy's side: its cluster key and registered id.
struct Proxy<'a> {
    app: &'a ControlPlane,
    key: String,
    id: i64,
}

impl Proxy<'_> {
    async fn current_version(&self) -> i64 {
        let (s, snap) = self.app.call_as(Some(&self.key), Method::GET, "/api/v1/proxy/config", None).await;
        assert_eq!(s, StatusCode::OK, "{snap}");
        snap["version"].as_i64().unwrap()
    }

    /// Start a long-poll at `version`; returns once the control plane is serving it (the
    /// poll's heartbeat has acknowledged `version`), with the answer to come: status,
    /// snapshot, and when it arrived (epoch ms).
    async fn park(&self, version: i64) -> tokio::task::JoinHandle<(StatusCode, Value, i64)> {
        let req = self
            .app
            .http
            .get(format!(
                "{}/api/v1/proxy/config?version={version}&proxy_id={}&wait_seconds={POLL_WAIT_SECONDS}",
                self.app.base, self.id
            ))
            .bearer_auth(&self.key);
        let poll = tokio::spawn(async move {
            let r = req.send().await.unwrap();
            let answered = now_ms();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null), answered)
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (_, proxies) = self.app.get("/api/v1/proxies?cluster_id=1").await;
            let acked =
                proxies.as_array().unwrap().iter().find(|p| p["id"] == self.id).unwrap()["config_version"].clone();
            if acked == version {
                return poll;
            }
            assert!(Instant::now() < deadline, "the long-poll at version {version} never reached the control plane");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

#[tokio::test]
async fn every_configuration_write_wakes_the_long_polls_at_once() {
    let mut cfg = config().await;
    // A long-poll notices a change it was not woken for only on this re-check.
    cfg.config_recheck_ms = 60_000;
    let app = ControlPlane::start_with(cfg).await;
    let key = app.key.clone();
    let (s, reg) = app
        .call_as(Some(&key), Method::POST, "/api/v1/proxy/register", Some(json!({"name": "edge", "version": "test"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{reg}");
    let proxy = Proxy { app: &app, key, id: reg["proxy_id"].as_i64().unwrap() };
    let (a, a_task) = listener().await;
    let (b, _b_task) = listener().await;
    let mut ids: Ids = HashMap::from([("a", a as i64), ("b", b as i64)]);
    let mut a_task = Some(a_task);
    let mut drill: Option<tokio::task::JoinHandle<(StatusCode, Value)>> = None;
    let mut drained_until = 0;

    let mut version = proxy.current_version().await;
    for (name, write) in steps() {
        let poll = proxy.park(version).await;
        let started = now_ms();
        match &write {
            Write::Call { method, path, body, save } => {
                let mut path = path.to_string();
                for (k, v) in &ids {
                    path = path.replace(&format!("{{{k}}}"), &v.to_string());
                }
                let (s, answer) = app.call_as(Some(&app.token), method.clone(), &path, body.map(|b| b(&ids))).await;
                assert!(s.is_success(), "{name}: {s} {answer}");
                if let Some(save) = save {
                    ids.insert(save, answer["id"].as_i64().unwrap());
                }
            }
            Write::DrillStart => {
                let (http, base, token) = (app.http.clone(), app.base.clone(), app.token.clone());
                let path = format!("{base}/api/v1/multi-cloud/routes/{}/test-failover", ids["routes"]);
                let body = json!({"endpoint": format!("127.0.0.1:{b}"), "dry_run": false, "duration_seconds": 1});
                drill = Some(tokio::spawn(async move {
                    let r = http.post(path).bearer_auth(token).json(&body).send().await.unwrap();
                    (r.status(), r.json().await.unwrap_or(Value::Null))
                }));
            }
            Write::DrillEnd => {}
            Write::HealthFlip => a_task.take().unwrap().abort(),
        }
        let written = now_ms();
        let (status, snap, answered) = poll.await.unwrap();
        assert_eq!(
            status,
            StatusCode::OK,
            "{name}: the long-poll at version {version} was not woken (it waited {POLL_WAIT_SECONDS} s for the slow re-check)"
        );
        let new_version = snap["version"].as_i64().unwrap();
        assert!(new_version > version, "{name}: answered with version {new_version}, not newer than {version}");
        // When the change happened: for API calls, when the call returned (it committed
        // before); for the drill and the health monitor, what the snapshot records.
        let changed_at = match &write {
            Write::Call { .. } => written,
            Write::DrillStart => {
                let d = &snap["drained"][0];
                assert_eq!(d["endpoint"], json!(format!("127.0.0.1:{b}")), "{name}: {snap}");
                drained_until = d["until_unix_ms"].as_i64().unwrap();
                drained_until - 1000
            }
            Write::DrillEnd => {
                assert_eq!(snap["drained"], json!([]), "{name}: {snap}");
                drained_until
            }
            Write::HealthFlip => {
                let h = snap["health"].as_array().unwrap();
                let h = h.iter().find(|h| h["endpoint"] == json!(format!("127.0.0.1:{a}"))).unwrap();
                assert_eq!(h["is_healthy"], false, "{name}: {snap}");
                chrono::DateTime::parse_from_rfc3339(h["last_check"].as_str().unwrap()).unwrap().timestamp_millis()
            }
        };
        assert!(answered >= started, "{name}: the long-poll answered before the write began");
        assert!(
            answered - changed_at <= WAKE_WITHIN_MS,
            "{name}: the long-poll answered {} ms after the change",
            answered - changed_at
        );
        version = new_version;
        if matches!(write, Write::DrillEnd) {
            let (s, result) = drill.take().unwrap().await.unwrap();
            assert_eq!(s, StatusCode::OK, "{result}");
            assert_eq!(result["restored"], true, "{result}");
        }
    }
    app.shutdown().await;
}

/// Fifty proxies of one cluster wait on one version; a change wakes them all. The snapshot
/// is read and encoded once (not fifty times), and every proxy gets the same bytes.
#[tokio::test]
async fn one_snapshot_build_serves_every_waiting_proxy() {
    let app = ControlPlane::start().await;
    let version = app.version().await;
    let builds = || app.running().state.snapshots.builds.load(std::sync::atomic::Ordering::Relaxed);
    let before = builds();
    let polls = (0..50).map(|_| {
        let app = &app;
        async move {
            let r = app
                .http
                .get(format!("{}/api/v1/proxy/config?version={version}&wait_seconds=10", app.base))
                .bearer_auth(&app.key)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        }
    });
    let change = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.service("web", "web.example.com").await;
    };
    let (bodies, ()) = tokio::join!(futures::future::join_all(polls), change);
    let first: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(first["version"], version + 1);
    assert_eq!(first["services"][0]["name"], "web");
    assert!(bodies.iter().all(|b| b == &bodies[0]), "every proxy got the same snapshot");
    assert_eq!(builds() - before, 1, "one build for fifty proxies");
    app.shutdown().await;
}
