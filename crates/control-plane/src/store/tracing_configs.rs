//! Tracing configurations (distributed tracing) of a cluster.

use marchproxy_model::tracing_config::{TracingConfig, TracingConfigSpec};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

use super::rows::{AnyQuery, RowExt, cluster_of, delete_row, filter_for, list_rows, parse_enum, set_enabled_row};
use super::{ListFilter, bump_both, bump_version};
use crate::db::{Db, now_ms};
use crate::store::clusters::cluster_exists;
use crate::store::error::{StoreError, StoreResult};

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

async fn check_cluster(db: &Db, cluster_id: i64) -> StoreResult<()> {
    if !cluster_exists(db, cluster_id).await? {
        return Err(StoreError::field(&["body", "cluster_id"], format!("cluster {cluster_id} does not exist")));
    }
    Ok(())
}

/// The columns a tracing config's spec writes, then the time of the write: the order of both
/// the INSERT and the UPDATE below.
fn bind_spec<'q>(q: AnyQuery<'q>, spec: &'q TracingConfigSpec) -> AnyQuery<'q> {
    q.bind(spec.name.trim())
        .bind(spec.description.as_deref())
        .bind(spec.cluster_id)
        .bind(spec.backend.as_str())
        .bind(spec.endpoint.trim())
        .bind(spec.exporter.as_str())
        .bind(spec.sampling_strategy.as_str())
        .bind(spec.sampling_rate)
        .bind(spec.max_traces_per_second.map(i64::from))
        .bind(spec.include_request_headers)
        .bind(spec.include_response_headers)
        .bind(spec.include_request_body)
        .bind(spec.include_response_body)
        .bind(spec.max_attribute_length as i64)
        .bind(spec.service_name.trim())
        .bind(spec.custom_tags.as_ref().map(|t| serde_json::to_string(t).expect("serializes")))
        .bind(spec.query_url.as_deref())
        .bind(spec.enabled)
        .bind(now_ms())
}

pub async fn create_tracing(db: &Db, spec: &TracingConfigSpec) -> StoreResult<TracingConfig> {
    check_cluster(db, spec.cluster_id).await?;
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "INSERT INTO tracing_configs (name, description, cluster_id, backend, endpoint, exporter, sampling_strategy, sampling_rate,
         max_traces_per_second, include_request_headers, include_response_headers, include_request_body, include_response_body,
         max_attribute_length, service_name, custom_tags, query_url, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING *",
    );
    let row = bind_spec(q, spec).fetch_one(&mut *tx).await?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    tracing_from_row(&row)
}

pub async fn get_tracing(db: &Db, id: i64) -> StoreResult<TracingConfig> {
    let row = sqlx::query("SELECT * FROM tracing_configs WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(tracing_from_row).transpose()?.ok_or_else(|| StoreError::not_found("tracing config", id))
}

pub async fn list_tracing(db: &Db, p: &ListFilter) -> StoreResult<(Vec<TracingConfig>, i64)> {
    let (rows, total) = list_rows(db, "tracing_configs", &filter_for(p, false), p.skip, p.limit).await?;
    Ok((rows.iter().map(tracing_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_tracing(db: &Db, id: i64, spec: &TracingConfigSpec) -> StoreResult<TracingConfig> {
    let old_cluster = cluster_of(db, "tracing_configs", "tracing config", id).await?;
    check_cluster(db, spec.cluster_id).await?;
    let mut tx = super::begin_write(db).await?;
    let q = sqlx::query(
        "UPDATE tracing_configs SET name = $1, description = $2, cluster_id = $3, backend = $4, endpoint = $5, exporter = $6,
         sampling_strategy = $7, sampling_rate = $8, max_traces_per_second = $9, include_request_headers = $10,
         include_response_headers = $11, include_request_body = $12, include_response_body = $13, max_attribute_length = $14,
         service_name = $15, custom_tags = $16, query_url = $17, enabled = $18, updated_at = $19 WHERE id = $20 RETURNING *",
    );
    let row = bind_spec(q, spec).bind(id).fetch_one(&mut *tx).await?;
    bump_both(&mut tx, old_cluster, spec.cluster_id).await?;
    tx.commit().await?;
    tracing_from_row(&row)
}

pub async fn delete_tracing(db: &Db, id: i64) -> StoreResult<()> {
    delete_row(db, "tracing_configs", "tracing config", id).await
}

pub async fn set_tracing_enabled(db: &Db, id: i64, enabled: bool) -> StoreResult<TracingConfig> {
    set_enabled_row(db, "tracing_configs", "tracing config", id, enabled).await?;
    get_tracing(db, id).await
}

pub async fn tracing_for_cluster<'c>(
    ex: impl Executor<'c, Database = Any>,
    cluster_id: i64,
) -> StoreResult<Vec<TracingConfig>> {
    let rows = sqlx::query("SELECT * FROM tracing_configs WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster_id)
        .fetch_all(ex)
        .await?;
    rows.iter().map(tracing_from_row).collect()
}
