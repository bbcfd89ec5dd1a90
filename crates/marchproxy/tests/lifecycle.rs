//! The binary as an operator runs it: `migrate`, `health`, and a graceful stop on SIGTERM
//! (readiness false first, requests in progress finish, then exit).

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use marchproxy_test_support::{Upstream, eventually, quiet_probe, route, temp_dir};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_marchproxy");

/// The binary with none of the caller's MarchProxy settings.
fn marchproxy(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).kill_on_drop(true);
    for (k, _) in std::env::vars() {
        if k.starts_with("MARCHPROXY_")
            || ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "LICENSE_KEY", "RELEASE_MODE"].contains(&k.as_str())
        {
            c.env_remove(k);
        }
    }
    c
}

/// The API of a running `serve`, as the bootstrap admin.
#[derive(Clone)]
struct Admin {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Admin {
    async fn login(base: &str) -> Self {
        let http = reqwest::Client::new();
        let login: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "Correct-Horse-42"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["access_token"].as_str().expect("admin login").to_string();
        Admin { base: base.to_string(), http, token }
    }

    /// The same session against another replica (they share the signing secret).
    fn at(&self, base: &str) -> Self {
        Admin { base: base.to_string(), ..self.clone() }
    }

    /// A POST that must succeed; its JSON answer.
    async fn post(&self, path: &str, body: Value) -> Value {
        let r =
            self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "POST {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// An HTTP service answering for `host` in cluster 1, routed by a failover table over
    /// `routes`; the route table.
    async fn routed_service(&self, name: &str, host: &str, routes: Vec<Value>, probe: Value) -> Value {
        let svc = self
            .post("/api/v1/services", json!({"name": name, "cluster_id": 1, "hostnames": [host], "protocol": "http"}))
            .await;
        self.post(
            "/api/v1/multi-cloud/routes",
            json!({"name": name, "service_id": svc["id"], "cluster_id": 1, "algorithm": "failover",
                   "routes": routes, "health_probe": probe}),
        )
        .await
    }

    /// Each endpoint of a route table and whether it is healthy, sorted.
    async fn health_states(&self, table: &Value) -> Vec<(String, bool)> {
        let url = format!("{}/api/v1/multi-cloud/routes/{table}/health", self.base, table = table["id"]);
        let v: Value = self.http.get(url).bearer_auth(&self.token).send().await.unwrap().json().await.unwrap();
        let mut states: Vec<(String, bool)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["endpoint"].as_str().unwrap().to_string(), h["is_healthy"].as_bool().unwrap()))
            .collect();
        states.sort();
        states
    }
}

