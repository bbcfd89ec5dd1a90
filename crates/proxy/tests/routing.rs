//! Live routing: Host/path selection, headers, error mapping, the algorithms' shares,
//! and push-based configuration.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn routes_by_host_and_path_with_forwarding_headers() {
    let cp = ControlPlane::start().await;
    let (a, b) = (Upstream::start("a").await, Upstream::start("b").await);
    let web = cp.service("web", "web.example.com").await;
    let api = cp
        .post_ok("/api/v1/services", json!({"name": "api", "cluster_id": 1, "hostnames": ["web.example.com"], "path_prefix": "/api", "protocol": "http"}))
        .await["id"]
        .as_i64()
        .unwrap();
    cp.route_table(web, "failover", vec![route(&a, "aws", "us-east-1")], quiet_probe()).await;
    cp.route_table(api, "failover", vec![route(&b, "gcp", "us-central1")], quiet_probe()).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();

    assert_eq!(get(&c, &p, "web.example.com", "/").await.1, "a");
    assert_eq!(get(&c, &p, "WEB.example.com:8080", "/index").await.1, "a", "host match ignores case and port");
    let (s, body, _) = get(&c, &p, "web.example.com", "/api/echo").await;
    assert_eq!(s, 200);
    let echo: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echo["name"], "b", "the longer path prefix wins");
    let h = &echo["headers"];
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], "web.example.com");
    assert_eq!(h["host"].as_str().unwrap(), b.addr.to_string());

    // Hop-by-hop headers are not forwarded; end-to-end ones are.
    let r = c
        .get(format!("http://{}/api/echo", p.addr))
        .header("host", "web.example.com")
        .header("connection", "keep-alive, x-hop")
        .header("x-hop", "secret")
        .header("x-e2e", "kept")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    let echo: Value = r.json().await.unwrap();
    assert!(echo["headers"].get("x-hop").is_none(), "{echo}");
    assert_eq!(echo["headers"]["x-e2e"], "kept");
    assert_eq!(echo["headers"]["x-forwarded-for"], "203.0.113.9, 127.0.0.1");

    // A streamed request body reaches the upstream whole.
    let big = vec![b'z'; 3 * 1024 * 1024];
    let r =
        c.post(format!("http://{}/api/echo", p.addr)).header("host", "web.example.com").body(big).send().await.unwrap();
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["body_len"], 3 * 1024 * 1024);

    let (s, _, e) = get(&c, &p, "unknown.example.com", "/").await;
    assert_eq!((s, e.as_deref()), (404, Some("no_route")));
    p.shutdown().await;
}

#[tokio::test]
async fn errors_map_to_statuses_in_one_place() {
    let cp = ControlPlane::start().await;
    let slow = Upstream::start("slow").await;
    slow.delay_ms.store(3000, std::sync::atomic::Ordering::Relaxed);
    let svc = cp.service("web", "web.example.com").await;
    // A service without a route table.
    cp.service("bare", "bare.example.com").await;
    let dead = json!({"provider": "aws", "region": "us-east-1", "endpoint": "http://127.0.0.1:9", "is_active": true});
    let t = cp.route_table(svc, "failover", vec![dead.clone()], quiet_probe()).await;
    let p = proxy(&cp, |c| c.upstream_timeout_seconds = 1).await;
    synced(&cp, &p).await;
    let c = client();
    let (s, _, e) = get(&c, &p, "bare.example.com", "/").await;
    assert_eq!((s, e.as_deref()), (503, Some("no_route_table")));
    let (s, _, e) = get(&c, &p, "web.example.com", "/").await;
    assert_eq!((s, e.as_deref()), (502, Some("connect_failed")));

    let mut spec = cp.get_ok(&format!("/api/v1/multi-cloud/routes/{t}")).await;
    spec["routes"] = json!([route(&slow, "aws", "us-east-1")]);
    cp.put_ok(&format!("/api/v1/multi-cloud/routes/{t}"), spec).await;
    synced(&cp, &p).await;
    let (s, _, e) = get(&c, &p, "web.example.com", "/").await;
    assert_eq!((s, e.as_deref()), (504, Some("upstream_timeout")));

    cp.post_ok(&format!("/api/v1/multi-cloud/routes/{t}/disable"), json!({})).await;
    synced(&cp, &p).await;
    let (s, _, e) = get(&c, &p, "web.example.com", "/").await;
    assert_eq!((s, e.as_deref()), (503, Some("no_route_table")), "a disabled route table routes nothing");
    p.shutdown().await;
}

