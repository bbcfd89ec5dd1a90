//! Test support shared by MarchProxy's crates (a dev-dependency only; nothing here ships).
//!
//! Layout:
//! - [`control_plane`]: a real control plane on 127.0.0.1:0 over a fresh database (SQLite in
//!   a temporary directory, or PostgreSQL when `MARCHPROXY_TEST_DATABASE_URL` names a
//!   server), logged in as the bootstrap admin, with the default cluster's proxy API key.
//! - [`controller`]: a fake controller that serves a [`ClusterSnapshot`] over the real proxy
//!   API (register, config long-poll, report), so proxy-only tests need no database.
//! - [`upstream`]: HTTP servers posing as regions; [`grpc`]: a gRPC server (the four call
//!   types, `grpc.health.v1`) and client helpers.
//! - [`proxy`]: starting a proxy of a control plane and waiting until it runs a version.
//! - [`fixtures`]: the setups tests share, e.g. two upstreams behind one service's route
//!   table and a synced proxy.
//!
//! [`ClusterSnapshot`]: marchproxy_model::snapshot::ClusterSnapshot

pub mod control_plane;
pub mod controller;
pub mod fixtures;
pub mod grpc;
pub mod proxy;
pub mod upstream;

use std::time::{Duration, Instant};

pub use control_plane::ControlPlane;
pub use controller::FakeController;
pub use fixtures::{TwoRegions, concurrent_load, one_upstream_service, quiet_probe, route, web_behind_proxy};
pub use proxy::{Controller, client, get, metric, metrics, proxy, proxy_of, synced, synced_to};
pub use upstream::Upstream;

/// A name unique to this process and moment (database names, temporary directories).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}_{:x}", std::process::id(), rand::random::<u64>())
}

/// A fresh temporary directory.
pub fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(unique("mp-test-"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Poll until `f` is true, or panic after `within`.
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
