//! The snapshot: a cluster's whole configuration as one versioned document.

use marchproxy_license::{DISTRIBUTED_TRACING, MULTI_CLOUD_ROUTING, TRAFFIC_SHAPING};
use marchproxy_model::snapshot::ClusterSnapshot;

use super::begin_read;
use crate::db::Db;
use crate::store::clusters::cluster_version;
use crate::store::entitlement::served;
use crate::store::error::StoreResult;
use crate::store::qos_policies::qos_for_cluster;
use crate::store::route_tables::{drained_for_cluster, health_for_cluster, route_tables_for_cluster};
use crate::store::services::services_for_cluster;
use crate::store::tracing_configs::tracing_for_cluster;

/// The cluster's configuration as one versioned document. Every part is read in one read
/// transaction ([`begin_read`]), so the contents are exactly those of `version`: a write
/// committed meanwhile is in neither the version nor the contents.
///
/// Enterprise configuration is in it only as far as the served entitlement
/// ([`entitlement`](super::entitlement)) allows: without `traffic_shaping` no QoS policies,
/// without `multi_cloud_routing` no route tables (nor their health and drains), without
/// `distributed_tracing` no tracing configs. The proxies then stop enforcing them.
pub async fn snapshot(db: &Db, cluster_id: i64) -> StoreResult<ClusterSnapshot> {
    let mut tx = begin_read(db).await?;
    let version = cluster_version(&mut *tx, cluster_id).await?;
    let served = served(&mut *tx).await?;
    let has = |f: &str| served.iter().any(|s| s == f);
    let routing = has(MULTI_CLOUD_ROUTING);
    let snapshot = ClusterSnapshot {
        version,
        cluster_id,
        services: services_for_cluster(&mut *tx, cluster_id).await?,
        route_tables: if routing { route_tables_for_cluster(&mut *tx, cluster_id).await? } else { vec![] },
        qos_policies: if has(TRAFFIC_SHAPING) { qos_for_cluster(&mut *tx, cluster_id).await? } else { vec![] },
        tracing_configs: if has(DISTRIBUTED_TRACING) {
            tracing_for_cluster(&mut *tx, cluster_id).await?
        } else {
            vec![]
        },
        health: if routing { health_for_cluster(&mut *tx, cluster_id).await? } else { vec![] },
        drained: if routing { drained_for_cluster(&mut *tx, cluster_id).await? } else { vec![] },
    };
    tx.commit().await?;
    Ok(snapshot)
}