#[tokio::test]
async fn configuration_changes_reach_the_proxy_within_a_second() {
    let TwoRegions { cp, a: _a, b: _b, table: t, proxy: p, .. } =
        TwoRegions::start("failover", quiet_probe(), |_| {}).await;
    let c = client();
    assert_eq!(get(&c, &p, "web.example.com", "/").await.1, "a");
    for round in 0..3 {
        let mut spec = cp.get_ok(&format!("/api/v1/multi-cloud/routes/{t}")).await;
        let first = if round % 2 == 0 { 1 } else { 0 };
        spec["routes"][first]["priority"] = json!(0);
        spec["routes"][1 - first]["priority"] = json!(1);
        let changed = Instant::now();
        cp.put_ok(&format!("/api/v1/multi-cloud/routes/{t}"), spec).await;
        let want = if first == 1 { "b" } else { "a" };
        loop {
            if get(&c, &p, "web.example.com", "/").await.1 == want {
                break;
            }
            assert!(changed.elapsed() < Duration::from_secs(1), "round {round}: change not applied within 1 s");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    p.shutdown().await;
}

#[tokio::test]
async fn weighted_round_robin_shares_follow_weights() {
    let cp = ControlPlane::start().await;
    let ups = [Upstream::start("a").await, Upstream::start("b").await, Upstream::start("c").await];
    let svc = cp.service("web", "web.example.com").await;
    let routes: Vec<Value> = ups
        .iter()
        .zip([60, 30, 10])
        .map(|(u, w)| {
            let mut r = route(u, "aws", "us-east-1");
            r["weight"] = json!(w);
            r
        })
        .collect();
    cp.route_table(svc, "weighted_rr", routes, quiet_probe()).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();
    let n = 2000;
    for _ in 0..n {
        assert_eq!(get(&c, &p, "web.example.com", "/").await.0, 200);
    }
    let shares: Vec<f64> = ups.iter().map(|u| u.hits() as f64 / n as f64).collect();
    for (s, want) in shares.iter().zip([0.6, 0.3, 0.1]) {
        assert!((s - want).abs() <= 0.01, "shares {shares:?}");
    }
    p.shutdown().await;
}

#[tokio::test]
async fn latency_cost_and_geo_pick_the_right_regions() {
    let cp = ControlPlane::start().await;
    let fast = Upstream::start("fast").await;
    let slow = Upstream::start("slow").await;
    slow.delay_ms.store(40, std::sync::atomic::Ordering::Relaxed);
    let s1 = cp.service("lat", "lat.example.com").await;
    cp.route_table(
        s1,
        "latency",
        vec![route(&slow, "aws", "us-east-1"), route(&fast, "gcp", "us-central1")],
        quiet_probe(),
    )
    .await;

    let cheap = Upstream::start("cheap").await;
    let dear = Upstream::start("dear").await;
    let s2 = cp.service("cost", "cost.example.com").await;
    let mut r_cheap = route(&cheap, "azure", "westeurope");
    r_cheap["cost_per_gb"] = json!(0.02);
    let mut r_dear = route(&dear, "aws", "eu-west-1");
    r_dear["cost_per_gb"] = json!(0.09);
    cp.route_table(s2, "cost", vec![r_dear, r_cheap], quiet_probe()).await;

    let (virginia, frankfurt, tokyo) =
        (Upstream::start("virginia").await, Upstream::start("frankfurt").await, Upstream::start("tokyo").await);
    let s3 = cp.service("geo", "geo.example.com").await;
    let mut onprem = route(&tokyo, "on_prem", "tokyo-dc");
    onprem["latitude"] = json!(35.7);
    onprem["longitude"] = json!(139.7);
    cp.route_table(
        s3,
        "geo",
        vec![route(&virginia, "aws", "us-east-1"), route(&frankfurt, "gcp", "europe-west3"), onprem],
        quiet_probe(),
    )
    .await;

    let p = proxy(&cp, |c| c.region = Some("aws:eu-west-1".into())).await;
    synced(&cp, &p).await;
    let c = client();
    for _ in 0..200 {
        get(&c, &p, "lat.example.com", "/").await;
    }
    assert!(fast.hits() >= 180, "latency: fast {} slow {}", fast.hits(), slow.hits());
    for _ in 0..50 {
        assert_eq!(get(&c, &p, "cost.example.com", "/").await.1, "cheap");
        assert_eq!(get(&c, &p, "geo.example.com", "/").await.1, "frankfurt");
    }
    p.shutdown().await;

    // From Osaka, the on-prem Tokyo endpoint (with coordinates) is nearest.
    let p = proxy(&cp, |c| {
        c.latitude = Some(34.7);
        c.longitude = Some(135.5);
    })
    .await;
    synced(&cp, &p).await;
    assert_eq!(get(&c, &p, "geo.example.com", "/").await.1, "tokyo");
    p.shutdown().await;
}

#[tokio::test]
async fn fast_errors_do_not_attract_latency_traffic() {
    let cp = ControlPlane::start().await;
    let good = Upstream::start("good").await;
    good.delay_ms.store(20, std::sync::atomic::Ordering::Relaxed);
    let bad = Upstream::start("bad").await;
    bad.fail.store(true, std::sync::atomic::Ordering::Relaxed);
    let svc = cp.service("web", "web.example.com").await;
    cp.route_table(
        svc,
        "latency",
        vec![route(&bad, "aws", "us-east-1"), route(&good, "gcp", "us-central1")],
        quiet_probe(),
    )
    .await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();
    let mut ok = 0;
    for _ in 0..100 {
        if get(&c, &p, "web.example.com", "/").await.1 == "good" {
            ok += 1;
        }
    }
    // The endpoint that fails in microseconds must not win on "latency".
    assert!(ok >= 90, "fast errors attracted traffic: bad {} good {}", bad.hits(), good.hits());
    p.shutdown().await;
}

/// An upstream that refuses an upload at once (413) and stops reading: the client gets the
/// 413 right away, not a 502 after a failed write or a 504 after a blocked one.
#[tokio::test]
async fn an_early_answer_to_an_upload_reaches_the_client() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cp = ControlPlane::start().await;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refusing = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = s
                    .write_all(
                        b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\nconnection: close\r\n\r\ntoo big!",
                    )
                    .await;
                // Keep the socket open without reading the body, or (CLOSE) close it at once,
                // so the proxy's next write of the body fails.
                if CLOSE.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(20)).await;
            });
        }
    });
    let svc = cp.service("upload", "upload.example.com").await;
    let r = json!({"provider": "aws", "region": "us-east-1", "endpoint": refusing, "is_active": true});
    cp.route_table(svc, "failover", vec![r], quiet_probe()).await;
    let p = proxy(&cp, |c| c.upstream_timeout_seconds = 10).await;
    synced(&cp, &p).await;
    // 32 MiB that the upstream never reads (the proxy's write blocks), then 32 MiB to an
    // upstream that closes (the proxy's write fails). Either way the proxy answers before
    // the client has sent its body, and closes the connection lingering (draining what the
    // client still sends), so the client reads the 413 instead of a reset.
    for close in [false, true] {
        let size = 32 * 1024 * 1024;
        CLOSE.store(close, std::sync::atomic::Ordering::SeqCst);
        let started = Instant::now();
        let resp = client()
            .post(format!("http://{}/upload", p.addr))
            .header("host", "upload.example.com")
            .body(vec![b'x'; size])
            .send()
            .await
            .expect("an answer, not a failed request");
        assert_eq!(resp.status(), 413, "upstream closing: {close}");
        assert_eq!(resp.text().await.unwrap_or_default(), "too big!");
        assert!(started.elapsed() < Duration::from_secs(5), "answered after {:?}", started.elapsed());
    }
    p.shutdown().await;
}

static CLOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Connections are spread evenly over the worker threads whatever the kernel's
/// SO_REUSEPORT hash does: a worker holding two more than another hands new ones over.
#[tokio::test]
async fn connections_are_balanced_across_workers() {
    let (_cp, _up, p) = web_behind_proxy(|c| c.workers = Some(4)).await;
    // 24 separate keep-alive connections (one client each), opened one after another.
    let mut clients = Vec::new();
    for _ in 0..24 {
        let c = client();
        let (status, body, _) = get(&c, &p, "web.example.com", "/").await;
        assert_eq!((status, body.as_str()), (200, "a"), "every connection is served, handed over or not");
        clients.push(c);
    }
    let text = metrics(&p).await;
    let per_worker: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with("marchproxy_worker_connections{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(per_worker.len(), 4, "{text}");
    assert_eq!(per_worker.iter().sum::<u64>(), 24, "{per_worker:?}");
    let (min, max) = (per_worker.iter().min().unwrap(), per_worker.iter().max().unwrap());
    assert!(max - min <= 2, "unbalanced: {per_worker:?}");
    // Closed connections leave the count.
    drop(clients);
    eventually(Duration::from_secs(5), || async {
        let m = metrics(&p).await;
        m.lines().filter(|l| l.starts_with("marchproxy_worker_connections{")).all(|l| l.ends_with(" 0"))
    })
    .await;
}

/// Concurrent requests on one worker have their writes (upstream requests, responses)
/// submitted together through io_uring (batch.rs), and every response is still whole.
#[tokio::test]
async fn concurrent_writes_leave_together() {
    let (_cp, _up, p) = web_behind_proxy(|c| c.workers = Some(1)).await;
    concurrent_load(p.addr, 32, 20).await;
    let (writes, flushes) =
        (metric(&p, "marchproxy_batched_writes_total").await, metric(&p, "marchproxy_batched_flushes_total").await);
    assert!(writes > 0, "no write was batched");
    assert!(writes > flushes, "{writes} writes in {flushes} submissions: none carried two");
}

/// Trailer fields of a chunked request reach the upstream (in the last chunk).
#[tokio::test]
async fn request_trailers_are_forwarded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_cp, _up, p) = web_behind_proxy(|_| {}).await;
    let mut s = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    s.write_all(
        b"POST /echo HTTP/1.1\r\nhost: web.example.com\r\ntransfer-encoding: chunked\r\ntrailer: x-checksum\r\n\
          connection: close\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: abc123\r\ncontent-length: 99\r\n\r\n",
    )
    .await
    .unwrap();
    let mut resp = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut resp)).await.unwrap().unwrap();
    let resp = String::from_utf8(resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let body = &resp[resp.find("\r\n\r\n").unwrap() + 4..];
    let echo: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {resp}"));
    assert_eq!(echo["body_len"], 5);
    assert_eq!(echo["trailers"]["x-checksum"], "abc123", "{echo}");
    assert!(echo["trailers"].get("content-length").is_none(), "framing fields are not forwarded: {echo}");
}

