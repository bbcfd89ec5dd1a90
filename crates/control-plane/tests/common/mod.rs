//! Test harness: a real control plane on 127.0.0.1:0 over a fresh database.
//!
//! The database is SQLite in a temp directory, or PostgreSQL when
//! `MARCHPROXY_TEST_DATABASE_URL` names a server (each test gets its own database).
#![allow(dead_code)]

use std::path::PathBuf;

use marchproxy_control_plane::{Running, ServeConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct TestApp {
    pub running: Running,
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    pub dir: PathBuf,
    pub db_url: String,
}

pub fn unique(prefix: &str) -> String {
    let n: u64 = rand_u64();
    format!("{prefix}{}_{n:x}", std::process::id())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

/// A fresh database URL for one test.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("MARCHPROXY_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(base) => {
            use sqlx::Executor;
            sqlx::any::install_default_drivers();
            let name = unique("mp_test_");
            let admin = sqlx::AnyPool::connect(&base).await.expect("connect to the PostgreSQL test server");
            admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create test database");
            admin.close().await;
            let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
            format!("{prefix}/{name}")
        }
        None => format!("sqlite://{}/marchproxy.db", dir.display()),
    }
}

pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(unique("mp-test-"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub async fn config() -> ServeConfig {
    let dir = temp_dir();
    let url = fresh_database(&dir).await;
    ServeConfig::for_tests(dir, url)
}

impl TestApp {
    pub async fn start() -> Self {
        Self::with_config(config().await).await
    }

    pub async fn with_config(cfg: ServeConfig) -> Self {
        let dir = cfg.data_dir.clone();
        let db_url = cfg.database_url();
        let password = cfg.admin_password.clone().unwrap();
        let running = marchproxy_control_plane::start(cfg).await.expect("control plane starts");
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::new();
        let mut app = TestApp { running, base, http, token: String::new(), dir, db_url };
        app.token = app.login("admin", &password).await;
        app
    }

    /// One login attempt, whatever its outcome.
    pub async fn try_login(&self, user: &str, password: &str) -> (StatusCode, Value) {
        self.call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"username": user, "password": password})))
            .await
    }

    pub async fn login(&self, user: &str, password: &str) -> String {
        let (status, body) = self.try_login(user, password).await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let v = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, v)
    }

    pub async fn raw(&self, method: Method, path: &str, body: &'static str) -> (StatusCode, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call_as(Some(&self.token), Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call_as(Some(&self.token), Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call_as(Some(&self.token), Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call_as(Some(&self.token), Method::DELETE, path, None).await
    }

    /// Create a service in cluster 1 and return its id.
    pub async fn service(&self, name: &str) -> i64 {
        let (s, b) = self
            .post("/api/v1/services", json!({"name": name, "cluster_id": 1, "hostnames": [format!("{name}.example.com")], "protocol": "http"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["id"].as_i64().unwrap()
    }

    pub async fn stop(self) {
        self.running.shutdown().await;
    }
}

/// The spec's QoS example.
pub fn qos_example(service_id: i64) -> Value {
    json!({
        "name": "High Priority Web Traffic",
        "service_id": service_id,
        "cluster_id": 1,
        "bandwidth": {"ingress_mbps": 1000, "egress_mbps": 1000, "burst_size_kb": 2048},
        "priority_config": {"priority": "P1", "weight": 10, "max_latency_ms": 10, "dscp_marking": "EF"}
    })
}

/// The spec's route-table example.
pub fn route_example(service_id: i64) -> Value {
    json!({
        "name": "Multi-Region Failover",
        "service_id": service_id,
        "cluster_id": 1,
        "algorithm": "latency",
        "routes": [
            {"provider": "aws", "region": "us-east-1", "endpoint": "https://api.us-east-1.example.com", "weight": 100, "cost_per_gb": 0.09, "is_active": true},
            {"provider": "gcp", "region": "us-central1", "endpoint": "https://api.us-central1.example.com", "weight": 100, "cost_per_gb": 0.08, "is_active": true}
        ],
        "health_probe": {"protocol": "https", "port": 443, "path": "/health", "interval_seconds": 30, "timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 2},
        "enable_auto_failover": true
    })
}

pub fn tracing_example() -> Value {
    json!({
        "name": "Jaeger production",
        "cluster_id": 1,
        "backend": "jaeger",
        "endpoint": "http://127.0.0.1:4318",
        "exporter": "http",
        "sampling_strategy": "probabilistic",
        "sampling_rate": 0.1,
        "include_request_headers": true,
        "service_name": "edge",
        "custom_tags": {"env": "prod"}
    })
}

/// Strip server-assigned fields so a response can be compared with the request.
pub fn without_meta(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    for k in ["id", "created_at", "updated_at"] {
        o.remove(k);
    }
    v
}
