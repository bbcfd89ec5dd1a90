//! Failure handling on real sockets: killed upstreams, control-plane outages, hot
//! reloads under load, exact traffic accounting, live failover drills, the proxy cap.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

/// Send GETs in a loop; returns (ok, failed, names answered in order with timestamps).
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    log: Arc<std::sync::Mutex<Vec<(Instant, String)>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(p: &marchproxy_proxy::Running, host: &'static str, workers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let addr = p.addr;
        let tasks = (0..workers)
            .map(|_| {
                let (stop, ok, failed, log) = (stop.clone(), ok.clone(), failed.clone(), log.clone());
                tokio::spawn(async move {
                    let c = client();
                    while !stop.load(Ordering::Relaxed) {
                        match c.get(format!("http://{addr}/")).header("host", host).send().await {
                            Ok(r) if r.status() == 200 => {
                                ok.fetch_add(1, Ordering::Relaxed);
                                let body = r.text().await.unwrap_or_default();
                                log.lock().unwrap().push((Instant::now(), body));
                            }
                            _ => {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                })
            })
            .collect();
        Load { stop, ok, failed, log, tasks }
    }

    async fn finish(self) -> (u64, u64, Vec<(Instant, String)>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
        let log = std::mem::take(&mut *self.log.lock().unwrap());
        (self.ok.load(Ordering::Relaxed), self.failed.load(Ordering::Relaxed), log)
    }
}

#[tokio::test]
async fn killing_the_primary_moves_traffic_at_once_and_it_fails_back_after_probes() {
    let probe = json!({"protocol": "tcp", "interval_seconds": 2, "timeout_seconds": 1, "unhealthy_threshold": 2, "healthy_threshold": 2});
    let TwoRegions { cp, mut a, b: _b, table: t, proxy: p, .. } = TwoRegions::start("failover", probe, |_| {}).await;
    let load = Load::start(&p, "web.example.com", 4);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Instant::now();
    a.kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (ok, failed, log) = load.finish().await;
    assert!(ok > 100, "traffic flowed: {ok}");
    assert_eq!(failed, 0, "idempotent requests are retried on another endpoint");
    let first_b =
        log.iter().find(|(t, n)| *t >= killed && n == "b").map(|(t, _)| t.duration_since(killed)).expect("b took over");
    assert!(first_b < Duration::from_secs(1), "took {first_b:?}");
    assert!(log.iter().filter(|(t, _)| *t > killed + Duration::from_millis(200)).all(|(_, n)| n == "b"));

    // The probes see it down, then up again: traffic fails back after healthy_threshold probes.
    eventually(Duration::from_secs(8), || async {
        cp.get_ok(&format!("/api/v1/multi-cloud/routes/{t}/health")).await[0]["is_healthy"] == false
    })
    .await;
    a.revive().await;
    let c = client();
    eventually(Duration::from_secs(10), || async { get(&c, &p, "web.example.com", "/").await.1 == "a" }).await;
    p.shutdown().await;
}

#[tokio::test]
async fn hot_reload_under_load_fails_no_request() {
    let TwoRegions { cp, a: _a, b: _b, table: t, proxy: p, .. } =
        TwoRegions::start("weighted_rr", quiet_probe(), |_| {}).await;
    let load = Load::start(&p, "web.example.com", 4);
    for i in 0..10 {
        let mut spec = cp.get_ok(&format!("/api/v1/multi-cloud/routes/{t}")).await;
        spec["routes"][0]["weight"] = json!(10 + i * 9);
        spec["algorithm"] = json!(if i % 2 == 0 { "latency" } else { "weighted_rr" });
        cp.put_ok(&format!("/api/v1/multi-cloud/routes/{t}"), spec).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let (ok, failed, _) = load.finish().await;
    assert!(ok > 200);
    assert_eq!(failed, 0);
    assert!(p.proxy.metrics.config_version.load(Ordering::Relaxed) >= cp.version().await);
    p.shutdown().await;
}

#[tokio::test]
async fn control_plane_outage_keeps_traffic_flowing_and_counts_exact_bytes() {
    let mut cp = ControlPlane::start().await;
    let a = Upstream::start("a").await;
    let svc = cp.service("web", "web.example.com").await;
    let mut r = route(&a, "aws", "us-east-1");
    r["cost_per_gb"] = json!(0.09);
    cp.route_table(svc, "failover", vec![r], quiet_probe()).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();
    for _ in 0..10 {
        let (s, body, _) = get(&c, &p, "web.example.com", "/bytes/100000").await;
        assert_eq!((s, body.len()), (200, 100000));
    }
    cp.stop().await;
    // The control plane is down: traffic still flows with the last good configuration.
    for _ in 0..10 {
        let (s, body, _) = get(&c, &p, "web.example.com", "/bytes/100000").await;
        assert_eq!((s, body.len()), (200, 100000));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    cp.restart().await;
    // The proxy reconnects; a new change reaches it.
    let b = Upstream::start("b").await;
    let t2 = cp.service("other", "other.example.com").await;
    cp.route_table(t2, "failover", vec![route(&b, "gcp", "us-central1")], quiet_probe()).await;
    eventually(Duration::from_secs(8), || async { get(&c, &p, "other.example.com", "/").await.1 == "b" }).await;

    // Every byte sent before, during and after the outage is counted once.
    let want_bytes = 20 * 100_000;
    eventually(Duration::from_secs(5), || async {
        cp.get_ok("/api/v1/multi-cloud/analytics/cost?days=1").await["providers"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["provider"] == "aws").map(|x| x["egress_bytes"] == want_bytes))
            .unwrap_or(false)
    })
    .await;
    let report = cp.get_ok("/api/v1/multi-cloud/analytics/cost?days=1").await;
    let aws = report["providers"].as_array().unwrap().iter().find(|x| x["provider"] == "aws").unwrap().clone();
    assert_eq!(aws["requests"], 20);
    let want_cost = want_bytes as f64 / 1_073_741_824.0 * 0.09;
    assert!((aws["cost"].as_f64().unwrap() - want_cost).abs() < 1e-12, "{aws}");
    assert_eq!(report["by_service"][0]["service_name"], "web");
    assert_eq!(report["regions"][0]["region"], "us-east-1");
    let total: i64 = report["providers"].as_array().unwrap().iter().map(|x| x["egress_bytes"].as_i64().unwrap()).sum();
    let daily: i64 = report["daily"].as_array().unwrap().iter().map(|x| x["egress_bytes"].as_i64().unwrap()).sum();
    assert_eq!(daily, total);
    // And it stays exact (no double counting from retried reports).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let again = cp.get_ok("/api/v1/multi-cloud/analytics/cost?days=1").await;
    assert_eq!(again["providers"][0], aws);

    // The original MarchProxy client's request (no parameters: 7 days) and the fields it
    // reads, computed from the same bytes; its service_id and route_id filters.
    let orig = cp.get_ok("/api/v1/multi-cloud/analytics/cost").await;
    assert_eq!(orig["period_days"], 7.0, "{orig}");
    assert!(orig["period_start"].is_string() && orig["period_end"].is_string());
    assert_eq!(orig["currency"], "USD");
    assert_eq!(orig["total_cost_usd"], orig["total_cost"], "{orig}");
    assert!((orig["by_provider"]["aws"].as_f64().unwrap() - want_cost).abs() < 1e-12, "{orig}");
    assert!((orig["by_region"]["us-east-1"].as_f64().unwrap() - want_cost).abs() < 1e-12, "{orig}");
    assert_eq!(orig["route_count"], 2, "the two tables that carried traffic: {orig}");
    let web_table = cp.get_ok(&format!("/api/v1/multi-cloud/routes?service_id={svc}")).await[0]["id"].as_i64().unwrap();
    for q in [format!("service_id={svc}"), format!("route_id={web_table}")] {
        let r = cp.get_ok(&format!("/api/v1/multi-cloud/analytics/cost?{q}")).await;
        assert!((r["total_cost_usd"].as_f64().unwrap() - want_cost).abs() < 1e-12, "{q}: {r}");
    }
    for q in [format!("service_id={}", t2 + 1000), format!("route_id={}", web_table + 1000)] {
        let r = cp.get_ok(&format!("/api/v1/multi-cloud/analytics/cost?{q}")).await;
        assert_eq!((r["total_cost_usd"].as_f64(), r["route_count"].as_i64()), (Some(0.0), Some(0)), "{q}: {r}");
    }
    p.shutdown().await;
}

#[tokio::test]
async fn live_failover_drill_moves_traffic_and_restores() {
    let TwoRegions { cp, a, b, table: t, proxy: p, .. } = TwoRegions::start("failover", quiet_probe(), |_| {}).await;
    let load = Load::start(&p, "web.example.com", 2);
    let (s, r) = cp
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/multi-cloud/routes/{t}/test-failover"),
            Some(json!({"dry_run": false, "duration_seconds": 4})),
        )
        .await;
    let (ok, failed, _) = load.finish().await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["dry_run"], false);
    assert!(r["drill_id"].as_i64().is_some(), "{r}");
    assert_eq!(r["removed_endpoint"], a.url());
    assert_eq!(r["failover_target"], b.url(), "{r}");
    assert_eq!(r["traffic_moved"], true, "{r}");
    assert!(r["switch_time_ms"].as_f64().unwrap() < 1000.0, "{r}");
    assert_eq!(r["failed_requests"], 0);
    assert_eq!(r["restored"], true);
    assert!(ok > 50 && failed == 0);
    // Restored: traffic goes back to the primary.
    let c = client();
    eventually(Duration::from_secs(2), || async { get(&c, &p, "web.example.com", "/").await.1 == "a" }).await;
    p.shutdown().await;
}

#[tokio::test]
async fn a_live_drill_asked_not_to_wait_answers_at_once_and_is_followed_at_its_record() {
    let TwoRegions { cp, a, b, table: t, proxy: p, .. } = TwoRegions::start("failover", quiet_probe(), |_| {}).await;
    let load = Load::start(&p, "web.example.com", 2);
    let asked = Instant::now();
    let resp = cp
        .http
        .post(format!("{}/api/v1/multi-cloud/routes/{t}/test-failover", cp.base))
        .bearer_auth(&cp.token)
        .json(&json!({"dry_run": false, "duration_seconds": 4, "wait": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert!(asked.elapsed() < Duration::from_secs(2), "answered before the drill ended: {:?}", asked.elapsed());
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let drill: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/multi-cloud/routes/{t}/drills/{}", drill["id"]));
    assert_eq!((drill["status"].as_str(), drill["endpoint"].as_str()), (Some("running"), Some(a.url().as_str())));
    assert_eq!(drill["result"], serde_json::Value::Null);
    // While it runs, traffic goes to b.
    let c = client();
    eventually(Duration::from_secs(2), || async { get(&c, &p, "web.example.com", "/").await.1 == "b" }).await;
    assert_eq!(cp.get_ok(&location).await["status"], "running");
    // It ends on its own and records what it found.
    let done = cp.drill_ended(&location).await;
    let (ok, failed, _) = load.finish().await;
    assert_eq!(done["status"], "finished", "{done}");
    let r = &done["result"];
    assert_eq!((r["drill_id"].clone(), r["traffic_moved"].clone()), (drill["id"].clone(), json!(true)), "{done}");
    assert_eq!((r["failover_target"].as_str(), r["restored"].as_bool()), (Some(b.url().as_str()), Some(true)));
    assert!(ok > 50 && failed == 0, "{ok} ok, {failed} failed");
    eventually(Duration::from_secs(2), || async { get(&c, &p, "web.example.com", "/").await.1 == "a" }).await;
    // Another table's id does not reach this drill.
    let (s, _) = cp.get(&format!("/api/v1/multi-cloud/routes/{}/drills/{}", t + 1000, drill["id"])).await;
    assert_eq!(s, 404);
    p.shutdown().await;
}

#[tokio::test]
async fn a_live_drill_whose_client_stops_waiting_still_ends_restores_and_records() {
    let TwoRegions { cp, a, b: _b, table: t, proxy: p, .. } =
        TwoRegions::start("failover", quiet_probe(), |_| {}).await;
    // A client with a short timeout, as schemathesis's was: it gives up during the drill.
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(800)).build().unwrap();
    let err = impatient
        .post(format!("{}/api/v1/multi-cloud/routes/{t}/test-failover", cp.base))
        .bearer_auth(&cp.token)
        .json(&json!({"dry_run": false, "duration_seconds": 2}))
        .send()
        .await
        .expect_err("the client gives up before the drill ends");
    assert!(err.is_timeout(), "{err}");
    // The drill went on: the endpoint is out, then back, and the outcome is recorded (this
    // control plane's first drill).
    let c = client();
    eventually(Duration::from_secs(2), || async { get(&c, &p, "web.example.com", "/").await.1 == "b" }).await;
    let done = cp.drill_ended(&format!("/api/v1/multi-cloud/routes/{t}/drills/1")).await;
    assert_eq!(
        (done["status"].as_str(), done["endpoint"].as_str()),
        (Some("finished"), Some(a.url().as_str())),
        "{done}"
    );
    assert_eq!(done["result"]["restored"], true, "{done}");
    eventually(Duration::from_secs(2), || async { get(&c, &p, "web.example.com", "/").await.1 == "a" }).await;
    p.shutdown().await;
}

#[tokio::test]
async fn community_license_caps_a_cluster_at_three_proxies() {
    let dir = temp_dir();
    let mut cfg =
        marchproxy_control_plane::ServeConfig::for_tests(dir.clone(), format!("sqlite://{}/cp.db", dir.display()));
    cfg.release_mode = true;
    cfg.secret_key = Some("x".repeat(40));
    let cp = ControlPlane::start_with(cfg).await;
    let mut running = vec![];
    for _ in 0..3 {
        running.push(proxy(&cp, |_| {}).await);
    }
    let mut cfg = marchproxy_proxy::ProxyConfig::new(cp.base.clone(), cp.key.clone(), "127.0.0.1:0".into());
    cfg.name = Some("fourth".into());
    let err = marchproxy_proxy::start(cfg).await.err().expect("the fourth proxy is refused");
    assert!(err.to_string().contains("proxy limit reached"), "{err}");
    let proxies = cp.get_ok("/api/v1/proxies").await;
    assert_eq!(proxies.as_array().unwrap().len(), 3);
    assert!(
        proxies
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "online" && p["version"] == env!("CARGO_PKG_VERSION"))
    );
    // A bad key is refused outright.
    let mut cfg = marchproxy_proxy::ProxyConfig::new(cp.base.clone(), "mpk_wrong".into(), "127.0.0.1:0".into());
    cfg.name = Some("intruder".into());
    assert!(marchproxy_proxy::start(cfg).await.err().unwrap().to_string().contains("API key"));
    for p in running {
        p.shutdown().await;
    }
}

#[tokio::test]
async fn invalid_snapshots_are_rejected_whole() {
    let (ctl, _a, p) = web_behind_proxy(|_| {}).await;
    let good = p.proxy.runtime.load().as_ref().unwrap().version;
    // A snapshot from a confused control plane: a route with an unparsable endpoint.
    ctl.update(|s| s["route_tables"][0]["routes"][0]["endpoint"] = json!("not an endpoint"));
    eventually(Duration::from_secs(5), || async {
        p.proxy.render_metrics().contains("marchproxy_rejected_snapshots_total 1")
    })
    .await;
    assert_eq!(p.proxy.runtime.load().as_ref().unwrap().version, good, "the last good configuration keeps serving");
    assert_eq!(get(&client(), &p, "web.example.com", "/").await.1, "a");
    p.shutdown().await;
}

/// A response still streaming from an endpoint when a new configuration removes that
/// endpoint is counted to the last byte: its counters outlive the configuration until the
/// body ends, and are reported once more after that.
#[tokio::test]
async fn bytes_streamed_after_an_endpoint_left_the_configuration_are_counted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const HALF: usize = 150_000;
    let cp = ControlPlane::start().await;
    // An upstream that sends half of a 2×HALF body, then the rest when told to.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = format!("http://{}", l.local_addr().unwrap());
    let release = Arc::new(tokio::sync::Notify::new());
    let rel = release.clone();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let mut head = Vec::new();
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0);
            head.extend_from_slice(&buf[..n]);
        }
        let hdr = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", 2 * HALF);
        s.write_all(hdr.as_bytes()).await.unwrap();
        s.write_all(&vec![b'x'; HALF]).await.unwrap();
        rel.notified().await;
        s.write_all(&vec![b'y'; HALF]).await.unwrap();
        let _ = s.read(&mut buf).await;
    });
    let other = Upstream::start("other").await;
    let svc = cp.service("web", "web.example.com").await;
    let slow_route = json!({"provider": "aws", "region": "us-east-1", "endpoint": slow, "weight": 100,
        "cost_per_gb": 0.05, "is_active": true});
    let t = cp.route_table(svc, "failover", vec![slow_route], quiet_probe()).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;

    let mut resp =
        client().get(format!("http://{}/big", p.addr)).header("host", "web.example.com").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut got = 0usize;
    while got < HALF {
        got += resp.chunk().await.unwrap().expect("first half").len();
    }
    // The first half is reported while the endpoint is still configured (priced as aws).
    eventually(Duration::from_secs(5), || async {
        cp.get_ok("/api/v1/multi-cloud/analytics/cost?days=1").await["total_egress_gb"].as_f64().unwrap_or(0.0) > 0.0
    })
    .await;
    // The endpoint leaves the configuration mid-body; several report cycles pass.
    let mut table = cp.get_ok(&format!("/api/v1/multi-cloud/routes/{t}")).await;
    table["routes"] = json!([route(&other, "gcp", "us-central1")]);
    for k in ["id", "created_at", "updated_at"] {
        table.as_object_mut().unwrap().remove(k);
    }
    cp.put_ok(&format!("/api/v1/multi-cloud/routes/{t}"), table).await;
    synced(&cp, &p).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    release.notify_one();
    while let Some(c) = resp.chunk().await.unwrap() {
        got += c.len();
    }
    assert_eq!(got, 2 * HALF);
    eventually(Duration::from_secs(5), || async {
        cp.get_ok("/api/v1/multi-cloud/analytics/cost?days=1").await["providers"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["provider"] == "aws").map(|x| x["egress_bytes"] == 2 * HALF))
            .unwrap_or(false)
    })
    .await;
    p.shutdown().await;
}

