//! Harness: a real control plane, real upstream servers posing as regions, and a real
//! proxy, all on 127.0.0.1.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use marchproxy_control_plane::{Running, ServeConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mp-proxy-test-{}-{}", std::process::id(), rand::random::<u64>()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A control plane with an admin token and the default cluster's API key.
pub struct ControlPlane {
    pub running: Option<Running>,
    pub base: String,
    pub token: String,
    pub key: String,
    pub http: reqwest::Client,
    pub cfg: ServeConfig,
}

impl ControlPlane {
    pub async fn start() -> Self {
        let dir = temp_dir();
        let url = format!("sqlite://{}/cp.db", dir.display());
        Self::start_with(ServeConfig::for_tests(dir, url)).await
    }

    pub async fn start_with(cfg: ServeConfig) -> Self {
        let running = marchproxy_control_plane::start(cfg.clone()).await.expect("control plane starts");
        let base = format!("http://{}", running.addr);
        let key = running.bootstrapped.default_cluster_key.clone().unwrap_or_default();
        let http = reqwest::Client::new();
        let r: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "admin-password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = r["access_token"].as_str().unwrap().to_string();
        let mut cfg = cfg;
        cfg.listen = running.addr;
        ControlPlane { running: Some(running), base, token, key, http, cfg }
    }

    /// Stop (outage) and later restart on the same address and database.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    pub async fn restart(&mut self) {
        let running = marchproxy_control_plane::start(self.cfg.clone()).await.expect("restart");
        self.running = Some(running);
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let s = resp.status();
        (s, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!(s.is_success(), "POST {path}: {s} {v}");
        v
    }

