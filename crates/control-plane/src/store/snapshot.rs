//! The snapshot: a cluster's whole configuration as one versioned document.

use marchproxy_model::snapshot::ClusterSnapshot;

use super::begin_read;
use crate::db::Db;
use crate::store::clusters::cluster_version;
use crate::store::error::StoreResult;
use crate::store::qos_policies::qos_for_cluster;
use crate::store::route_tables::{drained_for_cluster, health_for_cluster, route_tables_for_cluster};
use crate::store::services::services_for_cluster;
use crate::store::tracing_configs::tracing_for_cluster;

/// The cluster's configuration as one versioned document. Every part is read in one read
/// transaction ([`begin_read`]), so the contents are exactly those of `version`: a write
/// committed meanwhile is in neither the version nor the contents.
pub async fn snapshot(db: &Db, cluster_id: i64) -> StoreResult<ClusterSnapshot> {
    let mut tx = begin_read(db).await?;
    let snapshot = ClusterSnapshot {
        version: cluster_version(&mut *tx, cluster_id).await?,
        cluster_id,
        services: services_for_cluster(&mut *tx, cluster_id).await?,
        route_tables: route_tables_for_cluster(&mut *tx, cluster_id).await?,
        qos_policies: qos_for_cluster(&mut *tx, cluster_id).await?,
        tracing_configs: tracing_for_cluster(&mut *tx, cluster_id).await?,
        health: health_for_cluster(&mut *tx, cluster_id).await?,
        drained: drained_for_cluster(&mut *tx, cluster_id).await?,
    };
    tx.commit().await?;
    Ok(snapshot)
}