/// A raw GET of `target` (sent as written: HTTP clients resolve dot-segments themselves),
/// with `Connection: close`; the status, the proxy's error header and the body.
async fn raw_get(p: &marchproxy_proxy::Running, host: &str, target: &str) -> (u16, Option<String>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let error = head.lines().find_map(|l| l.strip_prefix("x-marchproxy-error: ").map(str::to_string));
    (status, error, body.to_string())
}

/// Path prefixes match whole segments, and dot-segments are resolved before routing and in
/// what the upstream receives, so a path cannot climb out of the prefix it was routed by.
#[tokio::test]
async fn paths_are_routed_as_the_upstream_will_read_them() {
    let ctl = FakeController::start().await;
    let public = Upstream::start("public").await;
    ctl.service("public", "web.example.com", &[public.url()]);
    ctl.update(|s| s["services"][0]["path_prefix"] = json!("/public"));
    let p = proxy(&ctl, |_| {}).await;
    synced(&ctl, &p).await;
    let target = |body: &str| serde_json::from_str::<Value>(body).unwrap()["target"].as_str().unwrap().to_string();
    let host = "web.example.com";

    let (s, _, body) = raw_get(&p, host, "/public/echo?x=1").await;
    assert_eq!((s, target(&body)), (200, "/public/echo?x=1".to_string()));
    // Whole segments only.
    let (s, e, _) = raw_get(&p, host, "/public-internal/echo").await;
    assert_eq!((s, e.as_deref()), (404, Some("no_route")));
    // Climbing out of /public resolves to /admin, which nothing serves.
    for raw in
        ["/public/../admin/echo", "/public/%2e%2e/admin/echo", "/public/.%2E/admin/echo", "/public/./../admin/echo"]
    {
        let (s, e, _) = raw_get(&p, host, raw).await;
        assert_eq!((s, e.as_deref()), (404, Some("no_route")), "{raw}");
    }
    // A path that stays inside is forwarded resolved.
    let (s, _, body) = raw_get(&p, host, "/public/a/../b/./%2e/echo?y=2").await;
    assert_eq!((s, target(&body)), (200, "/public/b/echo?y=2".to_string()));
    // Separators that would hide a dot-segment from us, and climbing above the root, are refused.
    for raw in ["/public/..%2fadmin/echo", "/public%2f..%2fadmin/echo", "/public/..%5Cadmin/echo", "/../public/echo"] {
        let (s, e, _) = raw_get(&p, host, raw).await;
        assert_eq!((s, e.as_deref()), (400, Some("bad_request")), "{raw}");
    }
    p.shutdown().await;
}

