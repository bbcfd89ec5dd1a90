//! A real control plane on 127.0.0.1:0 over a fresh database, driven over HTTP.
//!
//! The database is SQLite in a temporary directory, or PostgreSQL when
//! `MARCHPROXY_TEST_DATABASE_URL` names a server (each control plane then gets a database
//! of its own).

use std::path::PathBuf;

use marchproxy_control_plane::{Running, ServeConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running control plane, logged in as the bootstrap admin.
pub struct ControlPlane {
    /// None while stopped ([`ControlPlane::stop`]).
    pub running: Option<Running>,
    pub base: String,
    pub http: reqwest::Client,
    /// The admin's access token.
    pub token: String,
    /// The default cluster's proxy API key.
    pub key: String,
    /// What it was started with, pinned to the address it bound (a restart reuses both).
    pub cfg: ServeConfig,
    pub dir: PathBuf,
    pub db_url: String,
}

/// A fresh database URL for one control plane.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("MARCHPROXY_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(base) => {
            use sqlx::Executor;
            sqlx::any::install_default_drivers();
            let name = crate::unique("mp_test_");
            let admin = sqlx::AnyPool::connect(&base).await.expect("connect to the PostgreSQL test server");
            admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create test database");
            admin.close().await;
            let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
            format!("{prefix}/{name}")
        }
        None => format!("sqlite://{}/marchproxy.db", dir.display()),
    }
}

/// Test settings over a fresh database in a fresh directory.
pub async fn config() -> ServeConfig {
    let dir = crate::temp_dir();
    let url = fresh_database(&dir).await;
    ServeConfig::for_tests(dir, url)
}

impl ControlPlane {
    pub async fn start() -> Self {
        Self::start_with(config().await).await
    }

    pub async fn start_with(cfg: ServeConfig) -> Self {
        let password = cfg.admin_password.clone().expect("test settings carry an admin password");
        let running = marchproxy_control_plane::start(cfg.clone()).await.expect("control plane starts");
        let base = format!("http://{}", running.addr);
        let key = running.bootstrapped.default_cluster_key.clone().unwrap_or_default();
        let mut cfg = cfg;
        cfg.listen = running.addr;
        let (dir, db_url) = (cfg.data_dir.clone(), cfg.database_url());
        let mut cp = ControlPlane {
            running: Some(running),
            base,
            http: reqwest::Client::new(),
            token: String::new(),
            key,
            cfg,
            dir,
            db_url,
        };
        cp.token = cp.login("admin", &password).await;
        cp
    }

    /// The running control plane (its state, bootstrap results, address).
    ///
    /// # Panics
    /// While stopped.
    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("the control plane is running")
    }

    /// Stop (an outage); [`ControlPlane::restart`] brings it back on the same address and
    /// database.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    pub async fn restart(&mut self) {
        let running = marchproxy_control_plane::start(self.cfg.clone()).await.expect("restart");
        self.running = Some(running);
    }

    /// Stop for good.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// One login attempt, whatever its outcome.
    pub async fn try_login(&self, user: &str, password: &str) -> (StatusCode, Value) {
        self.call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"username": user, "password": password})))
            .await
    }

    /// Log in and return the access token.
    pub async fn login(&self, user: &str, password: &str) -> String {
        let (status, body) = self.try_login(user, password).await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// A request with `token` (or none); the body is JSON when it parses, a string otherwise.
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

    /// A request as the admin with a raw JSON body (malformed input).
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

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(Some(&self.token), method, path, body).await
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// A request as the admin that must succeed; its JSON body.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (s, v) = self.call(method.clone(), path, body).await;
        assert!(s.is_success(), "{method} {path}: {s} {v}");
        v
    }
    pub async fn get_ok(&self, path: &str) -> Value {
        self.ok(Method::GET, path, None).await
    }
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        self.ok(Method::POST, path, Some(body)).await
    }
    pub async fn put_ok(&self, path: &str, body: Value) -> Value {
        self.ok(Method::PUT, path, Some(body)).await
    }

    /// A failover drill's record (`…/routes/{id}/drills/{drill_id}`) once it is no longer
    /// `running`, or as it is after 10 s.
    pub async fn drill_ended(&self, path: &str) -> Value {
        let mut rec = Value::Null;
        for _ in 0..100 {
            rec = self.get_ok(path).await;
            if rec["status"] != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        rec
    }

    /// An HTTP service answering for `host` in cluster 1; its id.
    pub async fn service(&self, name: &str, host: &str) -> i64 {
        self.post_ok(
            "/api/v1/services",
            json!({"name": name, "cluster_id": 1, "hostnames": [host], "protocol": "http"}),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A route table of `service_id` in cluster 1 over `routes` (full route objects); its id.
    pub async fn route_table(&self, service_id: i64, algorithm: &str, routes: Vec<Value>, probe: Value) -> i64 {
        self.post_ok(
            "/api/v1/multi-cloud/routes",
            json!({"name": format!("rt-{service_id}"), "service_id": service_id, "cluster_id": 1, "algorithm": algorithm,
                   "routes": routes, "health_probe": probe}),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// An OTLP/JSON export to the span receiver (`POST /v1/traces`), authenticated with the
    /// default cluster's proxy API key as the receiver requires.
    pub async fn export_spans(&self, body: &Value) -> reqwest::Response {
        self.http.post(format!("{}/v1/traces", self.base)).bearer_auth(&self.key).json(body).send().await.unwrap()
    }

    /// The default cluster's configuration version, as proxies see it (a long-poll that
    /// does not wait).
    pub async fn version(&self) -> i64 {
        let r = self
            .http
            .get(format!("{}/api/v1/proxy/config?wait_seconds=0", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["version"].as_i64().unwrap()
    }
}
