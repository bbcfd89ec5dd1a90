//! Cluster-wide bandwidth limits: the proxies' claims on each cluster-scope limit, and the
//! shares granted from them (docs/adr/0006). One write transaction per lease: record the
//! proxy's demand, read the fresh claims of the same limit, grant a share ([`qos_share`]),
//! record it. The policy's row is locked first (`FOR UPDATE` on PostgreSQL; SQLite's write
//! transaction holds the database's write lock), so two replicas granting shares of one limit
//! at once see each other's grants and the shares held never add up to more than the limit.

use marchproxy_license::TRAFFIC_SHAPING;
use marchproxy_model::qos::{BYTES_PER_MBIT, BandwidthConfig, BandwidthScope};
use marchproxy_model::report::{Direction, QosGrant, QosLeaseRequest, QosLeaseResponse};

use super::begin_write;
use super::entitlement::served;
use super::rows::RowExt;
use crate::db::{Db, DbKind, now_ms};
use crate::qos_share::{self, Claim};
use crate::store::error::{StoreError, StoreResult};

/// A lease lasts this many of the proxy's intervals.
pub const LEASE_INTERVALS: u64 = 3;
/// The smallest bucket a share gets (one full chunk of the proxy's shaper).
const MIN_BURST: f64 = 16.0 * 1024.0;

/// The limit of a cluster-scope policy in one direction, in bytes per second.
fn limit_of(bw: &BandwidthConfig, direction: Direction) -> Option<f64> {
    if bw.scope != BandwidthScope::Cluster {
        return None;
    }
    let mbps = match direction {
        Direction::Ingress => bw.ingress_mbps,
        Direction::Egress => bw.egress_mbps,
    };
    mbps.map(|m| m as f64 * BYTES_PER_MBIT as f64)
}