async fn status(mut c: Command) -> (bool, String) {
    let out = c.output().await.unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn migrate_applies_the_schema_and_can_run_again() {
    let dir = temp_dir();
    for _ in 0..2 {
        let mut c = marchproxy(&["migrate"]);
        c.env("MARCHPROXY_DATA_DIR", &dir);
        let (ok, out) = status(c).await;
        assert!(ok, "{out}");
        assert!(out.contains("migrations applied"), "{out}");
    }
    assert!(std::fs::metadata(dir.join("marchproxy.db")).unwrap().len() > 0);
    let mut c = marchproxy(&["migrate"]);
    c.env("DATABASE_URL", "mysql://nowhere/x");
    let (ok, out) = status(c).await;
    assert!(!ok, "an unsupported database is an error: {out}");
}

/// `serve` as a child process, with the addresses it printed.
struct Served {
    child: Child,
    api: String,
    /// The local proxy's addresses (empty when it is off).
    proxy: String,
    proxy_admin: String,
    /// The default cluster's key, when this start created the cluster.
    key: Option<String>,
}

async fn serve(dir: &Path) -> Served {
    serve_with(dir, true).await
}

/// `serve` on `dir`'s database, with or without the local proxy.
async fn serve_with(dir: &Path, local_proxy: bool) -> Served {
    let mut c = marchproxy(&["serve"]);
    c.env("MARCHPROXY_LISTEN", "127.0.0.1:0")
        .env("MARCHPROXY_PROXY_LISTEN", if local_proxy { "127.0.0.1:0" } else { "off" })
        .env("MARCHPROXY_PROXY_ADMIN_LISTEN", "127.0.0.1:0")
        .env("MARCHPROXY_DATA_DIR", dir)
        .env("MARCHPROXY_ADMIN_PASSWORD", "Correct-Horse-42")
        .env("MARCHPROXY_STARTER_TRACING", "false")
        .env("MARCHPROXY_SHUTDOWN_DELAY_SECONDS", "1")
        .env("MARCHPROXY_SHUTDOWN_GRACE_SECONDS", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut api, mut proxy, mut proxy_admin, mut key) = (None, None, None, None);
    let mut licensed = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while if local_proxy { proxy.is_none() } else { !licensed } {
        let line = tokio::time::timeout_at(deadline.into(), lines.next_line()).await.unwrap().unwrap().unwrap();
        if let Some(a) = line.strip_prefix("MarchProxy control plane listening on ") {
            api = Some(format!("http://{a}"));
        }
        if let Some(k) = line.split("proxy API key: ").nth(1) {
            key = k.split_whitespace().next().map(str::to_string);
        }
        licensed |= line.trim().starts_with("License:");
        if let Some(rest) = line.trim().strip_prefix("Proxy:") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            proxy = Some(words[0].trim_end_matches('/').to_string());
            proxy_admin = Some(words.last().unwrap().trim_end_matches("/metrics").to_string());
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served {
        child,
        api: api.unwrap(),
        proxy: proxy.unwrap_or_default(),
        proxy_admin: proxy_admin.unwrap_or_default(),
        key,
    }
}

#[tokio::test]
async fn health_answers_by_exit_code() {
    let dir = temp_dir();
    let served = serve(&dir).await;
    let (ok, out) = status(marchproxy(&["health", &format!("{}/readyz", served.api)])).await;
    assert!(ok, "{out}");
    let (ok, out) = status(marchproxy(&["health", &format!("{}/api/v1/nope", served.api)])).await;
    assert!(!ok && out.contains("404"), "{out}");
    let (ok, _) = status(marchproxy(&["health", "--timeout-seconds", "1", "http://127.0.0.1:9/"])).await;
    assert!(!ok, "a refused connection is unhealthy");
}

#[tokio::test]
async fn sigterm_turns_readiness_off_first_and_lets_requests_finish() {
    let dir = temp_dir();
    let mut served = serve(&dir).await;
    let admin = Admin::login(&served.api).await;
    let http = admin.http.clone();
    let up = Upstream::start("slow").await;
    admin.routed_service("slow", "slow.test", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    let through_proxy = || http.get(format!("{}/", served.proxy)).header("host", "slow.test").send();
    eventually(Duration::from_secs(10), || async { through_proxy().await.is_ok_and(|r| r.status() == 200) }).await;

    // A request that takes 2 s is in progress when SIGTERM arrives.
    up.delay_ms.store(2000, Ordering::Relaxed);
    let slow = tokio::spawn(through_proxy());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = served.child.id().unwrap() as i32;
    let sent = Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);

    // Readiness turns false first, on the API and the local proxy; liveness stays.
    eventually(Duration::from_millis(800), || async {
        let api = http.get(format!("{}/readyz", served.api)).send().await;
        let px = http.get(format!("{}/ready", served.proxy_admin)).send().await;
        api.is_ok_and(|r| r.status() == 503) && px.is_ok_and(|r| r.status() == 503)
    })
    .await;
    let live = http.get(format!("{}/healthz", served.api)).send().await.unwrap();
    assert_eq!(live.status(), 200, "still alive while draining");

    // The request in progress finishes; then the process exits cleanly within the bound.
    let done = slow.await.unwrap().unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(done.text().await.unwrap(), "slow");
    let exit = tokio::time::timeout(Duration::from_secs(15), served.child.wait()).await.expect("exits").unwrap();
    assert!(exit.success(), "{exit:?}");
    let took = sent.elapsed();
    assert!(took >= Duration::from_secs(1), "the delay was honoured: {took:?}");
    assert!(took < Duration::from_secs(11), "delay + grace bound the stop: {took:?}");
    // Nothing listens any more.
    assert!(http.get(format!("{}/healthz", served.api)).send().await.is_err());
}

async fn admin(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    let mut all = vec!["admin"];
    all.extend_from_slice(args);
    let mut c = marchproxy(&all);
    c.env("MARCHPROXY_DATA_DIR", dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

async fn login(api: &str, user: &str, password: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{api}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

/// The operator's tasks without curl: users, passwords, roles, cluster keys, the license,
/// against the database of a running `serve`.
#[tokio::test]
async fn admin_commands_manage_users_keys_and_show_the_license() {
    let dir = temp_dir();
    let served = serve(&dir).await;
    let (ok, out) =
        admin(&dir, &["create-user", "bob", "--role", "viewer", "--password-stdin"], Some("bob-first-pw\n")).await;
    assert!(ok, "{out}");
    assert_eq!(login(&served.api, "bob", "bob-first-pw").await, 200);
    let (ok, out) = admin(&dir, &["create-user", "weak", "--password-stdin"], Some("short\n")).await;
    assert!(!ok && out.contains("at least 8"), "{out}");
    let (ok, out) = admin(&dir, &["create-user", "bad name\n", "--password-stdin"], Some("long-enough-pw\n")).await;
    assert!(!ok && out.contains("user name"), "the API's user-name rule applies: {out}");

    // A generated password is printed once and replaces the old one.
    let (ok, out) = admin(&dir, &["reset-password", "bob"], None).await;
    assert!(ok, "{out}");
    let generated = out.lines().find_map(|l| l.strip_prefix("password: ")).unwrap().to_string();
    assert_eq!(login(&served.api, "bob", "bob-first-pw").await, 401);
    assert_eq!(login(&served.api, "bob", &generated).await, 200);

    let (ok, out) = admin(&dir, &["set-role", "admin", "viewer"], None).await;
    assert!(!ok && out.contains("last admin"), "{out}");
    let (ok, out) = admin(&dir, &["set-role", "bob", "admin"], None).await;
    assert!(ok, "{out}");
    let (ok, out) = admin(&dir, &["list-users"], None).await;
    assert!(ok && out.lines().any(|l| l.ends_with("\tbob\tadmin")), "{out}");

    // A rotated key works for proxies at once.
    let (ok, out) = admin(&dir, &["rotate-cluster-key", "1"], None).await;
    assert!(ok, "{out}");
    let key = out.trim();
    assert!(key.starts_with("mpk_"), "{out}");
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/proxy/config?wait_seconds=0", served.api))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (ok, out) = admin(&dir, &["rotate-cluster-key", "99"], None).await;
    assert!(!ok && out.contains("not found"), "{out}");

    let (ok, out) = admin(&dir, &["license"], None).await;
    assert!(ok, "{out}");
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["tier"], "development");
}

/// Two replicas on one database and a proxy given both. SIGKILL the replica the proxy
/// long-polls: the broken long-poll is followed by one poll of the other replica, and a
/// change made there reaches the proxy at once. Traffic through the proxy never fails.
#[tokio::test]
async fn a_replica_killed_mid_long_poll_costs_one_re_poll() {
    let dir = temp_dir();
    let mut a = serve_with(&dir, false).await;
    let b = serve_with(&dir, false).await;
    let key = a.key.clone().expect("the first start printed the cluster key");
    let admin = Admin::login(&b.api).await;
    let http = admin.http.clone();
    let up = Upstream::start("one").await;
    admin.routed_service("one", "one.test", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;

    // The proxy long-polls replica A first.
    let mut px = marchproxy(&["proxy"]);
    px.env("MARCHPROXY_CONTROL_PLANE", format!("{},{}", a.api, b.api))
        .env("MARCHPROXY_CLUSTER_API_KEY", &key)
        .env("MARCHPROXY_LISTEN", "127.0.0.1:0")
        .env("MARCHPROXY_ADMIN_LISTEN", "127.0.0.1:0")
        .env("MARCHPROXY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut proxy = px.spawn().unwrap();
    let mut lines = BufReader::new(proxy.stdout.take().unwrap()).lines();
    // "MarchProxy proxy listening on ADDR (admin ADMIN)", after the logs of its start.
    let line = loop {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await.unwrap().unwrap().unwrap();
        if line.starts_with("MarchProxy proxy listening on ") {
            break line;
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let words: Vec<&str> = line.split_whitespace().collect();
    let (listen, proxy_admin) = (words[4].to_string(), words[6].trim_end_matches(')').to_string());
    let get = |host: &'static str| http.get(format!("http://{listen}/")).header("host", host).send();
    eventually(Duration::from_secs(10), || async { get("one.test").await.is_ok_and(|r| r.status() == 200) }).await;
    let metric = |name: &'static str| {
        let proxy_admin = proxy_admin.clone();
        async move {
            let text = reqwest::get(format!("http://{proxy_admin}/metrics")).await.unwrap().text().await.unwrap();
            text.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string())).unwrap_or_default()
        }
    };
    assert_eq!(metric("marchproxy_control_plane_failovers_total").await, "0");

    // Traffic runs while A is killed.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop2, client, target) = (stop.clone(), http.clone(), format!("http://{listen}/"));
    let load = tokio::spawn(async move {
        let (mut ok, mut failed) = (0u32, 0u32);
        while !stop2.load(Ordering::Relaxed) {
            match client.get(&target).header("host", "one.test").send().await {
                Ok(r) if r.status() == 200 => ok += 1,
                _ => failed += 1,
            }
        }
        (ok, failed)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.child.start_kill().unwrap(); // SIGKILL
    a.child.wait().await.unwrap();
    let killed = Instant::now();
    let up2 = Upstream::start("two").await;
    admin.routed_service("two", "two.test", vec![route(&up2, "aws", "us-east-1")], quiet_probe()).await;
    eventually(Duration::from_secs(5), || async { get("two.test").await.is_ok_and(|r| r.status() == 200) }).await;
    let took = killed.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (ok, failed) = load.await.unwrap();
    assert!(ok > 0 && failed == 0, "ok {ok}, failed {failed}");
    assert_eq!(metric("marchproxy_control_plane_failovers_total").await, "1", "one move, to B");
    println!("a change reached the proxy {took:?} after the replica was killed");
    assert!(took < Duration::from_secs(3), "{took:?}");
    proxy.start_kill().unwrap();
}

/// The replica that probes (it holds the health monitor's lease) is killed with SIGKILL:
/// the other takes the lease within one lease period (10 s) and a second, and no
/// endpoint's state flips because of it (the configuration version, which a flip bumps,
/// stays). Measured here: 7.7 s from the kill to the other replica's first probe.
#[tokio::test]
async fn a_killed_probing_replica_is_replaced_within_one_lease_period() {
    let dir = temp_dir();
    let a = serve_with(&dir, false).await;
    let b = serve_with(&dir, false).await;
    let admin = Admin::login(&b.api).await;
    let up = Upstream::start("alive").await;
    // One endpoint that answers, one that never does.
    let mut dead = route(&up, "gcp", "us-central1");
    dead["endpoint"] = json!("http://127.0.0.1:9");
    let probe = json!({"protocol": "tcp", "interval_seconds": 2, "timeout_seconds": 1, "unhealthy_threshold": 2, "healthy_threshold": 2});
    let rt = admin.routed_service("h", "h.test", vec![route(&up, "aws", "us-east-1"), dead], probe).await;
    let probes = |api: String| async move {
        let text = reqwest::get(format!("{api}/metrics")).await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with("marchproxy_health_probes_total{"))
            .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
            .sum::<u64>()
    };
    // Settled: the dead endpoint is unhealthy, the live one healthy.
    eventually(Duration::from_secs(15), || async { admin.health_states(&rt).await.iter().any(|(_, ok)| !ok) }).await;
    let settled = admin.health_states(&rt).await;
    assert_eq!(settled.iter().filter(|(_, ok)| *ok).count(), 1, "{settled:?}");
    let version = |api: String, key: String| async move {
        let v: Value = reqwest::Client::new()
            .get(format!("{api}/api/v1/proxy/config?wait_seconds=0"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["version"].as_i64().unwrap()
    };
    let key = a.key.clone().unwrap();
    let before = version(b.api.clone(), key.clone()).await;

    // Whichever replica probes is the one to kill.
    let (pa, pb) = (probes(a.api.clone()).await, probes(b.api.clone()).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let a_probes = probes(a.api.clone()).await > pa;
    let b_probes = probes(b.api.clone()).await > pb;
    assert!(a_probes != b_probes, "exactly one replica probes: a {a_probes}, b {b_probes}");
    let (mut leader, follower) = if a_probes { (a, b) } else { (b, a) };
    leader.child.start_kill().unwrap(); // SIGKILL
    leader.child.wait().await.unwrap();
    let killed = Instant::now();
    let start = probes(follower.api.clone()).await;
    eventually(Duration::from_secs(15), || async { probes(follower.api.clone()).await > start }).await;
    let took = killed.elapsed();
    println!("the other replica probed {took:?} after the probing one was killed");
    // The lease runs out at most 10 s after the kill, the follower looks every second, and
    // its first probe of an endpoint falls at that endpoint's place in the 2 s interval.
    assert!(took <= Duration::from_secs(16), "one lease period, a follower's check and a probe interval: {took:?}");
    // A few probes later: no endpoint flipped, so no configuration change either.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_health = admin.at(&follower.api).health_states(&rt).await;
    assert_eq!(after_health, settled);
    assert_eq!(version(follower.api.clone(), key).await, before, "no flip, no new configuration version");
}
