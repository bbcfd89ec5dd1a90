//! Clusters: a group of proxies sharing one configuration, its API key (stored hashed)
//! and its `config_version`.

use marchproxy_model::cluster::{Cluster, ClusterSpec};
use sha2::Digest;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

use super::ListFilter;
use super::rows::{Filter, RowExt, list_rows};
use crate::db::{Db, now_ms};
use crate::store::error::{StoreError, StoreResult, conflict_name};

fn cluster_from_row(r: &AnyRow) -> StoreResult<Cluster> {
    Ok(Cluster {
        id: r.i64("id")?,
        spec: ClusterSpec { name: r.str("name")?, description: r.opt_str("description")? },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// A new cluster API key: shown once, stored as a SHA-256 hash.
pub fn new_api_key() -> (String, String) {
    let key = format!("mpk_{}", crate::auth::random_secret(32));
    let hash = api_key_hash(&key);
    (key, hash)
}

pub fn api_key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.trim().as_bytes()))
}

pub async fn create_cluster(db: &Db, spec: &ClusterSpec) -> StoreResult<(Cluster, String)> {
    let (key, hash) = new_api_key();
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO clusters (name, description, api_key_hash, config_version, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4) RETURNING *",
    )
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(hash)
    .bind(now)
    .fetch_one(&db.pool)
    .await
    .map_err(|e| conflict_name(e, "cluster", &spec.name))?;
    Ok((cluster_from_row(&row)?, key))
}

pub async fn get_cluster(db: &Db, id: i64) -> StoreResult<Cluster> {
    let row = sqlx::query("SELECT * FROM clusters WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(cluster_from_row).transpose()?.ok_or_else(|| StoreError::not_found("cluster", id))
}

pub async fn cluster_exists(db: &Db, id: i64) -> StoreResult<bool> {
    Ok(sqlx::query("SELECT id FROM clusters WHERE id = $1").bind(id).fetch_optional(&db.pool).await?.is_some())
}

pub async fn list_clusters(db: &Db, p: &ListFilter) -> StoreResult<(Vec<Cluster>, i64)> {
    let (rows, total) = list_rows(db, "clusters", &Filter::default(), p.skip, p.limit).await?;
    Ok((rows.iter().map(cluster_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_cluster(db: &Db, id: i64, spec: &ClusterSpec) -> StoreResult<Cluster> {
    let row = sqlx::query("UPDATE clusters SET name = $1, description = $2, updated_at = $3 WHERE id = $4 RETURNING *")
        .bind(spec.name.trim())
        .bind(spec.description.as_deref())
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&db.pool)
        .await
        .map_err(|e| conflict_name(e, "cluster", &spec.name))?;
    row.as_ref().map(cluster_from_row).transpose()?.ok_or_else(|| StoreError::not_found("cluster", id))
}

pub async fn delete_cluster(db: &Db, id: i64) -> StoreResult<()> {
    let res = sqlx::query("DELETE FROM clusters WHERE id = $1").bind(id).execute(&db.pool).await.map_err(|e| {
        match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "cluster {id} still has services, policies, route tables or tracing configs; delete them first"
            )),
            other => other,
        }
    })?;
    if res.rows_affected() == 0 {
        return Err(StoreError::not_found("cluster", id));
    }
    Ok(())
}

pub async fn rotate_cluster_key(db: &Db, id: i64) -> StoreResult<String> {
    let (key, hash) = new_api_key();
    let n = sqlx::query("UPDATE clusters SET api_key_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::not_found("cluster", id));
    }
    Ok(key)
}

/// The cluster whose API key this is.
pub async fn cluster_by_api_key(db: &Db, key: &str) -> StoreResult<Option<i64>> {
    let row = sqlx::query("SELECT id FROM clusters WHERE api_key_hash = $1")
        .bind(api_key_hash(key))
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| r.i64("id")).transpose()
}

/// Every cluster's configuration version (for `/metrics`).
pub async fn config_versions(db: &Db) -> StoreResult<Vec<(i64, i64)>> {
    let rows = sqlx::query("SELECT id, config_version FROM clusters ORDER BY id").fetch_all(&db.pool).await?;
    rows.iter().map(|r| Ok((r.i64("id")?, r.i64("config_version")?))).collect()
}

/// The cluster's configuration version (in a pool, or in the snapshot's read transaction).
pub async fn cluster_version<'c>(ex: impl Executor<'c, Database = Any>, id: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT config_version FROM clusters WHERE id = $1").bind(id).fetch_optional(ex).await?;
    row.ok_or_else(|| StoreError::not_found("cluster", id))?.i64("config_version")
}
