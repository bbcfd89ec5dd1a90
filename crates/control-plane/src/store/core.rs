//! Users, clusters, services, proxies, login attempts and license validations.

use marchproxy_model::cluster::{Cluster, ClusterSpec, Proxy, Service, ServiceProtocol, ServiceSpec};
use sha2::Digest;
use sqlx::AnyPool;
use sqlx::any::AnyRow;

use super::{Filter, ListFilter, RowExt, bump_version, list_rows};
use crate::auth::Role;
use crate::db::now_ms;
use crate::store::error::{StoreError, StoreResult};

// === users ===

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

pub async fn user_count(pool: &AnyPool) -> StoreResult<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(pool).await?.i64("n")
}

pub async fn create_user(pool: &AnyPool, username: &str, password_hash: &str, role: Role) -> StoreResult<User> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *",
    )
    .bind(username)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("user `{username}` already exists")),
        other => other,
    })?;
    user_from_row(&row)
}

/// The user and their password hash.
pub async fn user_by_name(pool: &AnyPool, username: &str) -> StoreResult<Option<(User, String)>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = $1").bind(username).fetch_optional(pool).await?;
    row.map(|r| Ok((user_from_row(&r)?, r.str("password_hash")?))).transpose()
}

pub async fn user_by_id(pool: &AnyPool, id: i64) -> StoreResult<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn list_users(pool: &AnyPool) -> StoreResult<Vec<User>> {
    let rows = sqlx::query("SELECT * FROM users ORDER BY id").fetch_all(pool).await?;
    rows.iter().map(user_from_row).collect()
}

pub async fn delete_user(pool: &AnyPool, id: i64) -> StoreResult<()> {
    let n = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(pool).await?.rows_affected();
    if n == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}

pub async fn set_password(pool: &AnyPool, id: i64, password_hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now_ms())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

// === login attempts ===

/// If `key` is locked out, the seconds until it is released.
pub async fn login_locked(pool: &AnyPool, key: &str) -> StoreResult<Option<u64>> {
    let row = sqlx::query("SELECT locked_until FROM login_attempts WHERE attempt_key = $1")
        .bind(key)
        .fetch_optional(pool)
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
pub async fn login_failed(pool: &AnyPool, key: &str, max: i64, window_ms: i64, lockout_ms: i64) -> StoreResult<()> {
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
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn login_succeeded(pool: &AnyPool, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_attempts WHERE attempt_key = $1").bind(key).execute(pool).await?;
    Ok(())
}

// === clusters ===

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

pub async fn create_cluster(pool: &AnyPool, spec: &ClusterSpec) -> StoreResult<(Cluster, String)> {
    let (key, hash) = new_api_key();
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO clusters (name, description, api_key_hash, config_version, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4) RETURNING *",
    )
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(hash)
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(|e| conflict_name(e, "cluster", &spec.name))?;
    Ok((cluster_from_row(&row)?, key))
}

fn conflict_name(e: sqlx::Error, what: &str, name: &str) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a {what} named `{}` already exists", name.trim())),
        other => other,
    }
}

