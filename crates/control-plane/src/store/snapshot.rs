//! The snapshot: a cluster's whole configuration as one versioned document.

use marchproxy_model::snapshot::{ClusterSnapshot, DrainedEndpoint};

use super::rows::RowExt;
use crate::db::{Db, now_ms};
use crate::store::clusters::cluster_version;
use crate::store::error::StoreResult;
use crate::store::qos_policies::qos_for_cluster;
use crate::store::route_tables::{health_for_cluster, route_tables_for_cluster};
use crate::store::tracing_configs::tracing_for_cluster;

/// The cluster's configuration as one versioned document.
pub async fn snapshot(db: &Db, cluster_id: i64) -> StoreResult<ClusterSnapshot> {
    let version = cluster_version(db, cluster_id).await?;
    let (services, _) = crate::store::services::list_services(
        db,
        &super::ListFilter { cluster_id: Some(cluster_id), limit: 100_000, ..Default::default() },
    )
    .await?;
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT d.route_table_id, d.endpoint, d.until_ms FROM drains d JOIN route_tables t ON t.id = d.route_table_id
         WHERE t.cluster_id = $1 AND d.until_ms > $2",
    )
    .bind(cluster_id)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    let drained = rows
        .iter()
        .map(|r| {
            Ok(DrainedEndpoint {
                route_table_id: r.i64("route_table_id")?,
                endpoint: r.str("endpoint")?,
                until_unix_ms: r.i64("until_ms")?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(ClusterSnapshot {
        version,
        cluster_id,
        services,
        route_tables: route_tables_for_cluster(db, cluster_id).await?,
        qos_policies: qos_for_cluster(db, cluster_id).await?,
        tracing_configs: tracing_for_cluster(db, cluster_id).await?,
        health: health_for_cluster(db, cluster_id).await?,
        drained,
    })
}