    pub async fn put(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.call(reqwest::Method::PUT, path, Some(body)).await;
        assert!(s.is_success(), "PUT {path}: {s} {v}");
        v
    }

    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.call(reqwest::Method::GET, path, None).await;
        assert!(s.is_success(), "GET {path}: {s} {v}");
        v
    }

    /// A service answering for `host` in cluster 1.
    pub async fn service(&self, name: &str, host: &str) -> i64 {
        self.post("/api/v1/services", json!({"name": name, "cluster_id": 1, "hostnames": [host], "protocol": "http"}))
            .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A route table over upstreams; `routes` are full route objects.
    pub async fn route_table(&self, service_id: i64, algorithm: &str, routes: Vec<Value>, probe: Value) -> i64 {
        self.post(
            "/api/v1/multi-cloud/routes",
            json!({"name": format!("rt-{service_id}"), "service_id": service_id, "cluster_id": 1, "algorithm": algorithm,
                   "routes": routes, "health_probe": probe}),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }
}

pub fn route(up: &Upstream, provider: &str, region: &str) -> Value {
    json!({"provider": provider, "region": region, "endpoint": up.url(), "weight": 100, "cost_per_gb": 0.05, "is_active": true})
}

/// A probe that will not interfere: long interval.
pub fn quiet_probe() -> Value {
    json!({"protocol": "tcp", "interval_seconds": 3600, "timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 2})
}

/// An HTTP server posing as one region. Answers its name; `/bytes/N` sends N bytes;
/// `/echo` returns the request headers as JSON; `/status/N` answers N.
pub struct Upstream {
    pub name: String,
    pub addr: SocketAddr,
    pub hits: Arc<AtomicU64>,
    pub delay_ms: Arc<AtomicU64>,
    /// When set, every request gets a 500 at once.
    pub fail: Arc<std::sync::atomic::AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Upstream {
    pub async fn start(name: &str) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(name, l)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(name: &str, l: TcpListener) -> Self {
        let addr = l.local_addr().unwrap();
        let hits = Arc::new(AtomicU64::new(0));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (n, h, d, f) = (name.to_string(), hits.clone(), delay_ms.clone(), fail.clone());
        let task = tokio::spawn(async move {
            // Connection tasks live in this set: aborting the server kills them too.
            let mut conns = JoinSet::new();
            loop {
                let Ok((s, _)) = l.accept().await else { continue };
                let (n, h, d, f) = (n.clone(), h.clone(), d.clone(), f.clone());
                conns.spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let (n, h, d, f) = (n.clone(), h.clone(), d.clone(), f.clone());
                        async move {
                            if f.load(Ordering::Relaxed) {
                                h.fetch_add(1, Ordering::Relaxed);
                                let mut r = Response::new(Full::new(Bytes::from_static(b"failing")));
                                *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                                return Ok::<_, Infallible>(r);
                            }
                            Ok::<_, Infallible>(answer(req, &n, &h, &d).await)
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(s), svc)
                        .await;
                });
            }
        });
        Upstream { name: name.to_string(), addr, hits, delay_ms, fail, task: Some(task) }
    }

    /// Kill the server and every open connection (connections are then refused).
    pub fn kill(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Serve again on the same port.
    pub async fn revive(&mut self) {
        let l = TcpListener::bind(self.addr).await.unwrap();
        let mut fresh = Self::serve(&self.name, l);
        self.task = fresh.task.take();
        self.hits = fresh.hits.clone();
        self.delay_ms = fresh.delay_ms.clone();
        self.fail = fresh.fail.clone();
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn answer(req: Request<Incoming>, name: &str, hits: &AtomicU64, delay: &AtomicU64) -> Response<Full<Bytes>> {
    hits.fetch_add(1, Ordering::Relaxed);
    let d = delay.load(Ordering::Relaxed);
    if d > 0 {
        tokio::time::sleep(Duration::from_millis(d)).await;
    }
    let path = req.uri().path().to_string();
    if let Some(n) = path.strip_prefix("/bytes/") {
        let n: usize = n.parse().unwrap_or(0);
        return Response::new(Full::new(Bytes::from(vec![b'x'; n])));
    }
    if let Some(code) = path.strip_prefix("/status/") {
        let mut r = Response::new(Full::new(Bytes::from(name.to_string())));
        *r.status_mut() = hyper::StatusCode::from_u16(code.parse().unwrap_or(500)).unwrap();
        return r;
    }
    if path.ends_with("/echo") {
        let headers: serde_json::Map<String, Value> =
            req.headers().iter().map(|(k, v)| (k.to_string(), Value::from(v.to_str().unwrap_or("")))).collect();
        let (body, trailers) = match req.into_body().collect().await {
            Ok(c) => {
                let t: serde_json::Map<String, Value> = c
                    .trailers()
                    .map(|t| t.iter().map(|(k, v)| (k.to_string(), Value::from(v.to_str().unwrap_or("")))).collect())
                    .unwrap_or_default();
                (c.to_bytes().len(), t)
            }
            Err(_) => (0, Default::default()),
        };
        let v = json!({"name": name, "headers": headers, "body_len": body, "trailers": trailers});
        return Response::new(Full::new(Bytes::from(v.to_string())));
    }
    Response::new(Full::new(Bytes::from(name.to_string())))
}

/// A control plane with one HTTP service (`service`, `host`) whose failover route table
/// sends everything to one upstream named `upstream` (aws us-east-1, quiet probe). Returns
/// the service id too.
pub async fn one_upstream_service(upstream: &str, service: &str, host: &str) -> (ControlPlane, Upstream, i64) {
    let cp = ControlPlane::start().await;
    let up = Upstream::start(upstream).await;
    let svc = cp.service(service, host).await;
    cp.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    (cp, up, svc)
}

/// [`one_upstream_service`] (upstream "a", service "web" at web.example.com) behind a proxy
/// of cluster 1 (`tweak` its configuration) that runs the current configuration.
pub async fn web_behind_proxy(
    tweak: impl FnOnce(&mut marchproxy_proxy::ProxyConfig),
) -> (ControlPlane, Upstream, marchproxy_proxy::Running) {
    let (cp, up, _svc) = one_upstream_service("a", "web", "web.example.com").await;
    let p = proxy(&cp, tweak).await;
    synced(&cp, &p).await;
    (cp, up, p)
}

/// Start a proxy of cluster 1.
pub async fn proxy(
    cp: &ControlPlane,
    tweak: impl FnOnce(&mut marchproxy_proxy::ProxyConfig),
) -> marchproxy_proxy::Running {
    let mut cfg = marchproxy_proxy::ProxyConfig::new(cp.base.clone(), cp.key.clone(), "127.0.0.1:0".into());
    cfg.name = Some(format!("test-{}", rand::random::<u32>()));
    cfg.report_interval_ms = 200;
    tweak(&mut cfg);
    marchproxy_proxy::start(cfg).await.expect("proxy starts")
}

/// Wait until the proxy runs at least the control plane's current version.
pub async fn synced(cp: &ControlPlane, p: &marchproxy_proxy::Running) {
    let want = current_version(cp).await;
    eventually(Duration::from_secs(5), || async {
        p.proxy.runtime.load().as_ref().map(|r| r.version).unwrap_or(0) >= want
    })
    .await;
}

/// The default cluster's configuration version, as the proxies see it (via a long-poll without wait).
pub async fn current_version(cp: &ControlPlane) -> i64 {
    let r = cp
        .http
        .get(format!("{}/api/v1/proxy/config?wait_seconds=0", cp.base))
        .bearer_auth(&cp.key)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["version"].as_i64().unwrap()
}

/// The proxy's Prometheus `/metrics` text.
pub async fn metrics(p: &marchproxy_proxy::Running) -> String {
    reqwest::get(format!("http://{}/metrics", p.admin_addr)).await.unwrap().text().await.unwrap()
}

/// A client that talks to the proxy with a given Host header.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap()
}

pub async fn get(
    c: &reqwest::Client,
    p: &marchproxy_proxy::Running,
    host: &str,
    path: &str,
) -> (u16, String, Option<String>) {
    match c.get(format!("http://{}{path}", p.addr)).header("host", host).send().await {
        Ok(r) => {
            let s = r.status().as_u16();
            let e = r.headers().get("x-marchproxy-error").map(|v| v.to_str().unwrap().to_string());
            (s, r.text().await.unwrap_or_default(), e)
        }
        Err(e) => (0, e.to_string(), None),
    }
}

/// Poll until `f` is true or panic after `within`.
pub async fn eventually<F, Fut>(within: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !f().await {
        assert!(Instant::now() < deadline, "condition not met within {within:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
