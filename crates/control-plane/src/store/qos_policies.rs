//! QoS policies (traffic shaping) of a service.

use marchproxy_model::qos::{QosPolicy, QosPolicySpec};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

use super::rows::{AnyQuery, RowExt, cluster_of, delete_row, filter_for, list_rows, set_enabled_row};
use super::{ListFilter, bump_both, bump_version};
use crate::db::{Db, now_ms};
use crate::store::error::{StoreError, StoreResult};
use crate::store::services::check_service_in_cluster;

fn qos_from_row(r: &AnyRow) -> StoreResult<QosPolicy> {
    Ok(QosPolicy {
        id: r.i64("id")?,
        spec: QosPolicySpec {
            name: r.str("name")?,
            description: r.opt_str("description")?,
            service_id: r.i64("service_id")?,
            cluster_id: r.i64("cluster_id")?,
            bandwidth: r.json("bandwidth_config")?,
            priority_config: r.json("priority_config")?,
            enabled: r.bool("enabled")?,
        },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// The columns a QosPolicy's spec writes, then the time of the write: the order of both the
/// INSERT and the UPDATE below.
fn bind_spec<'q>(q: AnyQuery<'q>, spec: &'q QosPolicySpec) -> AnyQuery<'q> {
    q.bind(spec.name.trim())
        .bind(spec.description.as_deref())
        .bind(spec.service_id)
        .bind(spec.cluster_id)
        .bind(serde_json::to_string(&spec.bandwidth).expect("serializes"))
        .bind(serde_json::to_string(&spec.priority_config).expect("serializes"))
        .bind(spec.enabled)
        .bind(now_ms())
}

pub async fn create_qos(db: &Db, spec: &QosPolicySpec) -> StoreResult<QosPolicy> {
    check_service_in_cluster(db, spec.service_id, spec.cluster_id).await?;
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "INSERT INTO qos_policies (name, description, service_id, cluster_id, bandwidth_config, priority_config, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
    );
    let row = bind_spec(q, spec).fetch_one(&mut *tx).await?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    qos_from_row(&row)
}

pub async fn get_qos(db: &Db, id: i64) -> StoreResult<QosPolicy> {
    let row = sqlx::query("SELECT * FROM qos_policies WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(qos_from_row).transpose()?.ok_or_else(|| StoreError::not_found("QoS policy", id))
}

pub async fn list_qos(db: &Db, p: &ListFilter) -> StoreResult<(Vec<QosPolicy>, i64)> {
    let (rows, total) = list_rows(db, "qos_policies", &filter_for(p, true), p.skip, p.limit).await?;
    Ok((rows.iter().map(qos_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_qos(db: &Db, id: i64, spec: &QosPolicySpec) -> StoreResult<QosPolicy> {
    let old_cluster = cluster_of(db, "qos_policies", "QoS policy", id).await?;
    check_service_in_cluster(db, spec.service_id, spec.cluster_id).await?;
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "UPDATE qos_policies SET name = $1, description = $2, service_id = $3, cluster_id = $4, bandwidth_config = $5,
         priority_config = $6, enabled = $7, updated_at = $8 WHERE id = $9 RETURNING *",
    );
    let row = bind_spec(q, spec).bind(id).fetch_one(&mut *tx).await?;
    bump_both(&mut tx, old_cluster, spec.cluster_id).await?;
    tx.commit().await?;
    qos_from_row(&row)
}

pub async fn delete_qos(db: &Db, id: i64) -> StoreResult<()> {
    delete_row(db, "qos_policies", "QoS policy", id).await
}

pub async fn set_qos_enabled(db: &Db, id: i64, enabled: bool) -> StoreResult<QosPolicy> {
    set_enabled_row(db, "qos_policies", "QoS policy", id, enabled).await?;
    get_qos(db, id).await
}

pub async fn qos_for_cluster<'c>(
    ex: impl Executor<'c, Database = Any>,
    cluster_id: i64,
) -> StoreResult<Vec<QosPolicy>> {
    let rows = sqlx::query("SELECT * FROM qos_policies WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster_id)
        .fetch_all(ex)
        .await?;
    rows.iter().map(qos_from_row).collect()
}
