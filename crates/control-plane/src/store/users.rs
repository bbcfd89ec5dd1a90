//! Users and the login attempts that lock out password guessing (kept in the database,
//! so a lockout holds across replicas).

use sqlx::any::AnyRow;

use super::rows::RowExt;
use crate::auth::Role;
use crate::db::{Db, now_ms};
use crate::store::error::{StoreError, StoreResult};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    #[schema(value_type = String)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn user_from_row(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: r.i64("id")?,
        username: r.str("username")?,
        role: Role::parse(&r.str("role")?).unwrap_or(Role::Viewer),
        created_at: r.time("created_at")?,
    })
}

pub async fn user_count(db: &Db) -> StoreResult<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&db.pool).await?.i64("n")
}

pub async fn create_user(db: &Db, username: &str, password_hash: &str, role: Role) -> StoreResult<User> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *",
    )
    .bind(username)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .fetch_one(&db.pool)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("user `{username}` already exists")),
        other => other,
    })?;
    user_from_row(&row)
}

/// The user and their password hash.
pub async fn user_by_name(db: &Db, username: &str) -> StoreResult<Option<(User, String)>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = $1").bind(username).fetch_optional(&db.pool).await?;
    row.map(|r| Ok((user_from_row(&r)?, r.str("password_hash")?))).transpose()
}

pub async fn user_by_id(db: &Db, id: i64) -> StoreResult<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn list_users(db: &Db) -> StoreResult<Vec<User>> {
    let rows = sqlx::query("SELECT * FROM users ORDER BY id").fetch_all(&db.pool).await?;
    rows.iter().map(user_from_row).collect()
}

pub async fn delete_user(db: &Db, id: i64) -> StoreResult<()> {
    let n = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&db.pool).await?.rows_affected();
    if n == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}

pub async fn set_password(db: &Db, id: i64, password_hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

// === login attempts ===

/// If `key` is locked out, the seconds until it is released.
pub async fn login_locked(db: &Db, key: &str) -> StoreResult<Option<u64>> {
    let row = sqlx::query("SELECT locked_until FROM login_attempts WHERE attempt_key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    let now = now_ms();
    Ok(row
        .map(|r| r.opt_i64("locked_until"))
        .transpose()?
        .flatten()
        .filter(|&until| until > now)
        .map(|until| ((until - now) as u64).div_ceil(1000)))
}

/// Record a failure; lock the key once `max` failures fall within `window_ms`.
pub async fn login_failed(db: &Db, key: &str, max: i64, window_ms: i64, lockout_ms: i64) -> StoreResult<()> {
    let now = now_ms();
    // One atomic upsert: concurrent failures each count (a read-then-write would let a burst
    // of parallel guesses count as one). A window older than `window_ms` starts over.
    sqlx::query(
        "INSERT INTO login_attempts (attempt_key, failures, window_start, locked_until)
         VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $4 ELSE NULL END)
         ON CONFLICT (attempt_key) DO UPDATE SET
           failures = CASE WHEN $2 - login_attempts.window_start <= $5 THEN login_attempts.failures + 1 ELSE 1 END,
           window_start = CASE WHEN $2 - login_attempts.window_start <= $5 THEN login_attempts.window_start ELSE $2 END,
           locked_until = CASE WHEN (CASE WHEN $2 - login_attempts.window_start <= $5 THEN login_attempts.failures + 1 ELSE 1 END) >= $3
                               THEN $4 ELSE NULL END",
    )
    .bind(key)
    .bind(now)
    .bind(max)
    .bind(now + lockout_ms)
    .bind(window_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn login_succeeded(db: &Db, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_attempts WHERE attempt_key = $1").bind(key).execute(&db.pool).await?;
    Ok(())
}
