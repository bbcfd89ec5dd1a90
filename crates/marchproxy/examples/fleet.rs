//! Fleet scale benchmark client (bench/fleet.sh runs it): N simulated proxies that speak
//! the real proxy API (register, configuration long-poll, traffic reports every few
//! seconds) against one or more running control planes, then measures:
//! - how long an API write takes to reach all N proxies (per write: p50/p99/max over the
//!   proxies; the long-poll answers as soon as the change commits);
//! - the control plane's CPU and memory per connected proxy (from /proc of the pids given);
//! - report ingest: reports/s while the fleet reports, and the most a burst achieves;
//! - QoS leases of one cluster-wide limit: the most a burst achieves.
//!
//! Usage: fleet --control-plane URL[,URL…] --key mpk_… --password … [--proxies 500]
//!   [--writes 20] [--report-interval 3] [--pids PID,PID] [--burst-seconds 10]
//! Simulated proxy i talks to control plane i mod (number of URLs).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

struct Args {
    control_planes: Vec<String>,
    key: String,
    password: String,
    proxies: usize,
    writes: usize,
    report_interval: Duration,
    pids: Vec<u32>,
    burst: Duration,
}

fn args() -> Args {
    let mut a = Args {
        control_planes: vec![],
        key: String::new(),
        password: String::new(),
        proxies: 500,
        writes: 20,
        report_interval: Duration::from_secs(3),
        pids: vec![],
        burst: Duration::from_secs(10),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--control-plane" => a.control_planes = v.split(',').map(|s| s.trim_end_matches('/').to_string()).collect(),
            "--key" => a.key = v,
            "--password" => a.password = v,
            "--proxies" => a.proxies = v.parse().expect("--proxies"),
            "--writes" => a.writes = v.parse().expect("--writes"),
            "--report-interval" => a.report_interval = Duration::from_secs_f64(v.parse().expect("--report-interval")),
            "--pids" => a.pids = v.split(',').map(|p| p.parse().expect("--pids")).collect(),
            "--burst-seconds" => a.burst = Duration::from_secs_f64(v.parse().expect("--burst-seconds")),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!a.control_planes.is_empty() && !a.key.is_empty(), "--control-plane and --key are required");
    a
}

#[derive(Deserialize)]
struct Versioned {
    version: i64,
}

/// What every simulated proxy shares with the driver.
struct Fleet {
    /// Per proxy: the newest version it has.
    versions: Vec<AtomicI64>,
    /// Per proxy: when it got its newest version.
    seen_at: Vec<Mutex<Option<Instant>>>,
    reports_ok: AtomicU64,
    reports_failed: AtomicU64,
    polls: AtomicU64,
    stop: AtomicBool,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(4096).timeout(Duration::from_secs(60)).build().unwrap()
}

