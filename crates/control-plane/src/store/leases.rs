//! Named leases: one replica at a time holds each (the health monitor's probing).

use crate::db::{Db, now_ms};
use crate::store::error::{StoreError, StoreResult};

/// Take or renew the named lease for `holder`; true when `holder` holds it now.
pub async fn try_lease(db: &Db, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
    let now = now_ms();
    let n = sqlx::query(
        "UPDATE leases SET holder = $1, expires_at = $2 WHERE name = $3 AND (holder = $1 OR expires_at < $4)",
    )
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(name)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if n > 0 {
        return Ok(true);
    }
    match sqlx::query("INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)")
        .bind(name)
        .bind(holder)
        .bind(now + ttl_ms)
        .execute(&db.pool)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => match StoreError::from(e) {
            StoreError::Conflict(_) => Ok(false),
            other => Err(other),
        },
    }
}
