//! The last good license validation per key, shared by replicas (the license crate's
//! `ValidationStore` is implemented on top of this in `license_store.rs`).

use super::rows::RowExt;
use crate::db::Db;
use crate::store::error::StoreResult;

pub async fn load_license_validation(db: &Db, key_hash: &str) -> StoreResult<Option<(String, i64)>> {
    let row = sqlx::query("SELECT response, validated_at FROM license_validations WHERE key_hash = $1")
        .bind(key_hash)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| Ok((r.str("response")?, r.i64("validated_at")?))).transpose()
}

pub async fn save_license_validation(db: &Db, key_hash: &str, response: &str, validated_at: i64) -> StoreResult<()> {
    let mut tx = super::begin_write(db).await?;
    sqlx::query("DELETE FROM license_validations WHERE key_hash = $1").bind(key_hash).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO license_validations (key_hash, response, validated_at) VALUES ($1, $2, $3)")
        .bind(key_hash)
        .bind(response)
        .bind(validated_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