/// Record a proxy's demands and grant it a share of each limit it named. Demands for
/// policies that are not (or no longer) cluster-scope, enabled, limited in that direction and
/// of the proxy's cluster get no grant; without the traffic-shaping entitlement nothing does.
pub async fn lease(db: &Db, cluster_id: i64, r: &QosLeaseRequest) -> StoreResult<QosLeaseResponse> {
    let expires_in_ms = r.interval_ms * LEASE_INTERVALS;
    let mut tx = begin_write(db).await?;
    if db.kind == DbKind::Postgres {
        // Leases of one policy queue on its row; one that cannot get it within an interval
        // is answered 503 (the proxy keeps its share and asks again) instead of holding a
        // pooled connection while the queue grows.
        sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL lock_timeout = '{}ms'", r.interval_ms.clamp(50, 10_000))))
            .execute(&mut *tx)
            .await?;
    }
    let owner =
        sqlx::query("SELECT cluster_id FROM proxies WHERE id = $1").bind(r.proxy_id).fetch_optional(&mut *tx).await?;
    match owner {
        Some(o) if o.i64("cluster_id")? == cluster_id => {}
        _ => return Err(StoreError::NotFound(format!("proxy {} is not registered in this cluster", r.proxy_id))),
    }
    let mut grants = Vec::new();
    if !served(&mut *tx).await?.iter().any(|f| f == TRAFFIC_SHAPING) {
        tx.commit().await?;
        return Ok(QosLeaseResponse { expires_in_ms, grants });
    }
    let lock = match db.kind {
        DbKind::Postgres => {
            "SELECT bandwidth_config FROM qos_policies WHERE id = $1 AND cluster_id = $2 AND enabled = TRUE FOR UPDATE"
        }
        DbKind::Sqlite => "SELECT bandwidth_config FROM qos_policies WHERE id = $1 AND cluster_id = $2 AND enabled = 1",
    };
    let mut policies: Vec<i64> = r.demands.iter().map(|d| d.policy_id).collect();
    // Locks in one order (by policy id), so two leases of the same policies cannot deadlock.
    policies.sort_unstable();
    policies.dedup();
    let mut bandwidth = std::collections::HashMap::new();
    for id in policies {
        let row = sqlx::query(lock).bind(id).bind(cluster_id).fetch_optional(&mut *tx).await?;
        if let Some(row) = row {
            bandwidth.insert(id, row.json::<BandwidthConfig>("bandwidth_config")?);
        }
    }
    // The time of this grant, read once the locks are held (so a lease that waited is not
    // dated early), from the database's clock on PostgreSQL (so replicas with skewed clocks
    // agree on which claims are fresh); SQLite is one node.
    let now = match db.kind {
        DbKind::Postgres => sqlx::query("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now")
            .fetch_one(&mut *tx)
            .await?
            .i64("now")?,
        DbKind::Sqlite => now_ms(),
    };
    let expires_at = now + expires_in_ms as i64;
    // Rows in one order (policy, direction), so concurrent leases and the pruning cannot
    // deadlock on them.
    let mut demands: Vec<_> = r.demands.iter().collect();
    demands.sort_by_key(|d| (d.policy_id, d.direction.as_str()));
    for d in demands {
        let Some(bw) = bandwidth.get(&d.policy_id) else { continue };
        let Some(limit) = limit_of(bw, d.direction) else { continue };
        let dir = d.direction.as_str();
        sqlx::query(
            "INSERT INTO qos_leases (policy_id, direction, proxy_id, used_bps, throttled, granted_bps, expires_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6)
             ON CONFLICT (policy_id, direction, proxy_id) DO UPDATE SET
               used_bps = excluded.used_bps, throttled = excluded.throttled, expires_at = excluded.expires_at",
        )
        .bind(d.policy_id)
        .bind(dir)
        .bind(r.proxy_id)
        .bind(d.used_bps.max(0.0))
        .bind(d.throttled)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "SELECT proxy_id, used_bps, throttled, granted_bps FROM qos_leases
             WHERE policy_id = $1 AND direction = $2 AND expires_at > $3 ORDER BY proxy_id",
        )
        .bind(d.policy_id)
        .bind(dir)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let claims = rows
            .iter()
            .map(|row| {
                Ok(Claim {
                    proxy_id: row.i64("proxy_id")?,
                    used_bps: row.f64("used_bps")?,
                    throttled: row.bool("throttled")?,
                    held_bps: row.f64("granted_bps")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let rate = qos_share::share(limit, &claims, r.proxy_id);
        sqlx::query("UPDATE qos_leases SET granted_bps = $1 WHERE policy_id = $2 AND direction = $3 AND proxy_id = $4")
            .bind(rate)
            .bind(d.policy_id)
            .bind(dir)
            .bind(r.proxy_id)
            .execute(&mut *tx)
            .await?;
        let proxies = claims.len().max(1) as u32;
        // The policy's burst split among the proxies, but never below one full chunk (16 KiB,
        // or the whole burst if smaller): a tiny bucket would make tiny chunks.
        let burst = bw.burst_size_kb as f64 * 1024.0;
        grants.push(QosGrant {
            policy_id: d.policy_id,
            direction: d.direction,
            rate_bps: rate,
            burst_bytes: (burst / proxies as f64).max(burst.min(MIN_BURST)),
            proxies,
        });
    }
    tx.commit().await?;
    Ok(QosLeaseResponse { expires_in_ms, grants })
}

/// Forget claims that expired more than a minute ago (housekeeping).
pub async fn prune(db: &Db) -> StoreResult<u64> {
    let cutoff = now_ms() - 60_000;
    // (The cutoff uses this replica's clock: a minute is far beyond any clock skew that
    // matters here, and the rows are long dead either way.)
    let mut tx = begin_write(db).await?;
    let n = sqlx::query("DELETE FROM qos_leases WHERE expires_at < $1").bind(cutoff).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(n.rows_affected())
}

/// Each proxy's current share of a policy's limits: (proxy id, direction, bytes per second).
/// (Fresh by this replica's clock: for display only.)
pub async fn shares(db: &Db, policy_id: i64) -> StoreResult<Vec<(i64, Direction, f64)>> {
    let rows = sqlx::query(
        "SELECT proxy_id, direction, granted_bps FROM qos_leases WHERE policy_id = $1 AND expires_at > $2
         ORDER BY proxy_id, direction",
    )
    .bind(policy_id)
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let dir = if r.str("direction")? == "ingress" { Direction::Ingress } else { Direction::Egress };
            Ok((r.i64("proxy_id")?, dir, r.f64("granted_bps")?))
        })
        .collect()
}