/// Register a simulated proxy (retrying until the control plane answers); its id.
async fn register(http: &reqwest::Client, base: &str, key: &str, body: Value) -> i64 {
    loop {
        let r = http.post(format!("{base}/api/v1/proxy/register")).bearer_auth(key).json(&body).send().await;
        match r {
            Ok(r) if r.status().is_success() => {
                let reg: Value = r.json().await.unwrap();
                return reg["proxy_id"].as_i64().unwrap();
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A traffic report: one sample of the fleet's route table in the current minute.
fn report(
    proxy_id: i64,
    report_id: String,
    config_version: i64,
    table: i64,
    bytes: (u64, u64),
    requests: u64,
) -> Value {
    let now = chrono::Utc::now().timestamp_millis();
    json!({"proxy_id": proxy_id, "report_id": report_id, "config_version": config_version,
        "traffic": [{"route_table_id": table, "endpoint": "http://10.9.9.9:80", "bucket_start_ms": now - now % 60_000,
                     "bytes_in": bytes.0, "bytes_out": bytes.1, "requests": requests, "errors": 0}]})
}

async fn proxy(i: usize, base: String, key: String, fleet: Arc<Fleet>, table: i64, interval: Duration) {
    let http = client();
    let address = format!("10.0.{}.{}:8080", i / 250, i % 250);
    let id =
        register(&http, &base, &key, json!({"name": format!("fleet-{i}"), "version": "bench", "address": address}))
            .await;
    // Reports: one traffic sample per interval, spread over the interval.
    let (rh, rk, rb, rf) = (http.clone(), key.clone(), base.clone(), fleet.clone());
    tokio::spawn(async move {
        tokio::time::sleep(interval.mul_f64(rand::random::<f64>())).await;
        let mut n = 0u64;
        while !rf.stop.load(Ordering::Relaxed) {
            n += 1;
            let version = rf.versions[i].load(Ordering::Relaxed);
            let body = report(id, format!("{i}-{n}-{}", rand::random::<u32>()), version, table, (1000, 20_000), 10);
            match rh.post(format!("{rb}/api/v1/proxy/report")).bearer_auth(&rk).json(&body).send().await {
                Ok(r) if r.status().is_success() => rf.reports_ok.fetch_add(1, Ordering::Relaxed),
                _ => rf.reports_failed.fetch_add(1, Ordering::Relaxed),
            };
            tokio::time::sleep(interval).await;
        }
    });
    // The long-poll.
    while !fleet.stop.load(Ordering::Relaxed) {
        let have = fleet.versions[i].load(Ordering::Relaxed);
        let mut url = format!("{base}/api/v1/proxy/config?wait_seconds=25&proxy_id={id}");
        if have > 0 {
            url.push_str(&format!("&version={have}"));
        }
        fleet.polls.fetch_add(1, Ordering::Relaxed);
        match http.get(&url).bearer_auth(&key).send().await {
            Ok(r) if r.status() == 200 => {
                let bytes = r.bytes().await.unwrap_or_default();
                if let Ok(v) = serde_json::from_slice::<Versioned>(&bytes) {
                    *fleet.seen_at[i].lock().await = Some(Instant::now());
                    fleet.versions[i].store(v.version, Ordering::Relaxed);
                }
            }
            Ok(r) if r.status() == 304 => {}
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// utime+stime of a process, in clock ticks; and its RSS in KiB.
fn proc_usage(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let cpu = f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (cpu, rss)
}

fn usage(pids: &[u32]) -> (u64, u64) {
    pids.iter().map(|p| proc_usage(*p)).fold((0, 0), |(c, r), (c2, r2)| (c + c2, r + r2))
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// One registered proxy identity of a burst.
struct Sender {
    s: usize,
    http: reqwest::Client,
    base: String,
    id: i64,
}

/// Calls per second that `POST /api/v1/proxy/{path}` answered with success while every
/// sender posts `body(sender index, proxy id, call number)` back to back for `window`.
async fn burst(
    senders: &[Sender],
    key: &str,
    window: Duration,
    path: &'static str,
    body: impl Fn(usize, i64, u64) -> Value + Send + Sync + Clone + 'static,
) -> f64 {
    let ok = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + window;
    let mut tasks = Vec::new();
    for Sender { s, http, base, id } in senders {
        let (s, id, http, url) = (*s, *id, http.clone(), format!("{base}/api/v1/proxy/{path}"));
        let (key, ok, body) = (key.to_string(), ok.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                n += 1;
                let sent = http.post(&url).bearer_auth(&key).json(&body(s, id, n)).send().await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    ok.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let a = args();
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let http = client();
    let cp0 = a.control_planes[0].clone();
    let login: Value = http
        .post(format!("{cp0}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": a.password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().expect("admin login").to_string();
    let post = |path: String, body: Value| http.post(format!("{cp0}{path}")).bearer_auth(&token).json(&body).send();
    // One service and route table the fleet's reports count traffic for.
    let svc: Value = post(
        "/api/v1/services".into(),
        json!({"name": "fleet", "cluster_id": 1, "hostnames": ["fleet.test"], "protocol": "http"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let rt: Value = post(
        "/api/v1/multi-cloud/routes".into(),
        json!({"name": "fleet", "service_id": svc["id"], "cluster_id": 1, "algorithm": "failover",
               "routes": [{"provider": "aws", "region": "us-east-1", "endpoint": "http://10.9.9.9:80", "weight": 100, "cost_per_gb": 0.09, "is_active": true}],
               "health_probe": {"protocol": "tcp", "interval_seconds": 3600, "timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 2}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let table = rt["id"].as_i64().expect("route table created");

    let (_, rss0) = usage(&a.pids);
    let fleet = Arc::new(Fleet {
        versions: (0..a.proxies).map(|_| AtomicI64::new(0)).collect(),
        seen_at: (0..a.proxies).map(|_| Mutex::new(None)).collect(),
        reports_ok: AtomicU64::new(0),
        reports_failed: AtomicU64::new(0),
        polls: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let started = Instant::now();
    for i in 0..a.proxies {
        let base = a.control_planes[i % a.control_planes.len()].clone();
        tokio::spawn(proxy(i, base, a.key.clone(), fleet.clone(), table, a.report_interval));
    }
    // Everyone registered and holding a snapshot.
    while fleet.versions.iter().any(|v| v.load(Ordering::Relaxed) == 0) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("{} proxies connected in {:.1} s", a.proxies, started.elapsed().as_secs_f64());

    // Idle cost of the connected fleet (long-polls waiting, reports flowing).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu1, rss1) = usage(&a.pids);
    let (r0, t0) = (fleet.reports_ok.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (cpu2, rss2) = usage(&a.pids);
    let (r1, t1) = (fleet.reports_ok.load(Ordering::Relaxed), Instant::now());
    let ticks = 100.0; // USER_HZ
    let cpu_pct = (cpu2 - cpu1) as f64 / ticks / (t1 - t0).as_secs_f64() * 100.0;
    let reports_per_s = (r1 - r0) as f64 / (t1 - t0).as_secs_f64();

    // Writes: each must reach every proxy.
    let mut all = Vec::new();
    let mut per_write = Vec::new();
    for w in 0..a.writes {
        let before = fleet.versions.iter().map(|v| v.load(Ordering::Relaxed)).max().unwrap_or(0);
        let t = Instant::now();
        let r = post(
            "/api/v1/services".into(),
            json!({"name": format!("w{w}"), "cluster_id": 1, "hostnames": [format!("w{w}.test")], "protocol": "http"}),
        )
        .await
        .unwrap();
        assert!(r.status().is_success(), "write {w}: {}", r.status());
        let deadline = t + Duration::from_secs(30);
        while fleet.versions.iter().any(|v| v.load(Ordering::Relaxed) <= before) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut lat = Vec::with_capacity(a.proxies);
        for s in &fleet.seen_at {
            if let Some(at) = *s.lock().await {
                lat.push(at.saturating_duration_since(t).as_secs_f64() * 1000.0);
            }
        }
        lat.sort_by(f64::total_cmp);
        let missing = fleet.versions.iter().filter(|v| v.load(Ordering::Relaxed) <= before).count();
        per_write.push((pct(&lat, 0.5), pct(&lat, 0.99), lat.last().copied().unwrap_or(f64::NAN), missing));
        all.extend(lat);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    all.sort_by(f64::total_cmp);

    // Burst: reports as fast as 64 concurrent senders manage.
    // The senders register first; the window starts once all of them have.
    let mut senders = Vec::new();
    for s in 0..64 {
        let (http, base) = (client(), a.control_planes[s % a.control_planes.len()].clone());
        let id = register(&http, &base, &a.key, json!({"name": format!("burst-{s}"), "version": "bench"})).await;
        senders.push(Sender { s, http, base, id });
    }
    let burst_rate = burst(&senders, &a.key, a.burst, "report", move |s, id, n| {
        report(id, format!("b{s}-{n}-{}", rand::random::<u32>()), 1, table, (1, 2), 1)
    })
    .await;

    // Leases of one cluster-wide limit (QoS scope `cluster`) as fast as the 64 senders
    // manage: every lease of one policy locks its row, so this is the worst case.
    let policy: Value = post(
        "/api/v1/traffic-shaping/policies".into(),
        json!({"name": "fleet", "service_id": svc["id"], "cluster_id": 1,
               "bandwidth": {"egress_mbps": 1000, "burst_size_kb": 1024, "scope": "cluster"},
               "priority_config": {"priority": "P2"}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let policy_id = policy["id"].as_i64().expect("QoS policy created");
    let lease_rate = burst(&senders, &a.key, a.burst, "qos-lease", move |s, id, _| {
        json!({"proxy_id": id, "interval_ms": 500, "demands": [
            {"policy_id": policy_id, "direction": "egress", "used_bps": 1e6, "throttled": s % 2 == 0}]})
    })
    .await;
    fleet.stop.store(true, Ordering::Relaxed);

    println!("control planes: {}", a.control_planes.join(", "));
    println!("write -> all {} proxies (ms): per write p50/p99/max/missing:", a.proxies);
    for (i, (p50, p99, max, missing)) in per_write.iter().enumerate() {
        println!("  write {i:>2}: {p50:>7.1} {p99:>7.1} {max:>7.1} {missing}");
    }
    println!(
        "all writes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)",
        pct(&all, 0.5),
        pct(&all, 0.99),
        all.last().copied().unwrap_or(f64::NAN),
        all.len()
    );
    if !a.pids.is_empty() {
        println!(
            "control plane with {} proxies connected: CPU {:.1} % ({:.3} % per proxy), RSS {} MiB (+{:.1} KiB per proxy over {} MiB before)",
            a.proxies,
            cpu_pct,
            cpu_pct / a.proxies as f64,
            rss2 / 1024,
            (rss1.max(rss2) as f64 - rss0 as f64) / a.proxies as f64,
            rss0 / 1024
        );
    }
    println!(
        "reports: {:.0}/s from the fleet (interval {:.1} s; {} failed), burst {:.0}/s (64 senders)",
        reports_per_s,
        a.report_interval.as_secs_f64(),
        fleet.reports_failed.load(Ordering::Relaxed),
        burst_rate
    );
    println!("QoS leases of one cluster-wide limit: {lease_rate:.0}/s (64 senders)");
    println!("long-polls sent: {}", fleet.polls.load(Ordering::Relaxed));
}
