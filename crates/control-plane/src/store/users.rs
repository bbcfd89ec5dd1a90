//! Users, token revocation, and the login attempts that lock out password guessing (all
//! in the database, so they hold across replicas).

use sqlx::any::AnyRow;

use super::begin_write;
use super::rows::RowExt;
use crate::auth::Role;
use crate::db::{Db, DbKind, now_ms};
use crate::store::error::{StoreError, StoreResult};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    #[schema(value_type = String)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Tokens carry it; bumping it revokes them all. Never sent.
    #[serde(skip)]
    pub token_version: i64,
}

fn user_from_row(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: r.i64("id")?,
        username: r.str("username")?,
        role: Role::parse(&r.str("role")?).unwrap_or(Role::Viewer),
        created_at: r.time("created_at")?,
        token_version: r.i64("token_version")?,
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

/// The user a request's token names, if the token is still good: the user exists, the
/// token's version is the user's current one, and the token id was not revoked. One query,
/// on every authenticated request, so a deletion, demotion or logout takes effect at once.
pub async fn session(db: &Db, user_id: i64, token_version: i64, jti: &str) -> StoreResult<Option<User>> {
    let row = sqlx::query(
        "SELECT u.*, (SELECT COUNT(*) FROM revoked_tokens WHERE jti = $2) AS revoked FROM users u WHERE u.id = $1",
    )
    .bind(user_id)
    .bind(jti)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user = user_from_row(&row)?;
    Ok((user.token_version == token_version && row.i64("revoked")? == 0).then_some(user))
}

/// Revoke one token (by id) until `expires_at_ms`, when it would have expired anyway.
pub async fn revoke_token(db: &Db, jti: &str, expires_at_ms: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
        .bind(jti)
        .bind(expires_at_ms)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Revoke a token (by id) unless it already was: true when this call revoked it. A refresh
/// token is spent this way, so two refreshes racing with one token cannot both succeed.
pub async fn spend_token(db: &Db, jti: &str, expires_at_ms: i64) -> StoreResult<bool> {
    let n = sqlx::query("INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
        .bind(jti)
        .bind(expires_at_ms)
        .execute(&db.pool)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// A change to a user: role, password (hash), or both. Either bumps the token version.
#[derive(Debug, Default)]
pub struct UserChange<'a> {
    pub role: Option<Role>,
    pub password_hash: Option<&'a str>,
}

/// Lock the admins and count them, inside a write transaction: on PostgreSQL `FOR UPDATE`
/// makes a concurrent demotion or deletion of another admin wait and then see this one's
/// result; SQLite's write transaction already holds the database's write lock.
async fn admin_count(db: &Db, tx: &mut sqlx::AnyConnection) -> StoreResult<i64> {
    let sql = match db.kind {
        DbKind::Postgres => "SELECT id FROM users WHERE role = 'admin' FOR UPDATE",
        DbKind::Sqlite => "SELECT id FROM users WHERE role = 'admin'",
    };
    Ok(sqlx::query(sql).fetch_all(tx).await?.len() as i64)
}

const LAST_ADMIN: &str = "the last admin cannot be deleted or demoted; make another user admin first";

/// Change a user's role and/or password. A new role or password revokes the user's tokens
/// (the token version moves on); setting the role a user already has changes nothing. The
/// last admin cannot be demoted (409).
pub async fn update_user(db: &Db, id: i64, change: &UserChange<'_>) -> StoreResult<User> {
    let mut tx = begin_write(db).await?;
    let current = sqlx::query("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let current = user_from_row(&current.ok_or_else(|| StoreError::not_found("user", id))?)?;
    if current.role == Role::Admin && change.role == Some(Role::Viewer) && admin_count(db, &mut tx).await? <= 1 {
        return Err(StoreError::Conflict(LAST_ADMIN.into()));
    }
    let role = change.role.unwrap_or(current.role);
    let row = sqlx::query(
        "UPDATE users SET role = $1, password_hash = COALESCE($2, password_hash),
         token_version = token_version + CASE WHEN role <> $1 OR $2 IS NOT NULL THEN 1 ELSE 0 END,
         updated_at = $3 WHERE id = $4 RETURNING *",
    )
    .bind(role.as_str())
    .bind(change.password_hash)
    .bind(now_ms())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let user = user_from_row(&row)?;
    tx.commit().await?;
    Ok(user)
}

/// Delete a user (their tokens stop working with them). Not the last admin (409).
pub async fn delete_user(db: &Db, id: i64) -> StoreResult<()> {
    let mut tx = begin_write(db).await?;
    let role = sqlx::query("SELECT role FROM users WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let role = role.ok_or_else(|| StoreError::not_found("user", id))?.str("role")?;
    if Role::parse(&role) == Some(Role::Admin) && admin_count(db, &mut tx).await? <= 1 {
        return Err(StoreError::Conflict(LAST_ADMIN.into()));
    }
    sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

// === login attempts ===

/// Count a login attempt against `key` before its password is checked, and say whether it
/// may go on: `Err(seconds)` when the key is locked (now, or by this attempt, the one past
/// `max` within `window_ms`). The count is one atomic upsert, so a burst of parallel
/// guesses gets distinct counts: exactly `max` of them are verified, the rest refused.
/// A success takes its attempt back ([`login_succeeded`]).
pub async fn login_attempt(
    db: &Db,
    key: &str,
    max: i64,
    window_ms: i64,
    lockout_ms: i64,
) -> StoreResult<Result<(), u64>> {
    let now = now_ms();
    // While locked the row does not change; after a lock, or a window older than
    // `window_ms`, counting starts over.
    let row = sqlx::query(
        "INSERT INTO login_attempts (attempt_key, failures, window_start, locked_until) VALUES ($1, 1, $2, NULL)
         ON CONFLICT (attempt_key) DO UPDATE SET
           failures = CASE WHEN login_attempts.locked_until > $2 THEN login_attempts.failures
                           WHEN login_attempts.locked_until IS NULL AND $2 - login_attempts.window_start <= $3
                             THEN login_attempts.failures + 1
                           ELSE 1 END,
           window_start = CASE WHEN login_attempts.locked_until > $2 THEN login_attempts.window_start
                               WHEN login_attempts.locked_until IS NULL AND $2 - login_attempts.window_start <= $3
                                 THEN login_attempts.window_start
                               ELSE $2 END,
           locked_until = CASE WHEN login_attempts.locked_until > $2 THEN login_attempts.locked_until ELSE NULL END
         RETURNING failures, locked_until",
    )
    .bind(key)
    .bind(now)
    .bind(window_ms)
    .fetch_one(&db.pool)
    .await?;
    let secs = |until: i64| ((until - now).max(1) as u64).div_ceil(1000);
    if let Some(until) = row.opt_i64("locked_until")?.filter(|&u| u > now) {
        return Ok(Err(secs(until)));
    }
    if row.i64("failures")? <= max {
        return Ok(Ok(()));
    }
    let until = now + lockout_ms;
    sqlx::query(
        "UPDATE login_attempts SET locked_until = $2 WHERE attempt_key = $1 AND (locked_until IS NULL OR locked_until <= $3)",
    )
    .bind(key)
    .bind(until)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(Err(secs(until)))
}

/// A successful login: the key's count starts over.
pub async fn login_succeeded(db: &Db, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_attempts WHERE attempt_key = $1").bind(key).execute(&db.pool).await?;
    Ok(())
}

/// A successful login takes back the attempt it counted against `key` (a client address
/// shared by many users is not locked out by their successes).
pub async fn login_forgive(db: &Db, key: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE login_attempts SET failures = failures - 1 WHERE attempt_key = $1 AND failures > 0 AND locked_until IS NULL",
    )
    .bind(key)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Drop login attempts whose window and lock have both passed, and revocations of tokens
/// that have expired anyway. Returns the rows removed.
pub async fn prune(db: &Db, window_ms: i64) -> StoreResult<u64> {
    let now = now_ms();
    let attempts = sqlx::query(
        "DELETE FROM login_attempts WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $2)",
    )
    .bind(now - window_ms)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected();
    // Kept ten minutes past expiry: a replica whose clock lags (and the JWT check's few
    // seconds of leeway) must not see a revoked token come back to life.
    let tokens = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1")
        .bind(now - 10 * 60 * 1000)
        .execute(&db.pool)
        .await?
        .rows_affected();
    Ok(attempts + tokens)
}
