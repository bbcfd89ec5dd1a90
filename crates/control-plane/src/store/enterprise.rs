//! QoS policies, route tables (with their endpoints' health rows) and tracing configs.

use marchproxy_model::qos::{QosPolicy, QosPolicySpec};
use marchproxy_model::routing::{EndpointHealth, RouteTable, RouteTableSpec};
use marchproxy_model::tracing_cfg::{TracingConfig, TracingConfigSpec};
use sqlx::AnyPool;
use sqlx::any::AnyRow;

use super::core::{check_service_in_cluster, cluster_exists};
use super::{Filter, ListFilter, RowExt, Tx, bump_version, list_rows};
use crate::db::now_ms;
use crate::store::error::{StoreError, StoreResult};

fn parse_enum<T: serde::de::DeserializeOwned>(s: String, what: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::from(s))
        .map_err(|e| StoreError::Internal(anyhow::anyhow!("stored {what}: {e}")))
}

fn filter_for(p: &ListFilter, has_service: bool) -> Filter {
    let mut f = Filter::default();
    f.eq_i64("cluster_id", p.cluster_id);
    if has_service {
        f.eq_i64("service_id", p.service_id);
    }
    if p.enabled_only {
        f.raw("enabled = TRUE");
    }
    f
}

/// The cluster a row belongs to (404 if the row is missing).
async fn cluster_of(pool: &AnyPool, table: &str, what: &str, id: i64) -> StoreResult<i64> {
    let sql = format!("SELECT cluster_id FROM {table} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
    row.ok_or_else(|| StoreError::not_found(what, id))?.i64("cluster_id")
}

/// Delete a row and bump its cluster's version.
async fn delete_row(pool: &AnyPool, table: &str, what: &str, id: i64) -> StoreResult<()> {
    let cluster_id = cluster_of(pool, table, what, id).await?;
    let mut tx = super::begin_write(pool).await?;
    let sql = format!("DELETE FROM {table} WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *tx).await?;
    bump_version(&mut tx, cluster_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Flip `enabled` and bump the version.
async fn set_enabled_row(pool: &AnyPool, table: &str, what: &str, id: i64, enabled: bool) -> StoreResult<()> {
    let cluster_id = cluster_of(pool, table, what, id).await?;
    let mut tx = super::begin_write(pool).await?;
    let sql = format!("UPDATE {table} SET enabled = $1, updated_at = $2 WHERE id = $3");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(enabled).bind(now_ms()).bind(id).execute(&mut *tx).await?;
    bump_version(&mut tx, cluster_id).await?;
    tx.commit().await?;
    Ok(())
}

// === QoS policies ===

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

pub async fn create_qos(pool: &AnyPool, spec: &QosPolicySpec) -> StoreResult<QosPolicy> {
    check_service_in_cluster(pool, spec.service_id, spec.cluster_id).await?;
    let now = now_ms();
    let mut tx = super::begin_write(pool).await?;
    let row = sqlx::query(
        "INSERT INTO qos_policies (name, description, service_id, cluster_id, bandwidth_config, priority_config, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
    )
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(spec.service_id)
    .bind(spec.cluster_id)
    .bind(serde_json::to_string(&spec.bandwidth).expect("serializes"))
    .bind(serde_json::to_string(&spec.priority_config).expect("serializes"))
    .bind(spec.enabled)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    qos_from_row(&row)
}

pub async fn get_qos(pool: &AnyPool, id: i64) -> StoreResult<QosPolicy> {
    let row = sqlx::query("SELECT * FROM qos_policies WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.as_ref().map(qos_from_row).transpose()?.ok_or_else(|| StoreError::not_found("QoS policy", id))
}

pub async fn list_qos(pool: &AnyPool, p: &ListFilter) -> StoreResult<(Vec<QosPolicy>, i64)> {
    let (rows, total) = list_rows(pool, "qos_policies", &filter_for(p, true), p.skip, p.limit).await?;
    Ok((rows.iter().map(qos_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_qos(pool: &AnyPool, id: i64, spec: &QosPolicySpec) -> StoreResult<QosPolicy> {
    let old_cluster = cluster_of(pool, "qos_policies", "QoS policy", id).await?;
    check_service_in_cluster(pool, spec.service_id, spec.cluster_id).await?;
    let mut tx = super::begin_write(pool).await?;
    let row = sqlx::query(
        "UPDATE qos_policies SET name = $1, description = $2, service_id = $3, cluster_id = $4, bandwidth_config = $5,
         priority_config = $6, enabled = $7, updated_at = $8 WHERE id = $9 RETURNING *",
    )
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(spec.service_id)
    .bind(spec.cluster_id)
    .bind(serde_json::to_string(&spec.bandwidth).expect("serializes"))
    .bind(serde_json::to_string(&spec.priority_config).expect("serializes"))
    .bind(spec.enabled)
    .bind(now_ms())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    bump_both(&mut tx, old_cluster, spec.cluster_id).await?;
    tx.commit().await?;
    qos_from_row(&row)
}

async fn bump_both(tx: &mut Tx<'_>, a: i64, b: i64) -> StoreResult<()> {
    bump_version(tx, a).await?;
    if a != b {
        bump_version(tx, b).await?;
    }
    Ok(())
}

pub async fn delete_qos(pool: &AnyPool, id: i64) -> StoreResult<()> {
    delete_row(pool, "qos_policies", "QoS policy", id).await
}

pub async fn set_qos_enabled(pool: &AnyPool, id: i64, enabled: bool) -> StoreResult<QosPolicy> {
    set_enabled_row(pool, "qos_policies", "QoS policy", id, enabled).await?;
    get_qos(pool, id).await
}

pub async fn qos_for_cluster(pool: &AnyPool, cluster_id: i64) -> StoreResult<Vec<QosPolicy>> {
    let rows = sqlx::query("SELECT * FROM qos_policies WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(qos_from_row).collect()
}

// === route tables ===

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
async fn sync_health_rows(tx: &mut Tx<'_>, table_id: i64, spec: &RouteTableSpec) -> StoreResult<()> {
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

pub async fn create_route_table(pool: &AnyPool, spec: &RouteTableSpec) -> StoreResult<RouteTable> {
    check_service_in_cluster(pool, spec.service_id, spec.cluster_id).await?;
    let spec = trimmed(spec);
    let now = now_ms();
    let mut tx = super::begin_write(pool).await?;
    let row = sqlx::query(
        "INSERT INTO route_tables (name, description, service_id, cluster_id, algorithm, routes, health_probe_config, enable_auto_failover, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *",
    )
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(spec.service_id)
    .bind(spec.cluster_id)
    .bind(spec.algorithm.as_str())
    .bind(serde_json::to_string(&spec.routes).expect("serializes"))
    .bind(serde_json::to_string(&spec.health_probe).expect("serializes"))
    .bind(spec.enable_auto_failover)
    .bind(spec.enabled)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let table = route_from_row(&row)?;
    sync_health_rows(&mut tx, table.id, &spec).await?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    Ok(table)
}

pub async fn get_route_table(pool: &AnyPool, id: i64) -> StoreResult<RouteTable> {
    let row = sqlx::query("SELECT * FROM route_tables WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.as_ref().map(route_from_row).transpose()?.ok_or_else(|| StoreError::not_found("route table", id))
}

pub async fn list_route_tables(pool: &AnyPool, p: &ListFilter) -> StoreResult<(Vec<RouteTable>, i64)> {
    let (rows, total) = list_rows(pool, "route_tables", &filter_for(p, true), p.skip, p.limit).await?;
    Ok((rows.iter().map(route_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_route_table(pool: &AnyPool, id: i64, spec: &RouteTableSpec) -> StoreResult<RouteTable> {
    let old_cluster = cluster_of(pool, "route_tables", "route table", id).await?;
    check_service_in_cluster(pool, spec.service_id, spec.cluster_id).await?;
    let spec = trimmed(spec);
    let mut tx = super::begin_write(pool).await?;
    let row = sqlx::query(
        "UPDATE route_tables SET name = $1, description = $2, service_id = $3, cluster_id = $4, algorithm = $5, routes = $6,
         health_probe_config = $7, enable_auto_failover = $8, enabled = $9, updated_at = $10 WHERE id = $11 RETURNING *",
    )
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(spec.service_id)
    .bind(spec.cluster_id)
    .bind(spec.algorithm.as_str())
    .bind(serde_json::to_string(&spec.routes).expect("serializes"))
    .bind(serde_json::to_string(&spec.health_probe).expect("serializes"))
    .bind(spec.enable_auto_failover)
    .bind(spec.enabled)
    .bind(now_ms())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    sync_health_rows(&mut tx, id, &spec).await?;
    bump_both(&mut tx, old_cluster, spec.cluster_id).await?;
    tx.commit().await?;
    route_from_row(&row)
}

pub async fn delete_route_table(pool: &AnyPool, id: i64) -> StoreResult<()> {
    delete_row(pool, "route_tables", "route table", id).await
}

pub async fn set_route_table_enabled(pool: &AnyPool, id: i64, enabled: bool) -> StoreResult<RouteTable> {
    set_enabled_row(pool, "route_tables", "route table", id, enabled).await?;
    get_route_table(pool, id).await
}

pub async fn route_tables_for_cluster(pool: &AnyPool, cluster_id: i64) -> StoreResult<Vec<RouteTable>> {
    let rows = sqlx::query("SELECT * FROM route_tables WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(route_from_row).collect()
}

pub async fn enabled_route_tables(pool: &AnyPool) -> StoreResult<Vec<RouteTable>> {
    let rows = sqlx::query("SELECT * FROM route_tables WHERE enabled = TRUE ORDER BY id").fetch_all(pool).await?;
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

pub async fn health_for_table(pool: &AnyPool, table_id: i64) -> StoreResult<Vec<EndpointHealth>> {
    let rows = sqlx::query("SELECT * FROM route_health_status WHERE route_table_id = $1 ORDER BY id")
        .bind(table_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(health_from_row).collect()
}

pub async fn health_for_cluster(pool: &AnyPool, cluster_id: i64) -> StoreResult<Vec<EndpointHealth>> {
    let rows = sqlx::query(
        "SELECT h.* FROM route_health_status h JOIN route_tables t ON t.id = h.route_table_id WHERE t.cluster_id = $1 ORDER BY h.id",
    )
    .bind(cluster_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(health_from_row).collect()
}

/// Store one probe's outcome. Returns true when `is_healthy` flipped (and the cluster's
/// version was bumped so proxies learn of it).
pub async fn record_health(pool: &AnyPool, h: &EndpointHealth, cluster_id: i64, flipped: bool) -> StoreResult<()> {
    let mut tx = super::begin_write(pool).await?;
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

// === tracing configs ===

fn tracing_from_row(r: &AnyRow) -> StoreResult<TracingConfig> {
    let tags: Option<String> = r.opt_str("custom_tags")?;
    Ok(TracingConfig {
        id: r.i64("id")?,
        spec: TracingConfigSpec {
            name: r.str("name")?,
            description: r.opt_str("description")?,
            cluster_id: r.i64("cluster_id")?,
            backend: parse_enum(r.str("backend")?, "backend")?,
            endpoint: r.str("endpoint")?,
            exporter: parse_enum(r.str("exporter")?, "exporter")?,
            sampling_strategy: parse_enum(r.str("sampling_strategy")?, "sampling_strategy")?,
            sampling_rate: r.f64_opt("sampling_rate")?.unwrap_or(1.0),
            max_traces_per_second: r.opt_i64("max_traces_per_second")?.map(|v| v as u32),
            include_request_headers: r.bool("include_request_headers")?,
            include_response_headers: r.bool("include_response_headers")?,
            include_request_body: r.bool("include_request_body")?,
            include_response_body: r.bool("include_response_body")?,
            max_attribute_length: r.i64("max_attribute_length")? as u32,
            service_name: r.str("service_name")?,
            custom_tags: tags
                .map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(|e| StoreError::Internal(anyhow::anyhow!("stored custom_tags: {e}")))?,
            query_url: r.opt_str("query_url")?,
            enabled: r.bool("enabled")?,
        },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

async fn check_cluster(pool: &AnyPool, cluster_id: i64) -> StoreResult<()> {
    if !cluster_exists(pool, cluster_id).await? {
        return Err(StoreError::field(&["body", "cluster_id"], format!("cluster {cluster_id} does not exist")));
    }
    Ok(())
}

macro_rules! bind_tracing {
    ($q:expr, $s:expr) => {
        $q.bind($s.name.trim())
            .bind($s.description.as_deref())
            .bind($s.cluster_id)
            .bind($s.backend.as_str())
            .bind($s.endpoint.trim())
            .bind($s.exporter.as_str())
            .bind($s.sampling_strategy.as_str())
            .bind($s.sampling_rate)
            .bind($s.max_traces_per_second.map(i64::from))
            .bind($s.include_request_headers)
            .bind($s.include_response_headers)
            .bind($s.include_request_body)
            .bind($s.include_response_body)
            .bind($s.max_attribute_length as i64)
            .bind($s.service_name.trim())
            .bind($s.custom_tags.as_ref().map(|t| serde_json::to_string(t).expect("serializes")))
            .bind($s.query_url.as_deref())
            .bind($s.enabled)
            .bind(now_ms())
    };
}

pub async fn create_tracing(pool: &AnyPool, spec: &TracingConfigSpec) -> StoreResult<TracingConfig> {
    check_cluster(pool, spec.cluster_id).await?;
    let mut tx = super::begin_write(pool).await?;
    let q = sqlx::query(
        "INSERT INTO tracing_configs (name, description, cluster_id, backend, endpoint, exporter, sampling_strategy, sampling_rate,
         max_traces_per_second, include_request_headers, include_response_headers, include_request_body, include_response_body,
         max_attribute_length, service_name, custom_tags, query_url, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING *",
    );
    let row = bind_tracing!(q, spec).fetch_one(&mut *tx).await?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    tracing_from_row(&row)
}

pub async fn get_tracing(pool: &AnyPool, id: i64) -> StoreResult<TracingConfig> {
    let row = sqlx::query("SELECT * FROM tracing_configs WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.as_ref().map(tracing_from_row).transpose()?.ok_or_else(|| StoreError::not_found("tracing config", id))
}

pub async fn list_tracing(pool: &AnyPool, p: &ListFilter) -> StoreResult<(Vec<TracingConfig>, i64)> {
    let (rows, total) = list_rows(pool, "tracing_configs", &filter_for(p, false), p.skip, p.limit).await?;
    Ok((rows.iter().map(tracing_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_tracing(pool: &AnyPool, id: i64, spec: &TracingConfigSpec) -> StoreResult<TracingConfig> {
    let old_cluster = cluster_of(pool, "tracing_configs", "tracing config", id).await?;
    check_cluster(pool, spec.cluster_id).await?;
    let mut tx = super::begin_write(pool).await?;
    let q = sqlx::query(
        "UPDATE tracing_configs SET name = $1, description = $2, cluster_id = $3, backend = $4, endpoint = $5, exporter = $6,
         sampling_strategy = $7, sampling_rate = $8, max_traces_per_second = $9, include_request_headers = $10,
         include_response_headers = $11, include_request_body = $12, include_response_body = $13, max_attribute_length = $14,
         service_name = $15, custom_tags = $16, query_url = $17, enabled = $18, updated_at = $19 WHERE id = $20 RETURNING *",
    );
    let row = bind_tracing!(q, spec).bind(id).fetch_one(&mut *tx).await?;
    bump_both(&mut tx, old_cluster, spec.cluster_id).await?;
    tx.commit().await?;
    tracing_from_row(&row)
}

pub async fn delete_tracing(pool: &AnyPool, id: i64) -> StoreResult<()> {
    delete_row(pool, "tracing_configs", "tracing config", id).await
}

pub async fn set_tracing_enabled(pool: &AnyPool, id: i64, enabled: bool) -> StoreResult<TracingConfig> {
    set_enabled_row(pool, "tracing_configs", "tracing config", id, enabled).await?;
    get_tracing(pool, id).await
}

pub async fn tracing_for_cluster(pool: &AnyPool, cluster_id: i64) -> StoreResult<Vec<TracingConfig>> {
    let rows = sqlx::query("SELECT * FROM tracing_configs WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(tracing_from_row).collect()
}
