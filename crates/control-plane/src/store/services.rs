//! Services: the hostnames and path prefix (or the TCP port) a cluster's proxies answer for.

use marchproxy_model::service::{Service, ServiceProtocol, ServiceSpec};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

use super::rows::{AnyQuery, Filter, RowExt, list_rows};
use super::{ListFilter, bump_version};
use crate::db::{Db, now_ms};
use crate::store::clusters::cluster_exists;
use crate::store::error::{StoreError, StoreResult, conflict_name};

fn service_from_row(r: &AnyRow) -> StoreResult<Service> {
    let protocol: ServiceProtocol = serde_json::from_value(serde_json::Value::from(r.str("protocol")?))
        .map_err(|e| StoreError::Internal(anyhow::anyhow!("stored protocol: {e}")))?;
    Ok(Service {
        id: r.i64("id")?,
        spec: ServiceSpec {
            name: r.str("name")?,
            description: r.opt_str("description")?,
            cluster_id: r.i64("cluster_id")?,
            hostnames: r.json("hostnames")?,
            path_prefix: r.str("path_prefix")?,
            protocol,
            listen_port: r.opt_i64("listen_port")?.map(|p| p as u16),
            enabled: r.bool("enabled")?,
        },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn protocol_str(p: ServiceProtocol) -> &'static str {
    match p {
        ServiceProtocol::Http => "http",
        ServiceProtocol::Https => "https",
        ServiceProtocol::Tcp => "tcp",
    }
}

async fn check_service_refs(db: &Db, spec: &ServiceSpec, id: Option<i64>) -> StoreResult<()> {
    if !cluster_exists(db, spec.cluster_id).await? {
        return Err(StoreError::field(&["body", "cluster_id"], format!("cluster {} does not exist", spec.cluster_id)));
    }
    if let Some(port) = spec.listen_port {
        let row = sqlx::query("SELECT id FROM services WHERE cluster_id = $1 AND listen_port = $2 AND id <> $3")
            .bind(spec.cluster_id)
            .bind(port as i64)
            .bind(id.unwrap_or(0))
            .fetch_optional(&db.pool)
            .await?;
        if let Some(r) = row {
            return Err(StoreError::Conflict(format!(
                "listen_port {port} is already used by service {}",
                r.i64("id")?
            )));
        }
    }
    Ok(())
}

/// The columns a service's spec writes, then the time of the write: the order of both the
/// INSERT and the UPDATE below.
fn bind_spec<'q>(q: AnyQuery<'q>, spec: &'q ServiceSpec) -> AnyQuery<'q> {
    q.bind(spec.cluster_id)
        .bind(spec.name.trim())
        .bind(spec.description.as_deref())
        .bind(serde_json::to_string(&spec.hostnames).expect("strings serialize"))
        .bind(spec.path_prefix.as_str())
        .bind(protocol_str(spec.protocol))
        .bind(spec.listen_port.map(i64::from))
        .bind(spec.enabled)
        .bind(now_ms())
}

pub async fn create_service(db: &Db, spec: &ServiceSpec) -> StoreResult<Service> {
    check_service_refs(db, spec, None).await?;
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "INSERT INTO services (cluster_id, name, description, hostnames, path_prefix, protocol, listen_port, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *",
    );
    let row = bind_spec(q, spec)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_name(e, "service in this cluster", &spec.name))?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    service_from_row(&row)
}

pub async fn get_service(db: &Db, id: i64) -> StoreResult<Service> {
    let row = sqlx::query("SELECT * FROM services WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(service_from_row).transpose()?.ok_or_else(|| StoreError::not_found("service", id))
}

pub async fn list_services(db: &Db, p: &ListFilter) -> StoreResult<(Vec<Service>, i64)> {
    let mut f = Filter::default();
    f.eq_i64("cluster_id", p.cluster_id);
    if p.enabled_only {
        f.raw("enabled = TRUE");
    }
    let (rows, total) = list_rows(db, "services", &f, p.skip, p.limit).await?;
    Ok((rows.iter().map(service_from_row).collect::<StoreResult<_>>()?, total))
}

/// The cluster's services, in id order (in a pool, or in the snapshot's read transaction).
pub async fn services_for_cluster<'c>(
    ex: impl Executor<'c, Database = Any>,
    cluster_id: i64,
) -> StoreResult<Vec<Service>> {
    let rows =
        sqlx::query("SELECT * FROM services WHERE cluster_id = $1 ORDER BY id").bind(cluster_id).fetch_all(ex).await?;
    rows.iter().map(service_from_row).collect()
}

pub async fn update_service(db: &Db, id: i64, spec: &ServiceSpec) -> StoreResult<Service> {
    let old = get_service(db, id).await?;
    check_service_refs(db, spec, Some(id)).await?;
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "UPDATE services SET cluster_id = $1, name = $2, description = $3, hostnames = $4, path_prefix = $5, protocol = $6,
         listen_port = $7, enabled = $8, updated_at = $9 WHERE id = $10 RETURNING *",
    );
    let row = bind_spec(q, spec).bind(id).fetch_one(&mut *tx).await.map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) if old.spec.cluster_id != spec.cluster_id => StoreError::Conflict(format!(
            "service {id} is used by policies or route tables of cluster {}; it cannot move to another cluster",
            old.spec.cluster_id
        )),
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("a service named `{}` already exists in this cluster", spec.name.trim()))
        }
        other => other,
    })?;
    bump_version(&mut tx, spec.cluster_id).await?;
    if old.spec.cluster_id != spec.cluster_id {
        bump_version(&mut tx, old.spec.cluster_id).await?;
    }
    tx.commit().await?;
    service_from_row(&row)
}

pub async fn delete_service(db: &Db, id: i64) -> StoreResult<()> {
    let old = get_service(db, id).await?;
    let mut tx = super::begin_write(db).await?;
    sqlx::query("DELETE FROM services WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(|e| {
        match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("service {id} is used by QoS policies or route tables; delete them first"))
            }
            other => other,
        }
    })?;
    bump_version(&mut tx, old.spec.cluster_id).await?;
    tx.commit().await?;
    Ok(())
}

/// 422 unless the service exists and belongs to the cluster.
pub async fn check_service_in_cluster(db: &Db, service_id: i64, cluster_id: i64) -> StoreResult<()> {
    if !cluster_exists(db, cluster_id).await? {
        return Err(StoreError::field(&["body", "cluster_id"], format!("cluster {cluster_id} does not exist")));
    }
    let row =
        sqlx::query("SELECT cluster_id FROM services WHERE id = $1").bind(service_id).fetch_optional(&db.pool).await?;
    match row {
        None => Err(StoreError::field(&["body", "service_id"], format!("service {service_id} does not exist"))),
        Some(r) if r.i64("cluster_id")? != cluster_id => Err(StoreError::field(
            &["body", "service_id"],
            format!("service {service_id} belongs to cluster {}, not cluster {cluster_id}", r.i64("cluster_id")?),
        )),
        Some(_) => Ok(()),
    }
}
