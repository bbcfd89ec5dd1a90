//! One encoded snapshot per cluster version, shared by every proxy that asks for it. When a
//! change wakes hundreds of long-polls at once, the snapshot is read from the database and
//! serialised once (single flight per cluster), not once per proxy; the others wait for it
//! and send the same bytes. Snapshots are the same for every proxy of a cluster, so nothing
//! per proxy is lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::db::Db;
use crate::store::{self, StoreResult};

/// A cluster's snapshot at one version, as JSON.
#[derive(Debug)]
pub struct Encoded {
    pub version: i64,
    pub json: Bytes,
}

#[derive(Default)]
pub struct SnapshotCache {
    /// Per cluster: the newest encoded snapshot, and the lock that makes its build single.
    clusters: Mutex<HashMap<i64, Arc<Slot>>>,
    /// Snapshots read and encoded (for `/metrics` and tests).
    pub builds: AtomicU64,
}

#[derive(Default)]
struct Slot {
    latest: Mutex<Option<Arc<Encoded>>>,
    building: tokio::sync::Mutex<()>,
}

impl Slot {
    fn current(&self, version: i64) -> Option<Arc<Encoded>> {
        self.latest.lock().expect("snapshot cache lock").clone().filter(|e| e.version == version)
    }
}

impl SnapshotCache {
    /// The cluster's snapshot at `version` (the version just read), encoded: from the cache,
    /// or built once while concurrent callers wait. The snapshot built can be newer than
    /// `version` (a write landed in between); it is what the database holds, so it is served.
    pub async fn get(&self, db: &Db, cluster_id: i64, version: i64) -> StoreResult<Arc<Encoded>> {
        let slot = self.clusters.lock().expect("snapshot cache lock").entry(cluster_id).or_default().clone();
        if let Some(e) = slot.current(version) {
            return Ok(e);
        }
        let _building = slot.building.lock().await;
        // Someone else built it while this caller waited for the lock. (Only the same
        // version: after a database restore versions can go back.)
        if let Some(e) = slot.current(version) {
            return Ok(e);
        }
        let snap = store::snapshot::snapshot(db, cluster_id).await?;
        self.builds.fetch_add(1, Ordering::Relaxed);
        let json = Bytes::from(serde_json::to_vec(&snap).expect("a snapshot serialises"));
        let e = Arc::new(Encoded { version: snap.version, json });
        *slot.latest.lock().expect("snapshot cache lock") = Some(e.clone());
        Ok(e)
    }
}