/// Route endpoints go through the outbound policy like every other outbound target: a cloud
/// metadata address is refused without a connection (502), and so is a denied range.
#[tokio::test]
async fn endpoints_obey_the_outbound_policy() {
    let ctl = FakeController::start().await;
    let up = Upstream::start("a").await;
    ctl.service("meta", "meta.example.com", &["http://169.254.169.254".to_string()]);
    ctl.service("web", "web.example.com", &[up.url()]);
    let open = proxy(&ctl, |_| {}).await;
    let strict = proxy(&ctl, |c| c.outbound.deny = "127.0.0.0/8".parse().unwrap()).await;
    synced(&ctl, &open).await;
    synced(&ctl, &strict).await;
    let c = client();
    for p in [&open, &strict] {
        let t = Instant::now();
        let (s, _, e) = get(&c, p, "meta.example.com", "/latest/meta-data/").await;
        assert_eq!((s, e.as_deref()), (502, Some("connect_failed")));
        assert!(t.elapsed() < Duration::from_secs(1), "refused at once, not after a connect timeout");
    }
    assert_eq!(get(&c, &open, "web.example.com", "/").await.1, "a", "private ranges are allowed by default");
    let (s, _, e) = get(&c, &strict, "web.example.com", "/").await;
    assert_eq!((s, e.as_deref()), (502, Some("connect_failed")), "a denied range is refused");
    assert_eq!(up.hits(), 1, "the denied proxy never reached the upstream");
    open.shutdown().await;
    strict.shutdown().await;
}
