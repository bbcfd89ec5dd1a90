//! A fake controller: the proxy API of the control plane (register, config long-poll,
//! report) over real HTTP, serving a [`ClusterSnapshot`] the test writes, with no database.
//! Proxy-only tests (HTTP/1 framing, protocols, upgrades) start one instead of a control
//! plane; tests of the control plane and proxy together use [`crate::ControlPlane`].
//!
//! The snapshot is kept as JSON in the shape the control plane serves (objects are the API's
//! request bodies plus `id`, `created_at` and `updated_at`), and every change is checked to
//! parse as a [`ClusterSnapshot`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use marchproxy_model::snapshot::ClusterSnapshot;
use serde_json::{Value, json};
use tokio::sync::watch;

/// The cluster every fake snapshot describes.
pub const CLUSTER_ID: i64 = 1;
const STAMP: &str = "2026-01-01T00:00:00Z";

/// A fake controller on 127.0.0.1:0.
pub struct FakeController {
    pub base: String,
    /// The cluster API key proxies must present.
    pub key: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    key: String,
    snapshot: Mutex<Value>,
    /// The current version; long-polls wait on it.
    version: watch::Sender<i64>,
    reports: Mutex<Vec<Value>>,
    /// Ids handed out to proxies and to the objects the helpers add.
    next_id: AtomicI64,
}

impl FakeController {
    /// A controller serving an empty snapshot (version 1).
    pub async fn start() -> Self {
        let key = format!("mpk_fake_{:x}", rand::random::<u64>());
        let snapshot = json!({"version": 1, "cluster_id": CLUSTER_ID, "services": [], "route_tables": [],
                              "qos_policies": [], "tracing_configs": [], "health": [], "drained": []});
        let shared = Arc::new(Shared {
            key: key.clone(),
            snapshot: Mutex::new(snapshot),
            version: watch::channel(1).0,
            reports: Mutex::new(Vec::new()),
            next_id: AtomicI64::new(1),
        });
        let app = axum::Router::new()
            .route("/api/v1/proxy/register", post(register))
            .route("/api/v1/proxy/config", get(config))
            .route("/api/v1/proxy/report", post(report))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeController { base, key, shared, task }
    }

    /// Change the snapshot (its JSON) and publish it as the next version.
    pub fn update(&self, f: impl FnOnce(&mut Value)) {
        let mut snap = self.shared.snapshot.lock().unwrap();
        f(&mut snap);
        let version = snap["version"].as_i64().unwrap() + 1;
        snap["version"] = json!(version);
        if let Err(e) = serde_json::from_value::<ClusterSnapshot>(snap.clone()) {
            panic!("the fake snapshot does not parse as a ClusterSnapshot: {e}\n{snap:#}");
        }
        drop(snap);
        self.shared.version.send_replace(version);
    }

    /// The current snapshot's JSON.
    pub fn snapshot(&self) -> Value {
        self.shared.snapshot.lock().unwrap().clone()
    }

    fn id(&self) -> i64 {
        self.shared.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Add an HTTP service answering for `host` whose failover route table sends its traffic
    /// to `endpoints` (URLs, first preferred); returns the service id.
    pub fn service(&self, name: &str, host: &str, endpoints: &[String]) -> i64 {
        let (sid, tid) = (self.id(), self.id());
        let routes: Vec<Value> = endpoints
            .iter()
            .map(|e| json!({"provider": "aws", "region": "us-east-1", "endpoint": e, "weight": 100, "is_active": true}))
            .collect();
        self.update(|s| {
            push(s, "services", sid, json!({"name": name, "cluster_id": CLUSTER_ID, "hostnames": [host], "protocol": "http"}));
            push(
                s,
                "route_tables",
                tid,
                json!({"name": format!("rt-{sid}"), "service_id": sid, "cluster_id": CLUSTER_ID, "algorithm": "failover",
                       "routes": routes, "health_probe": crate::quiet_probe()}),
            );
        });
        sid
    }

    /// Add a QoS policy (`spec` as the API takes it; `cluster_id` is filled in); its id.
    pub fn qos_policy(&self, mut spec: Value) -> i64 {
        let id = self.id();
        spec["cluster_id"] = json!(CLUSTER_ID);
        self.update(|s| push(s, "qos_policies", id, spec));
        id
    }

    /// The traffic reports proxies have sent, oldest first.
    pub fn reports(&self) -> Vec<Value> {
        self.shared.reports.lock().unwrap().clone()
    }
}

impl Drop for FakeController {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl crate::proxy::Controller for FakeController {
    fn base(&self) -> &str {
        &self.base
    }
    fn key(&self) -> &str {
        &self.key
    }
    async fn version(&self) -> i64 {
        *self.shared.version.borrow()
    }
}

/// Append an object with server-assigned fields to the snapshot's `list`.
fn push(snapshot: &mut Value, list: &str, id: i64, mut object: Value) {
    object["id"] = json!(id);
    object["created_at"] = json!(STAMP);
    object["updated_at"] = json!(STAMP);
    snapshot[list].as_array_mut().unwrap().push(object);
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let want = format!("Bearer {}", shared.key);
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str())
}

async fn register(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    Json(json!({"proxy_id": id, "cluster_id": CLUSTER_ID})).into_response()
}

#[derive(serde::Deserialize)]
struct ConfigQuery {
    version: Option<i64>,
    wait_seconds: Option<u64>,
}

/// As the control plane: the snapshot at once when the proxy's version differs, otherwise
/// a long-poll that answers on the next change or 304 after `wait_seconds`.
async fn config(State(shared): State<Arc<Shared>>, headers: HeaderMap, Query(q): Query<ConfigQuery>) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut changes = shared.version.subscribe();
    let wait = Duration::from_secs(q.wait_seconds.unwrap_or(25).min(60));
    let changed = tokio::time::timeout(wait, changes.wait_for(|v| q.version != Some(*v))).await;
    if changed.is_err() {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    Json(shared.snapshot.lock().unwrap().clone()).into_response()
}

async fn report(State(shared): State<Arc<Shared>>, headers: HeaderMap, Json(r): Json<Value>) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    shared.reports.lock().unwrap().push(r);
    Json(json!({"applied": true})).into_response()
}
