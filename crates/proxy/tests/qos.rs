//! QoS on live traffic: rate accuracy, bursts, priority under load, weights, DSCP marks
//! on both sides, live disable, and TCP services.

mod common;

use std::time::{Duration, Instant};

use common::*;
use marchproxy_test_support::upstream::Arrival;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn policy(cp: &ControlPlane, service: i64, bandwidth: Value, priority: Value) -> i64 {
    cp.post_ok(
        "/api/v1/traffic-shaping/policies",
        json!({"name": format!("p{service}"), "service_id": service, "cluster_id": 1, "bandwidth": bandwidth, "priority_config": priority}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// Download `path` through the proxy; returns (bytes, seconds).
async fn download(p: &marchproxy_proxy::Running, host: &str, path: &str) -> (usize, f64) {
    let c = client();
    let t = Instant::now();
    let mut r = c.get(format!("http://{}{path}", p.addr)).header("host", host).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut n = 0;
    while let Some(chunk) = r.chunk().await.unwrap() {
        n += chunk.len();
    }
    (n, t.elapsed().as_secs_f64())
}

/// Download `path` through the proxy; returns (bytes, bytes per second after the first
/// 64 KiB, [`Arrival::rate`]: the request's setup and the burst are not shaping time).
async fn download_rate(p: &marchproxy_proxy::Running, host: &str, path: &str) -> (usize, f64) {
    let mut r = client().get(format!("http://{}{path}", p.addr)).header("host", host).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut arrival = Arrival::default();
    while let Some(chunk) = r.chunk().await.unwrap() {
        arrival.add(chunk.len());
    }
    (arrival.bytes(), arrival.rate().expect("a download longer than RATE_FROM"))
}

/// Read a streamed download for `window` (or until it ends); returns the bytes received.
async fn stream_for(addr: std::net::SocketAddr, host: String, path: &'static str, window: Duration) -> usize {
    let mut r = client().get(format!("http://{addr}{path}")).header("host", host).send().await.unwrap();
    let t = Instant::now();
    let mut n = 0usize;
    while t.elapsed() < window {
        match r.chunk().await.unwrap() {
            Some(c) => n += c.len(),
            None => break,
        }
    }
    n
}

fn within(measured: f64, target: f64, tolerance: f64) -> bool {
    (measured - target).abs() <= target * tolerance
}

#[tokio::test]
async fn egress_limits_are_accurate_and_bursts_honoured() {
    let cp = ControlPlane::start().await;
    let up = Upstream::start("origin").await;
    let p = proxy(&cp, |_| {}).await;
    for (i, mbps) in [1u32, 10, 100].into_iter().enumerate() {
        let host = format!("rate{i}.example.com");
        let svc = cp.service(&format!("rate{i}"), &host).await;
        cp.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
        let burst_kb = 16;
        policy(&cp, svc, json!({"egress_mbps": mbps, "burst_size_kb": burst_kb}), json!({"priority": "P2"})).await;
        synced(&cp, &p).await;
        let rate = mbps as f64 * 125_000.0;
        let size = (rate * 2.5) as usize;
        let (n, measured) = download_rate(&p, &host, &format!("/bytes/{size}")).await;
        assert_eq!(n, size);
        // Never above the limit (+3 %). Below it by at most 3 %, except at 100 Mbps: there a
        // debug build on a shared 2-CPU machine spends up to several percent of the transfer
        // on its own CPU work (the client reads 12.5 MB/s in the same debug process). The
        // release build's accuracy is bench/qos.sh's (within 0.1 % at 100 Mbps).
        let below = if mbps >= 100 { 0.10 } else { 0.03 };
        let mbit = measured / 125_000.0;
        assert!(measured <= rate * 1.03 && measured >= rate * (1.0 - below), "{mbps} Mbps: measured {mbit:.3} Mbps");
    }
    // Burst: 512 KiB arrive at once, then 1 Mbps.
    let svc = cp.service("burst", "burst.example.com").await;
    cp.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    policy(&cp, svc, json!({"egress_mbps": 1, "burst_size_kb": 512}), json!({"priority": "P2"})).await;
    synced(&cp, &p).await;
    let (_, secs) = download(&p, "burst.example.com", "/bytes/500000").await;
    assert!(secs < 0.5, "a transfer within the burst is not delayed: {secs:.3}s");
    let (_, secs) = download(&p, "burst.example.com", "/bytes/250000").await;
    assert!(secs > 1.5, "the bucket is empty now, so 250 kB take about 2 s at 1 Mbps: {secs:.3}s");
    p.shutdown().await;
}

#[tokio::test]
async fn ingress_limit_shapes_uploads() {
    let (cp, _up, svc) = one_upstream_service("origin", "up", "up.example.com").await;
    policy(&cp, svc, json!({"ingress_mbps": 10, "burst_size_kb": 16}), json!({"priority": "P2"})).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let size = 3_125_000usize; // 2.5 s at 10 Mbps
    let r = client()
        .post(format!("http://{}/echo", p.addr))
        .header("host", "up.example.com")
        .body(vec![b'u'; size])
        .send()
        .await
        .unwrap();
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["body_len"], size);
    // The rate the upstream received at, after the burst: the request's setup and the
    // response are not shaping time.
    let measured = echo["body_rate"].as_f64().expect("a body rate");
    assert!(within(measured, 1_250_000.0, 0.03), "measured {:.3} Mbps", measured / 125_000.0);
    p.shutdown().await;
}

#[tokio::test]
async fn p0_keeps_its_sla_while_p3_saturates_the_link_and_weights_split_a_class() {
    let cp = ControlPlane::start().await;
    let up = Upstream::start("origin").await;
    let bulk = cp.service("bulk", "bulk.example.com").await;
    let web = cp.service("web", "web.example.com").await;
    for s in [bulk, web] {
        cp.route_table(s, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    }
    let p3 = policy(&cp, bulk, json!({"burst_size_kb": 64}), json!({"priority": "P3"})).await;
    let p0 = policy(&cp, web, json!({"burst_size_kb": 64}), json!({"priority": "P0", "dscp_marking": "EF"})).await;
    let p = proxy(&cp, |c| c.link_mbps = Some(40.0)).await;
    synced(&cp, &p).await;

    // Saturate the 40 Mbps link with P3 bulk transfers.
    let bulk_tasks: Vec<_> = (0..3)
        .map(|_| {
            let addr = p.addr;
            tokio::spawn(stream_for(addr, "bulk.example.com".to_string(), "/bytes/20000000", Duration::from_secs(3)))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let c = client();
    for _ in 0..50 {
        let (s, body, _) = get(&c, &p, "web.example.com", "/bytes/1000").await;
        assert_eq!((s, body.len()), (200, 1000));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bulk_bytes: usize = futures_join(bulk_tasks).await.into_iter().sum();
    // The link was really saturated by P3: about 40 Mbps over the 3 s window.
    let bulk_rate = bulk_bytes as f64 / 3.0;
    assert!(bulk_rate > 5_000_000.0 * 0.8 && bulk_rate < 5_000_000.0 * 1.1, "P3 rate {bulk_rate}");
    eventually(Duration::from_secs(3), || async {
        cp.get_ok(&format!("/api/v1/traffic-shaping/policies/{p0}/stats")).await["bytes_passed"] == 50_000
    })
    .await;
    let s0 = cp.get_ok(&format!("/api/v1/traffic-shaping/policies/{p0}/stats")).await;
    let s3 = cp.get_ok(&format!("/api/v1/traffic-shaping/policies/{p3}/stats")).await;
    assert_eq!(s0["sla_violations"], 0, "P0 kept its 1 ms SLA: {s0}");
    assert!(s0["delay_ms"]["P0"]["p99"].as_f64().unwrap() <= 1.0, "{s0}");
    assert!(s3["bytes_delayed"].as_i64().unwrap() > 0, "P3 waited: {s3}");
    assert!(s3["delay_ms"]["P3"]["p99"].as_f64().unwrap() > 1.0, "{s3}");
    let metrics = p.proxy.render_metrics();
    assert!(
        metrics.contains(&format!("marchproxy_qos_sla_violations_total{{policy=\"{p0}\",class=\"P0\"}} 0")),
        "{metrics}"
    );
    p.shutdown().await;
}

#[tokio::test]
async fn two_policies_of_weight_1_and_3_split_a_contended_link() {
    let cp = ControlPlane::start().await;
    let up = Upstream::start("origin").await;
    let mut ids = vec![];
    for (name, w) in [("light", 1), ("heavy", 3)] {
        let s = cp.service(name, &format!("{name}.example.com")).await;
        cp.route_table(s, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
        ids.push(policy(&cp, s, json!({"burst_size_kb": 64}), json!({"priority": "P2", "weight": w})).await);
    }
    let p = proxy(&cp, |c| c.link_mbps = Some(40.0)).await;
    synced(&cp, &p).await;
    let tasks: Vec<_> = ["light", "heavy", "light", "heavy"]
        .into_iter()
        .map(|name| {
            let addr = p.addr;
            tokio::spawn(async move {
                (name, stream_for(addr, format!("{name}.example.com"), "/bytes/30000000", Duration::from_secs(3)).await)
            })
        })
        .collect();
    let results = futures_join(tasks).await;
    let light: usize = results.iter().filter(|(n, _)| *n == "light").map(|(_, b)| b).sum();
    let heavy: usize = results.iter().filter(|(n, _)| *n == "heavy").map(|(_, b)| b).sum();
    let share = heavy as f64 / (light + heavy) as f64;
    assert!((share - 0.75).abs() < 0.05, "heavy share {share:.3} (light {light}, heavy {heavy})");
    p.shutdown().await;
}

async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = vec![];
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn disabling_a_policy_lifts_the_limit_on_an_open_stream() {
    let (cp, _up, svc) = one_upstream_service("origin", "web", "web.example.com").await;
    let pid = policy(&cp, svc, json!({"egress_mbps": 1, "burst_size_kb": 16}), json!({"priority": "P2"})).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();
    let t = Instant::now();
    let mut r =
        c.get(format!("http://{}/bytes/4000000", p.addr)).header("host", "web.example.com").send().await.unwrap();
    let mut n = 0;
    let mut disabled_at = None;
    while let Some(chunk) = r.chunk().await.unwrap() {
        n += chunk.len();
        if disabled_at.is_none() && t.elapsed() > Duration::from_millis(800) {
            assert!(n < 200_000, "limited at first: {n}");
            cp.post_ok(&format!("/api/v1/traffic-shaping/policies/{pid}/disable"), json!({})).await;
            disabled_at = Some(Instant::now());
        }
    }
    assert_eq!(n, 4_000_000);
    let rest = disabled_at.unwrap().elapsed();
    assert!(rest < Duration::from_secs(2), "4 MB at 1 Mbps would take 32 s; after disabling it took {rest:?}");
    // Enabling again limits new transfers.
    cp.post_ok(&format!("/api/v1/traffic-shaping/policies/{pid}/enable"), json!({})).await;
    synced(&cp, &p).await;
    let (_, secs) = download(&p, "web.example.com", "/bytes/200000").await;
    assert!(secs > 1.0, "limited again: {secs}");
    p.shutdown().await;
}

/// A TCP upstream that sends `n` bytes to each connection.
async fn tcp_source(n: usize) -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let buf = vec![b't'; 64 * 1024];
                let mut left = n;
                while left > 0 {
                    let k = left.min(buf.len());
                    if s.write_all(&buf[..k]).await.is_err() {
                        return;
                    }
                    left -= k;
                }
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn tcp_services_are_shaped_too() {
    let cp = ControlPlane::start().await;
    let size = 3_125_000;
    let src = tcp_source(size).await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let svc = cp
        .post_ok("/api/v1/services", json!({"name": "db", "cluster_id": 1, "protocol": "tcp", "listen_port": port}))
        .await["id"]
        .as_i64()
        .unwrap();
    cp.route_table(
        svc,
        "failover",
        vec![json!({"provider": "on_prem", "region": "dc1", "endpoint": src.to_string()})],
        quiet_probe(),
    )
    .await;
    policy(&cp, svc, json!({"egress_mbps": 10, "burst_size_kb": 16}), json!({"priority": "P1"})).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let mut s = None;
    for _ in 0..50 {
        if let Ok(c) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            s = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut s = s.expect("the TCP listener is up");
    let mut buf = vec![0u8; 64 * 1024];
    let mut arrival = Arrival::default();
    loop {
        let k = s.read(&mut buf).await.unwrap();
        if k == 0 {
            break;
        }
        arrival.add(k);
    }
    assert_eq!(arrival.bytes(), size);
    let measured = arrival.rate().expect("more than RATE_FROM bytes");
    assert!(within(measured, 1_250_000.0, 0.03), "measured {:.3} Mbps", measured / 125_000.0);
    p.shutdown().await;
}

/// Packets seen on loopback: (tos, src port, dst port).
fn parse_tcpdump(out: &str) -> Vec<(u8, u16, u16)> {
    let mut pkts = vec![];
    let mut tos = None;
    for line in out.lines() {
        if let Some(i) = line.find("(tos 0x") {
            let hex: String = line[i + 7..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            tos = u8::from_str_radix(&hex, 16).ok();
        } else if let (Some(t), Some((src, rest))) = (tos, line.trim().split_once(" > ")) {
            let port = |s: &str| s.trim_end_matches(':').rsplit('.').next().and_then(|p| p.parse::<u16>().ok());
            if let (Some(sp), Some(dp)) = (port(src), port(rest.split_whitespace().next().unwrap_or(""))) {
                pkts.push((t, sp, dp));
            }
            tos = None;
        }
    }
    pkts
}

#[tokio::test]
async fn dscp_marks_are_visible_on_both_sides_and_pools_do_not_mix_classes() {
    let cp = ControlPlane::start().await;
    let up = Upstream::start("origin").await;
    let ef = cp.service("ef", "ef.example.com").await;
    let be = cp.service("be", "be.example.com").await;
    for s in [ef, be] {
        cp.route_table(s, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    }
    policy(&cp, ef, json!({"burst_size_kb": 64}), json!({"priority": "P0", "dscp_marking": "EF"})).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let (pp, upp) = (p.addr.port(), up.addr.port());
    let mut dump = tokio::process::Command::new("tcpdump")
        .args(["-i", "lo", "-nn", "-v", "-l", "-U", &format!("tcp port {pp} or tcp port {upp}")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("tcpdump is installed (apt-get install tcpdump) and we may capture on lo");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (c_ef, c_be) = (client(), client());
    for _ in 0..10 {
        assert_eq!(get(&c_ef, &p, "ef.example.com", "/bytes/3000").await.0, 200);
        assert_eq!(get(&c_be, &p, "be.example.com", "/bytes/3000").await.0, 200);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = dump.start_kill();
    let out = dump.wait_with_output().await.unwrap();
    let pkts = parse_tcpdump(&String::from_utf8_lossy(&out.stdout));
    assert!(pkts.len() > 20, "captured {} packets", pkts.len());
    let ef_tos = 46u8 << 2;
    // Downstream: the proxy's answers on the EF client's connection carry EF.
    assert!(pkts.iter().any(|&(t, sp, _)| sp == pp && t == ef_tos), "no EF-marked packet from the proxy to a client");
    assert!(pkts.iter().any(|&(t, sp, _)| sp == pp && t == 0), "the BE client's answers stay unmarked");
    // Upstream: EF and BE requests use different pooled connections, each with one mark.
    let mut by_conn: std::collections::HashMap<u16, std::collections::HashSet<u8>> = Default::default();
    for &(t, sp, dp) in &pkts {
        if dp == upp {
            by_conn.entry(sp).or_default().insert(t);
        }
    }
    assert!(by_conn.values().any(|s| s.contains(&ef_tos)), "no EF-marked packet to the upstream: {by_conn:?}");
    assert!(by_conn.values().any(|s| s.contains(&0)), "no unmarked packet to the upstream: {by_conn:?}");
    assert!(by_conn.values().all(|s| s.len() == 1), "a pooled connection mixed classes: {by_conn:?}");
    p.shutdown().await;
}