pub async fn get_cluster(pool: &AnyPool, id: i64) -> StoreResult<Cluster> {
    let row = sqlx::query("SELECT * FROM clusters WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.as_ref().map(cluster_from_row).transpose()?.ok_or_else(|| StoreError::not_found("cluster", id))
}

pub async fn cluster_exists(pool: &AnyPool, id: i64) -> StoreResult<bool> {
    Ok(sqlx::query("SELECT id FROM clusters WHERE id = $1").bind(id).fetch_optional(pool).await?.is_some())
}

pub async fn list_clusters(pool: &AnyPool, p: &ListFilter) -> StoreResult<(Vec<Cluster>, i64)> {
    let (rows, total) = list_rows(pool, "clusters", &Filter::default(), p.skip, p.limit).await?;
    Ok((rows.iter().map(cluster_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_cluster(pool: &AnyPool, id: i64, spec: &ClusterSpec) -> StoreResult<Cluster> {
    let row = sqlx::query("UPDATE clusters SET name = $1, description = $2, updated_at = $3 WHERE id = $4 RETURNING *")
        .bind(spec.name.trim())
        .bind(spec.description.as_deref())
        .bind(now_ms())
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(|e| conflict_name(e, "cluster", &spec.name))?;
    row.as_ref().map(cluster_from_row).transpose()?.ok_or_else(|| StoreError::not_found("cluster", id))
}

pub async fn delete_cluster(pool: &AnyPool, id: i64) -> StoreResult<()> {
    let res = sqlx::query("DELETE FROM clusters WHERE id = $1").bind(id).execute(pool).await.map_err(|e| {
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

pub async fn rotate_cluster_key(pool: &AnyPool, id: i64) -> StoreResult<String> {
    let (key, hash) = new_api_key();
    let n = sqlx::query("UPDATE clusters SET api_key_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms())
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::not_found("cluster", id));
    }
    Ok(key)
}

/// The cluster whose API key this is.
pub async fn cluster_by_api_key(pool: &AnyPool, key: &str) -> StoreResult<Option<i64>> {
    let row = sqlx::query("SELECT id FROM clusters WHERE api_key_hash = $1")
        .bind(api_key_hash(key))
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.i64("id")).transpose()
}

pub async fn cluster_version(pool: &AnyPool, id: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT config_version FROM clusters WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.ok_or_else(|| StoreError::not_found("cluster", id))?.i64("config_version")
}

// === services ===

fn service_from_row(r: &AnyRow) -> StoreResult<Service> {
    let protocol: ServiceProtocol = serde_json::from_value(serde_json::Value::from(r.str("protocol")?))
        .map_err(|e| StoreError::Internal(anyhow::anyhow!("stored protocol: {e}")))?;
    Ok(Service {
        id: r.i64("id")?,
        spec: ServiceSpec {
            name: r.str("name")?,
            description: r.opt_str("description")?,
            cluster_id: r.i64("cluster_id")?,
            hostnames: r.json("hostnames")?,
            path_prefix: r.str("path_prefix")?,
            protocol,
            listen_port: r.opt_i64("listen_port")?.map(|p| p as u16),
            enabled: r.bool("enabled")?,
        },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn protocol_str(p: ServiceProtocol) -> &'static str {
    match p {
        ServiceProtocol::Http => "http",
        ServiceProtocol::Https => "https",
        ServiceProtocol::Tcp => "tcp",
    }
}

async fn check_service_refs(pool: &AnyPool, spec: &ServiceSpec, id: Option<i64>) -> StoreResult<()> {
    if !cluster_exists(pool, spec.cluster_id).await? {
        return Err(StoreError::field(&["body", "cluster_id"], format!("cluster {} does not exist", spec.cluster_id)));
    }
    if let Some(port) = spec.listen_port {
        let row = sqlx::query("SELECT id FROM services WHERE cluster_id = $1 AND listen_port = $2 AND id <> $3")
            .bind(spec.cluster_id)
            .bind(port as i64)
            .bind(id.unwrap_or(0))
            .fetch_optional(pool)
            .await?;
        if let Some(r) = row {
            return Err(StoreError::Conflict(format!(
                "listen_port {port} is already used by service {}",
                r.i64("id")?
            )));
        }
    }
    Ok(())
}

pub async fn create_service(pool: &AnyPool, spec: &ServiceSpec) -> StoreResult<Service> {
    check_service_refs(pool, spec, None).await?;
    let now = now_ms();
    let mut tx = super::begin_write(pool).await?;
    let row = sqlx::query(
        "INSERT INTO services (cluster_id, name, description, hostnames, path_prefix, protocol, listen_port, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *",
    )
    .bind(spec.cluster_id)
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(serde_json::to_string(&spec.hostnames).expect("strings serialize"))
    .bind(spec.path_prefix.as_str())
    .bind(protocol_str(spec.protocol))
    .bind(spec.listen_port.map(i64::from))
    .bind(spec.enabled)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_name(e, "service in this cluster", &spec.name))?;
    bump_version(&mut tx, spec.cluster_id).await?;
    tx.commit().await?;
    service_from_row(&row)
}

pub async fn get_service(pool: &AnyPool, id: i64) -> StoreResult<Service> {
    let row = sqlx::query("SELECT * FROM services WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.as_ref().map(service_from_row).transpose()?.ok_or_else(|| StoreError::not_found("service", id))
}

pub async fn list_services(pool: &AnyPool, p: &ListFilter) -> StoreResult<(Vec<Service>, i64)> {
    let mut f = Filter::default();
    f.eq_i64("cluster_id", p.cluster_id);
    if p.enabled_only {
        f.raw("enabled = TRUE");
    }
    let (rows, total) = list_rows(pool, "services", &f, p.skip, p.limit).await?;
    Ok((rows.iter().map(service_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn update_service(pool: &AnyPool, id: i64, spec: &ServiceSpec) -> StoreResult<Service> {
    let old = get_service(pool, id).await?;
    check_service_refs(pool, spec, Some(id)).await?;
    let mut tx = super::begin_write(pool).await?;
    let row = sqlx::query(
        "UPDATE services SET cluster_id = $1, name = $2, description = $3, hostnames = $4, path_prefix = $5, protocol = $6,
         listen_port = $7, enabled = $8, updated_at = $9 WHERE id = $10 RETURNING *",
    )
    .bind(spec.cluster_id)
    .bind(spec.name.trim())
    .bind(spec.description.as_deref())
    .bind(serde_json::to_string(&spec.hostnames).expect("strings serialize"))
    .bind(spec.path_prefix.as_str())
    .bind(protocol_str(spec.protocol))
    .bind(spec.listen_port.map(i64::from))
    .bind(spec.enabled)
    .bind(now_ms())
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) if old.spec.cluster_id != spec.cluster_id => StoreError::Conflict(format!(
            "service {id} is used by policies or route tables of cluster {}; it cannot move to another cluster",
            old.spec.cluster_id
        )),
        StoreError::Conflict(_) => StoreError::Conflict(format!("a service named `{}` already exists in this cluster", spec.name.trim())),
        other => other,
    })?;
    bump_version(&mut tx, spec.cluster_id).await?;
    if old.spec.cluster_id != spec.cluster_id {
        bump_version(&mut tx, old.spec.cluster_id).await?;
    }
    tx.commit().await?;
    service_from_row(&row)
}

pub async fn delete_service(pool: &AnyPool, id: i64) -> StoreResult<()> {
    let old = get_service(pool, id).await?;
    let mut tx = super::begin_write(pool).await?;
    sqlx::query("DELETE FROM services WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(|e| {
        match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("service {id} is used by QoS policies or route tables; delete them first"))
            }
            other => other,
        }
    })?;
    bump_version(&mut tx, old.spec.cluster_id).await?;
    tx.commit().await?;
    Ok(())
}

/// 422 unless the service exists and belongs to the cluster.
pub async fn check_service_in_cluster(pool: &AnyPool, service_id: i64, cluster_id: i64) -> StoreResult<()> {
    if !cluster_exists(pool, cluster_id).await? {
        return Err(StoreError::field(&["body", "cluster_id"], format!("cluster {cluster_id} does not exist")));
    }
    let row =
        sqlx::query("SELECT cluster_id FROM services WHERE id = $1").bind(service_id).fetch_optional(pool).await?;
    match row {
        None => Err(StoreError::field(&["body", "service_id"], format!("service {service_id} does not exist"))),
        Some(r) if r.i64("cluster_id")? != cluster_id => Err(StoreError::field(
            &["body", "service_id"],
            format!("service {service_id} belongs to cluster {}, not cluster {cluster_id}", r.i64("cluster_id")?),
        )),
        Some(_) => Ok(()),
    }
}

// === proxies ===

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

pub async fn list_proxies(pool: &AnyPool, p: &ListFilter) -> StoreResult<(Vec<Proxy>, i64)> {
    let mut f = Filter::default();
    f.eq_i64("cluster_id", p.cluster_id);
    let (rows, total) = list_rows(pool, "proxies", &f, p.skip, p.limit).await?;
    Ok((rows.iter().map(proxy_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn get_proxy(pool: &AnyPool, id: i64) -> StoreResult<Proxy> {
    let row = sqlx::query("SELECT * FROM proxies WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.as_ref().map(proxy_from_row).transpose()?.ok_or_else(|| StoreError::not_found("proxy", id))
}

/// Register (or re-register) a proxy by name; `max` caps the online proxies of the cluster.
pub async fn register_proxy(
    pool: &AnyPool,
    cluster_id: i64,
    name: &str,
    version: &str,
    address: Option<&str>,
    max: Option<u32>,
) -> StoreResult<Proxy> {
    let now = now_ms();
    let mut tx = super::begin_write(pool).await?;
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

pub async fn proxy_heartbeat(
    pool: &AnyPool,
    proxy_id: i64,
    cluster_id: i64,
    config_version: Option<i64>,
) -> StoreResult<()> {
    let n = match config_version {
        Some(v) => {
            sqlx::query("UPDATE proxies SET last_seen = $1, config_version = $2 WHERE id = $3 AND cluster_id = $4")
                .bind(now_ms())
                .bind(v)
                .bind(proxy_id)
                .bind(cluster_id)
                .execute(pool)
                .await?
        }
        None => {
            sqlx::query("UPDATE proxies SET last_seen = $1 WHERE id = $2 AND cluster_id = $3")
                .bind(now_ms())
                .bind(proxy_id)
                .bind(cluster_id)
                .execute(pool)
                .await?
        }
    }
    .rows_affected();
    if n == 0 {
        return Err(StoreError::not_found("proxy", proxy_id));
    }
    Ok(())
}

// === license validations ===

pub async fn load_license_validation(pool: &AnyPool, key_hash: &str) -> StoreResult<Option<(String, i64)>> {
    let row = sqlx::query("SELECT response, validated_at FROM license_validations WHERE key_hash = $1")
        .bind(key_hash)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((r.str("response")?, r.i64("validated_at")?))).transpose()
}

pub async fn save_license_validation(
    pool: &AnyPool,
    key_hash: &str,
    response: &str,
    validated_at: i64,
) -> StoreResult<()> {
    let mut tx = super::begin_write(pool).await?;
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

// === leases ===

/// Take or renew the named lease for `holder`; true when `holder` holds it now.
pub async fn try_lease(pool: &AnyPool, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
    let now = now_ms();
    let n = sqlx::query(
        "UPDATE leases SET holder = $1, expires_at = $2 WHERE name = $3 AND (holder = $1 OR expires_at < $4)",
    )
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(name)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    if n > 0 {
        return Ok(true);
    }
    match sqlx::query("INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)")
        .bind(name)
        .bind(holder)
        .bind(now + ttl_ms)
        .execute(pool)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => match StoreError::from(e) {
            StoreError::Conflict(_) => Ok(false),
            other => Err(other),
        },
    }
}
