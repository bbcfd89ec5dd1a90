//! A snapshot is one version's configuration: its contents are read in one read
//! transaction, so a snapshot never carries version N with the contents of N+1.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long the writer and the readers race.
const RACE: Duration = Duration::from_secs(3);
const READERS: usize = 3;

fn service(n: u64) -> Value {
    json!({"name": "web", "description": n.to_string(), "cluster_id": 1, "hostnames": ["web.example.com"], "protocol": "http"})
}

/// One writer updates a service's description to 1, 2, 3, ...; each update bumps the
/// cluster's version exactly once, so a snapshot at version `v` must show the description
/// `v - v0`, where `v0` is the version right after the service was created.
#[tokio::test]
async fn a_snapshot_never_mixes_two_versions() {
    let app = Arc::new(ControlPlane::start().await);
    let key = app.key.clone();
    let (s, created) = app.post("/api/v1/services", service(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let path = format!("/api/v1/services/{}", created["id"]);
    let snapshot = |app: Arc<ControlPlane>, key: String| async move {
        let (s, snap) = app.call_as(Some(&key), Method::GET, "/api/v1/proxy/config", None).await;
        assert_eq!(s, StatusCode::OK, "{snap}");
        snap
    };
    let v0 = snapshot(app.clone(), key.clone()).await["version"].as_i64().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let writer = {
        let (app, stop, writes, path) = (app.clone(), stop.clone(), writes.clone(), path.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = writes.load(Ordering::Relaxed) + 1;
                let (s, b) = app.put(&path, service(n)).await;
                assert_eq!(s, StatusCode::OK, "{b}");
                writes.store(n, Ordering::Relaxed);
            }
        })
    };
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (app, key, stop) = (app.clone(), key.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut reads, mut torn) = (0u64, vec![]);
                while !stop.load(Ordering::Relaxed) {
                    let snap = snapshot(app.clone(), key.clone()).await;
                    let version = snap["version"].as_i64().unwrap();
                    let description = snap["services"][0]["description"].as_str().unwrap().to_string();
                    if description != (version - v0).to_string() {
                        torn.push(format!("version {version} with description {description}"));
                    }
                    reads += 1;
                }
                (reads, torn)
            })
        })
        .collect();
    tokio::time::sleep(RACE).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    let (mut reads, mut torn) = (0, vec![]);
    for r in readers {
        let (n, t) = r.await.unwrap();
        reads += n;
        torn.extend(t);
    }
    let writes = writes.load(Ordering::Relaxed);
    // The race means something only if versions changed under many reads.
    assert!(writes >= 20 && reads >= 50, "too little happened: {writes} writes, {reads} snapshots");
    assert!(
        torn.is_empty(),
        "{} of {reads} snapshots were torn ({writes} writes), e.g. {:?}",
        torn.len(),
        &torn[..torn.len().min(5)]
    );
    Arc::into_inner(app).expect("all tasks ended").shutdown().await;
}
