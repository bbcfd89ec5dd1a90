//! Proxies: registration (with the license's cap per cluster) and heartbeats.

use marchproxy_model::proxy::Proxy;
use sqlx::any::AnyRow;

use super::ListFilter;
use super::rows::{Filter, RowExt, list_rows};
use crate::db::{Db, now_ms};
use crate::store::error::{StoreError, StoreResult};

/// Milliseconds without a heartbeat after which a proxy counts as offline.
pub const PROXY_OFFLINE_AFTER_MS: i64 = 60_000;

fn proxy_from_row(r: &AnyRow) -> StoreResult<Proxy> {
    let last_seen = r.i64("last_seen")?;
    Ok(Proxy {
        id: r.i64("id")?,
        cluster_id: r.i64("cluster_id")?,
        name: r.str("name")?,
        version: r.str("version")?,
        address: r.opt_str("address")?,
        status: if now_ms() - last_seen <= PROXY_OFFLINE_AFTER_MS { "online" } else { "offline" }.into(),
        last_seen: crate::db::ms_to_time(last_seen),
        config_version: r.i64("config_version")?,
        registered_at: r.time("registered_at")?,
    })
}

pub async fn list_proxies(db: &Db, p: &ListFilter) -> StoreResult<(Vec<Proxy>, i64)> {
    let mut f = Filter::default();
    f.eq_i64("cluster_id", p.cluster_id);
    let (rows, total) = list_rows(db, "proxies", &f, p.skip, p.limit).await?;
    Ok((rows.iter().map(proxy_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn get_proxy(db: &Db, id: i64) -> StoreResult<Proxy> {
    let row = sqlx::query("SELECT * FROM proxies WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(proxy_from_row).transpose()?.ok_or_else(|| StoreError::not_found("proxy", id))
}

/// Register (or re-register) a proxy by name; `max` caps the online proxies of the cluster.
pub async fn register_proxy(
    db: &Db,
    cluster_id: i64,
    name: &str,
    version: &str,
    address: Option<&str>,
    max: Option<u32>,
) -> StoreResult<Proxy> {
    let now = now_ms();
    let mut tx = super::begin_write(db).await?;
    // Lock the cluster row first (PostgreSQL; SQLite's write transactions already hold the
    // database write lock): concurrent registrations in one cluster queue here, so the proxy
    // cap below cannot be overrun by two registrations that both counted the same number.
    sqlx::query("UPDATE clusters SET config_version = config_version WHERE id = $1")
        .bind(cluster_id)
        .execute(&mut *tx)
        .await?;
    let existing = sqlx::query("SELECT id FROM proxies WHERE cluster_id = $1 AND name = $2")
        .bind(cluster_id)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    let row = if let Some(r) = existing {
        sqlx::query("UPDATE proxies SET version = $1, address = $2, last_seen = $3 WHERE id = $4 RETURNING *")
            .bind(version)
            .bind(address)
            .bind(now)
            .bind(r.i64("id")?)
            .fetch_one(&mut *tx)
            .await?
    } else {
        if let Some(max) = max {
            let online = sqlx::query("SELECT COUNT(*) AS n FROM proxies WHERE cluster_id = $1 AND last_seen >= $2")
                .bind(cluster_id)
                .bind(now - PROXY_OFFLINE_AFTER_MS)
                .fetch_one(&mut *tx)
                .await?
                .i64("n")?;
            if online >= max as i64 {
                return Err(StoreError::LimitReached(format!(
                    "proxy limit reached: the license allows {max} proxies per cluster and cluster {cluster_id} has {online} online; upgrade to Enterprise for more"
                )));
            }
        }
        sqlx::query(
            "INSERT INTO proxies (cluster_id, name, version, address, config_version, last_seen, registered_at) VALUES ($1, $2, $3, $4, 0, $5, $5) RETURNING *",
        )
        .bind(cluster_id)
        .bind(name)
        .bind(version)
        .bind(address)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
    };
    tx.commit().await?;
    proxy_from_row(&row)
}

pub async fn proxy_heartbeat(db: &Db, proxy_id: i64, cluster_id: i64, config_version: Option<i64>) -> StoreResult<()> {
    let n = match config_version {
        Some(v) => {
            sqlx::query("UPDATE proxies SET last_seen = $1, config_version = $2 WHERE id = $3 AND cluster_id = $4")
                .bind(now_ms())
                .bind(v)
                .bind(proxy_id)
                .bind(cluster_id)
                .execute(&db.pool)
                .await?
        }
        None => {
            sqlx::query("UPDATE proxies SET last_seen = $1 WHERE id = $2 AND cluster_id = $3")
                .bind(now_ms())
                .bind(proxy_id)
                .bind(cluster_id)
                .execute(&db.pool)
                .await?
        }
    }
    .rows_affected();
    if n == 0 {
        return Err(StoreError::not_found("proxy", proxy_id));
    }
    Ok(())
}
