//! Route tables (multi-cloud routing) with the health rows of their endpoints, and the
//! drains of failover drills.

use marchproxy_model::route_table::{EndpointHealth, RouteTable, RouteTableSpec};
use marchproxy_model::snapshot::DrainedEndpoint;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

use super::rows::{
    AnyQuery, Filter, RowExt, cluster_of, delete_row, filter_for, list_rows, list_rows_on, parse_enum, set_enabled_row,
};
use super::{ListFilter, WriteTx, bump_both, bump_version};
use crate::db::{Db, now_ms};
use crate::store::error::{StoreError, StoreResult};
use crate::store::services::check_service_in_cluster;

fn route_from_row(r: &AnyRow) -> StoreResult<RouteTable> {
    Ok(RouteTable {
        id: r.i64("id")?,
        spec: RouteTableSpec {
            name: r.str("name")?,
            description: r.opt_str("description")?,
            service_id: r.i64("service_id")?,
            cluster_id: r.i64("cluster_id")?,
            algorithm: parse_enum(r.str("algorithm")?, "algorithm")?,
            routes: r.json("routes")?,
            health_probe: r.json("health_probe_config")?,
            enable_auto_failover: r.bool("enable_auto_failover")?,
            enabled: r.bool("enabled")?,
        },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// Make the health rows match the table's endpoints: new endpoints start healthy and unprobed.
async fn sync_health_rows(tx: &mut WriteTx<'_>, table_id: i64, spec: &RouteTableSpec) -> StoreResult<()> {
    let rows = sqlx::query("SELECT endpoint FROM route_health_status WHERE route_table_id = $1")
        .bind(table_id)
        .fetch_all(&mut **tx)
        .await?;
    let existing: Vec<String> = rows.iter().map(|r| r.str("endpoint")).collect::<StoreResult<_>>()?;
    for ep in &existing {
        if !spec.routes.iter().any(|r| r.endpoint.trim() == ep) {
            sqlx::query("DELETE FROM route_health_status WHERE route_table_id = $1 AND endpoint = $2")
                .bind(table_id)
                .bind(ep.as_str())
                .execute(&mut **tx)
                .await?;
        }
    }
    for r in &spec.routes {
        let ep = r.endpoint.trim();
        if !existing.iter().any(|e| e == ep) {
            sqlx::query(
                "INSERT INTO route_health_status (route_table_id, endpoint, is_healthy, last_check, rtt_ms, consecutive_failures, consecutive_successes, last_error)
                 VALUES ($1, $2, TRUE, NULL, NULL, 0, 0, NULL)",
            )
            .bind(table_id)
            .bind(ep)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

fn trimmed(spec: &RouteTableSpec) -> RouteTableSpec {
    let mut s = spec.clone();
    for r in &mut s.routes {
        r.endpoint = r.endpoint.trim().to_string();
    }
    s
}

/// The columns a RouteTable's spec writes, then the time of the write: the order of both the
/// INSERT and the UPDATE below.
fn bind_spec<'q>(q: AnyQuery<'q>, spec: &'q RouteTableSpec) -> AnyQuery<'q> {
    q.bind(spec.name.trim())
        .bind(spec.description.as_deref())
        .bind(spec.service_id)
        .bind(spec.cluster_id)
        .bind(spec.algorithm.as_str())
        .bind(serde_json::to_string(&spec.routes).expect("serializes"))
        .bind(serde_json::to_string(&spec.health_probe).expect("serializes"))
        .bind(spec.enable_auto_failover)
        .bind(spec.enabled)
        .bind(now_ms())
}

pub async fn create_route_table(db: &Db, spec: &RouteTableSpec) -> StoreResult<RouteTable> {
    check_service_in_cluster(db, spec.service_id, spec.cluster_id).await?;
    let spec = trimmed(spec);
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "INSERT INTO route_tables (name, description, service_id, cluster_id, algorithm, routes, health_probe_config, enable_auto_failover, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *",
    );
    let row = bind_spec(q, &spec).fetch_one(&mut *tx).await?;
    let table = route_from_row(&row)?;
    sync_health_rows(&mut tx, table.id, &spec).await?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    Ok(table)
}

pub async fn get_route_table(db: &Db, id: i64) -> StoreResult<RouteTable> {
    let row = sqlx::query("SELECT * FROM route_tables WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(route_from_row).transpose()?.ok_or_else(|| StoreError::not_found("route table", id))
}

pub async fn list_route_tables(db: &Db, p: &ListFilter) -> StoreResult<(Vec<RouteTable>, i64)> {
    let (rows, total) = list_rows(db, "route_tables", &filter_for(p, true), p.skip, p.limit).await?;
    Ok((rows.iter().map(route_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_route_table(db: &Db, id: i64, spec: &RouteTableSpec) -> StoreResult<RouteTable> {
    let old_cluster = cluster_of(db, "route_tables", "route table", id).await?;
    check_service_in_cluster(db, spec.service_id, spec.cluster_id).await?;
    let spec = trimmed(spec);
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "UPDATE route_tables SET name = $1, description = $2, service_id = $3, cluster_id = $4, algorithm = $5, routes = $6,
         health_probe_config = $7, enable_auto_failover = $8, enabled = $9, updated_at = $10 WHERE id = $11 RETURNING *",
    );
    let row = bind_spec(q, &spec).bind(id).fetch_one(&mut *tx).await?;
    sync_health_rows(&mut tx, id, &spec).await?;
    bump_both(&mut tx, old_cluster, spec.cluster_id).await?;
    tx.commit().await?;
    route_from_row(&row)
}

pub async fn delete_route_table(db: &Db, id: i64) -> StoreResult<()> {
    delete_row(db, "route_tables", "route table", id).await
}

pub async fn set_route_table_enabled(db: &Db, id: i64, enabled: bool) -> StoreResult<RouteTable> {
    set_enabled_row(db, "route_tables", "route table", id, enabled).await?;
    get_route_table(db, id).await
}

pub async fn route_tables_for_cluster<'c>(
    ex: impl Executor<'c, Database = Any>,
    cluster_id: i64,
) -> StoreResult<Vec<RouteTable>> {
    let rows = sqlx::query("SELECT * FROM route_tables WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster_id)
        .fetch_all(ex)
        .await?;
    rows.iter().map(route_from_row).collect()
}

pub async fn enabled_route_tables(db: &Db) -> StoreResult<Vec<RouteTable>> {
    let rows = sqlx::query("SELECT * FROM route_tables WHERE enabled = TRUE ORDER BY id").fetch_all(&db.pool).await?;
    rows.iter().map(route_from_row).collect()
}

// === endpoint health ===

fn health_from_row(r: &AnyRow) -> StoreResult<EndpointHealth> {
    Ok(EndpointHealth {
        route_table_id: r.i64("route_table_id")?,
        endpoint: r.str("endpoint")?,
        is_healthy: r.bool("is_healthy")?,
        last_check: r.opt_i64("last_check")?.map(crate::db::ms_to_time),
        rtt_ms: r.f64_opt("rtt_ms")?,
        consecutive_failures: r.i64("consecutive_failures")? as u32,
        consecutive_successes: r.i64("consecutive_successes")? as u32,
        last_error: r.opt_str("last_error")?,
    })
}

/// Endpoints by probed health, of enabled route tables: (healthy, unhealthy).
pub async fn health_counts(db: &Db) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN h.is_healthy = TRUE THEN 1 ELSE 0 END), 0) AS healthy,
                COALESCE(SUM(CASE WHEN h.is_healthy = TRUE THEN 0 ELSE 1 END), 0) AS unhealthy
         FROM route_health_status h JOIN route_tables t ON t.id = h.route_table_id WHERE t.enabled = TRUE",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((row.i64("healthy")?, row.i64("unhealthy")?))
}

pub async fn health_for_table(db: &Db, table_id: i64) -> StoreResult<Vec<EndpointHealth>> {
    let rows = sqlx::query("SELECT * FROM route_health_status WHERE route_table_id = $1 ORDER BY id")
        .bind(table_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(health_from_row).collect()
}

pub async fn health_for_cluster<'c>(
    ex: impl Executor<'c, Database = Any>,
    cluster_id: i64,
) -> StoreResult<Vec<EndpointHealth>> {
    let rows = sqlx::query(
        "SELECT h.* FROM route_health_status h JOIN route_tables t ON t.id = h.route_table_id WHERE t.cluster_id = $1 ORDER BY h.id",
    )
    .bind(cluster_id)
    .fetch_all(ex)
    .await?;
    rows.iter().map(health_from_row).collect()
}

/// Store one probe's outcome. Returns true when `is_healthy` flipped (and the cluster's
/// version was bumped so proxies learn of it).
pub async fn record_health(db: &Db, h: &EndpointHealth, cluster_id: i64, flipped: bool) -> StoreResult<()> {
    let mut tx = super::begin_write(db).await?;
    sqlx::query(
        "UPDATE route_health_status SET is_healthy = $1, last_check = $2, rtt_ms = $3, consecutive_failures = $4,
         consecutive_successes = $5, last_error = $6 WHERE route_table_id = $7 AND endpoint = $8",
    )
    .bind(h.is_healthy)
    .bind(h.last_check.map(|t| t.timestamp_millis()))
    .bind(h.rtt_ms)
    .bind(h.consecutive_failures as i64)
    .bind(h.consecutive_successes as i64)
    .bind(h.last_error.as_deref())
    .bind(h.route_table_id)
    .bind(h.endpoint.as_str())
    .execute(&mut *tx)
    .await?;
    if flipped {
        bump_version(&mut tx, cluster_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

// === drains ===

/// Take an endpoint out of rotation until `until_ms`; returns the drain id.
pub async fn add_drain(db: &Db, table_id: i64, cluster_id: i64, endpoint: &str, until_ms: i64) -> StoreResult<i64> {
    let mut tx = super::begin_write(db).await?;
    let row = sqlx::query("INSERT INTO drains (route_table_id, endpoint, until_ms) VALUES ($1, $2, $3) RETURNING id")
        .bind(table_id)
        .bind(endpoint)
        .bind(until_ms)
        .fetch_one(&mut *tx)
        .await?;
    super::bump_version(&mut tx, cluster_id).await?;
    tx.commit().await?;
    row.i64("id")
}

pub async fn remove_drain(db: &Db, drain_id: i64, cluster_id: i64) -> StoreResult<()> {
    let mut tx = super::begin_write(db).await?;
    sqlx::query("DELETE FROM drains WHERE id = $1").bind(drain_id).execute(&mut *tx).await?;
    super::bump_version(&mut tx, cluster_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The endpoints a running drill keeps out of rotation now, in the cluster's route tables.
pub async fn drained_for_cluster<'c>(
    ex: impl Executor<'c, Database = Any>,
    cluster_id: i64,
) -> StoreResult<Vec<DrainedEndpoint>> {
    let rows = sqlx::query(
        "SELECT d.route_table_id, d.endpoint, d.until_ms FROM drains d JOIN route_tables t ON t.id = d.route_table_id
         WHERE t.cluster_id = $1 AND d.until_ms > $2",
    )
    .bind(cluster_id)
    .bind(now_ms())
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DrainedEndpoint {
                route_table_id: r.i64("route_table_id")?,
                endpoint: r.str("endpoint")?,
                until_unix_ms: r.i64("until_ms")?,
            })
        })
        .collect()
}

// === failover drills ===

/// A live failover drill as stored; `result` is the drill's result document (JSON).
#[derive(Debug, Clone)]
pub struct StoredDrill {
    pub id: i64,
    pub route_table_id: i64,
    pub endpoint: String,
    pub duration_seconds: u32,
    pub status: String,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub result: Option<String>,
    pub error: Option<String>,
}

/// Record a live drill that starts now (`running`); returns the record.
pub async fn create_drill(
    db: &Db,
    table_id: i64,
    endpoint: &str,
    duration_seconds: u32,
    started_ms: i64,
) -> StoreResult<StoredDrill> {
    let mut tx = super::begin_write(db).await?;
    let row = sqlx::query(
        "INSERT INTO failover_drills (route_table_id, endpoint, duration_seconds, status, started_at)
         VALUES ($1, $2, $3, 'running', $4) RETURNING id",
    )
    .bind(table_id)
    .bind(endpoint)
    .bind(duration_seconds as i64)
    .bind(started_ms)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(StoredDrill {
        id: row.i64("id")?,
        route_table_id: table_id,
        endpoint: endpoint.to_string(),
        duration_seconds,
        status: "running".into(),
        started_ms,
        finished_ms: None,
        result: None,
        error: None,
    })
}

/// A drill ended: `Ok(result document)` or `Err(why it failed)`.
pub async fn finish_drill(db: &Db, drill_id: i64, outcome: Result<&str, &str>) -> StoreResult<()> {
    let (status, result, error) = match outcome {
        Ok(r) => ("finished", Some(r), None),
        Err(e) => ("failed", None, Some(e)),
    };
    let mut tx = super::begin_write(db).await?;
    sqlx::query("UPDATE failover_drills SET status = $1, finished_at = $2, result = $3, error = $4 WHERE id = $5")
        .bind(status)
        .bind(now_ms())
        .bind(result)
        .bind(error)
        .bind(drill_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A drill of route table `table_id` (404 if there is none with that id in that table).
pub async fn get_drill(db: &Db, table_id: i64, drill_id: i64) -> StoreResult<StoredDrill> {
    let row = sqlx::query("SELECT * FROM failover_drills WHERE id = $1 AND route_table_id = $2")
        .bind(drill_id)
        .bind(table_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("failover drill", drill_id))?;
    drill_from_row(&row)
}

/// The drills of route table `table_id`, newest first: `limit` of them after `skip`, and
/// how many there are in all (404 if there is no such table).
pub async fn list_drills(db: &Db, table_id: i64, skip: u32, limit: u32) -> StoreResult<(Vec<StoredDrill>, i64)> {
    // One read transaction: the page and its total agree, and a table deleted meanwhile
    // is a 404, not an empty page.
    let mut tx = super::begin_read(db).await?;
    let exists =
        sqlx::query("SELECT id FROM route_tables WHERE id = $1").bind(table_id).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(StoreError::not_found("route table", table_id));
    }
    let mut drills_of = Filter::default();
    drills_of.eq_i64("route_table_id", Some(table_id));
    let (rows, total) = list_rows_on(&mut tx, "failover_drills", &drills_of, "id DESC", skip, limit).await?;
    tx.commit().await?;
    Ok((rows.iter().map(drill_from_row).collect::<StoreResult<_>>()?, total))
}

fn drill_from_row(row: &AnyRow) -> StoreResult<StoredDrill> {
    Ok(StoredDrill {
        id: row.i64("id")?,
        route_table_id: row.i64("route_table_id")?,
        endpoint: row.str("endpoint")?,
        duration_seconds: u32::try_from(row.i64("duration_seconds")?).unwrap_or(0),
        status: row.str("status")?,
        started_ms: row.i64("started_at")?,
        finished_ms: row.opt_i64("finished_at")?,
        result: row.opt_str("result")?,
        error: row.opt_str("error")?,
    })
}