/// An L4 (TCP) connection silent in both directions for `--tcp-idle-timeout-seconds` is
/// closed; one that keeps talking is not.
#[tokio::test]
async fn idle_tcp_connections_are_closed_busy_ones_are_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A TCP echo upstream.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let echo = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ctl = FakeController::start().await;
    ctl.service("db", "db.internal", &[echo.to_string()]);
    ctl.update(|s| {
        s["services"][0]["protocol"] = json!("tcp");
        s["services"][0]["listen_port"] = json!(port);
    });
    let p = proxy(&ctl, |c| c.tcp_idle_timeout_seconds = 1).await;
    synced(&ctl, &p).await;
    let connect = || async {
        for _ in 0..100 {
            if let Ok(c) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the TCP listener is up");
    };

    let mut idle = connect().await;
    let mut busy = connect().await;
    let started = Instant::now();
    let mut b = [0u8; 4];
    // The busy one exchanges a few bytes every 300 ms for 3 s: longer than two idle periods.
    while started.elapsed() < Duration::from_secs(3) {
        busy.write_all(b"ping").await.unwrap();
        busy.read_exact(&mut b).await.expect("the busy connection stays open");
        assert_eq!(&b, b"ping");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The idle one was closed by then: its read ends at once.
    let r = tokio::time::timeout(Duration::from_millis(500), idle.read(&mut b)).await;
    assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "the idle connection was closed: {r:?}");
    p.shutdown().await;
}

/// Several control-plane replicas (`MARCHPROXY_CONTROL_PLANE=a,b,…`): a proxy starts past a
/// replica that is down, and when the replica it long-polls stops, the next poll goes to
/// the other one (one re-poll), which keeps delivering changes. Traffic never fails.
#[tokio::test]
async fn proxies_fail_over_between_control_plane_replicas() {
    let mut a = ControlPlane::start().await;
    // A second replica on the same database (SQLite here, PostgreSQL in production).
    let mut cfg = a.cfg.clone();
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    let b = ControlPlane::start_with(cfg).await;
    let up = Upstream::start("a").await;
    let svc = a.service("web", "web.example.com").await;
    a.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;

    let p = proxy_of(&format!("http://127.0.0.1:1,{},{}/", a.base, b.base), &a.key, |_| {}).await;
    synced(&a, &p).await;
    let current = |m: &str| {
        m.lines().find_map(|l| {
            l.strip_prefix("marchproxy_control_plane_current{url=\"")?.split('"').next().map(str::to_string)
        })
    };
    let failovers = |m: &str| {
        m.lines().find_map(|l| l.strip_prefix("marchproxy_control_plane_failovers_total ")?.parse::<u64>().ok())
    };
    let m = metrics(&p).await;
    assert_eq!(current(&m).as_deref(), Some(a.base.as_str()), "{m}");
    assert_eq!(failovers(&m), Some(1), "the dead replica was skipped once");

    let load = Load::start(&p, "web.example.com", 4);
    a.stop().await;
    // A change made through the other replica reaches the proxy through it.
    let up2 = Upstream::start("b").await;
    let t2 = b.service("other", "other.example.com").await;
    b.route_table(t2, "failover", vec![route(&up2, "gcp", "us-central1")], quiet_probe()).await;
    let c = client();
    eventually(Duration::from_secs(5), || async { get(&c, &p, "other.example.com", "/").await.1 == "b" }).await;
    let m = metrics(&p).await;
    assert_eq!(current(&m).as_deref(), Some(b.base.as_str()), "{m}");
    assert_eq!(failovers(&m), Some(2), "one move for the stopped replica: {m}");
    let (ok, failed, _) = load.finish().await;
    assert!(ok > 0 && failed == 0, "ok {ok}, failed {failed}");
    p.shutdown().await;
}
