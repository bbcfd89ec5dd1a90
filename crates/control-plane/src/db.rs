//! Database connection: SQLite (embedded default) or PostgreSQL, one `sqlx::Any` pool,
//! versioned migrations per engine, applied on start.
//!
//! Conventions that keep one set of queries valid on both engines: `$N` placeholders,
//! times as BIGINT epoch milliseconds, JSON as TEXT, ids as BIGINT.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::events::ConfigEvents;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

/// The store's handle: the pool, which engine is behind it, and the notifications that
/// committed configuration changes send (see `store::WriteTx`).
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: DbKind,
    /// Wakes proxies' long-polls when a write transaction that bumped a cluster's
    /// `config_version` commits.
    pub events: ConfigEvents,
}

/// Normalise a user-supplied URL: accept `postgresql+asyncpg://` (the spec's form) and
/// `sqlite:path`; make sure SQLite files are created.
pub fn normalise_url(url: &str) -> anyhow::Result<(String, DbKind)> {
    let url = url.trim();
    if let Some(rest) = url
        .strip_prefix("postgresql+asyncpg://")
        .or_else(|| url.strip_prefix("postgresql+psycopg://"))
        .or_else(|| url.strip_prefix("postgresql://"))
        .or_else(|| url.strip_prefix("postgres://"))
    {
        return Ok((format!("postgres://{rest}"), DbKind::Postgres));
    }
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path != ":memory:"
            && let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating database directory {}", dir.display()))?;
        }
        let mut q = query.to_string();
        if !q.contains("mode=") {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str("mode=rwc");
        }
        return Ok((format!("sqlite://{path}?{q}"), DbKind::Sqlite));
    }
    anyhow::bail!("DATABASE_URL must start with sqlite://, postgres:// or postgresql:// (got `{}`)", redact_url(url))
}

/// Hide a password in a URL for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::from_str(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        // Unparsable, or parsed without a password because a raw `#`, `/` or `?` in it cut the
        // authority short: mask everything between the user name and the last `@`.
        _ => {
            let Some(auth) = url.find("://").map(|i| i + 3) else { return url.to_string() };
            let Some(at) = url.rfind('@').filter(|at| *at > auth) else { return url.to_string() };
            match url[auth..at].find(':') {
                Some(colon) => format!("{}:****{}", &url[..auth + colon], &url[at..]),
                None => url.to_string(),
            }
        }
    }
}

impl Db {
    /// Connect and migrate; committed configuration changes notify `events`.
    pub async fn connect(url: &str, events: ConfigEvents) -> anyhow::Result<Self> {
        install_default_drivers();
        let (url, kind) = normalise_url(url)?;
        let opts = AnyPoolOptions::new()
            .max_connections(if kind == DbKind::Sqlite { 8 } else { 16 })
            // An embedded SQLite file cannot drop a connection; pinging before every
            // acquire cost ~10 % of the API's CPU. PostgreSQL keeps the check.
            .test_before_acquire(kind == DbKind::Postgres)
            .acquire_timeout(std::time::Duration::from_secs(10));
        let opts = if kind == DbKind::Sqlite {
            opts.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
                        .await?;
                    Ok(())
                })
            })
        } else {
            opts
        };
        let pool = opts.connect(&url).await.with_context(|| format!("connecting to {}", redact_url(&url)))?;
        let db = Db { pool, kind, events };
        db.migrate().await?;
        Ok(db)
    }

    /// Apply the migrations. PostgreSQL serialises concurrent runs (replicas starting
    /// together) with an advisory lock. SQLite has none: a run that loses the race fails
    /// inside its transaction, which rolls back, so it waits a moment and runs again, then
    /// finding the winner's migrations applied.
    async fn migrate(&self) -> anyhow::Result<()> {
        let mut attempt = 0;
        loop {
            let result = match self.kind {
                DbKind::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await,
                DbKind::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await,
            };
            match result {
                Ok(()) => return Ok(()),
                Err(e) if self.kind == DbKind::Sqlite && attempt < 10 => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "migration raced another process; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(50 + rand::random::<u64>() % 200)).await;
                }
                Err(e) => return Err(e).context("applying database migrations"),
            }
        }
    }

    /// `readyz`: can we run a query?
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn ms_to_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0004: QoS policies written before scopes existed keep being enforced per proxy; those
    /// that name a scope keep it.
    #[tokio::test]
    async fn policies_from_before_scopes_stay_per_proxy() {
        sqlx::any::install_default_drivers();
        let dir = std::env::temp_dir().join(format!("mp-mig-{}", std::process::id()));
        let (url, _) = normalise_url(&format!("sqlite://{}/m.db", dir.display())).unwrap();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
        let all = sqlx::migrate!("./migrations/sqlite");
        let mut before = sqlx::migrate!("./migrations/sqlite");
        before.migrations = std::borrow::Cow::Owned(all.migrations.iter().filter(|m| m.version < 4).cloned().collect());
        before.run(&pool).await.unwrap();
        for (name, bw) in [
            ("old", r#"{"egress_mbps":10,"burst_size_kb":64}"#),
            ("named", r#"{"egress_mbps":10,"burst_size_kb":64,"scope":"cluster"}"#),
        ] {
            sqlx::query(
                "INSERT INTO clusters (id, name, api_key_hash, config_version, created_at, updated_at) VALUES (1, 'c', 'h', 1, 0, 0)
                 ON CONFLICT DO NOTHING",
            )
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO services (id, name, cluster_id, hostnames, path_prefix, protocol, created_at, updated_at) VALUES (1, 's', 1, '[]', '/', 'http', 0, 0)
                 ON CONFLICT DO NOTHING",
            )
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO qos_policies (name, service_id, cluster_id, bandwidth_config, priority_config, enabled, created_at, updated_at)
                 VALUES ($1, 1, 1, $2, '{\"priority\":\"P2\"}', 1, 0, 0)",
            )
            .bind(name)
            .bind(bw)
            .execute(&pool)
            .await
            .unwrap();
        }
        all.run(&pool).await.unwrap();
        for (name, scope) in [("old", "proxy"), ("named", "cluster")] {
            let row = sqlx::query("SELECT bandwidth_config FROM qos_policies WHERE name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap();
            let bw: marchproxy_model::qos::BandwidthConfig =
                serde_json::from_str(&sqlx::Row::get::<String, _>(&row, "bandwidth_config")).unwrap();
            assert_eq!(bw.scope.as_str(), scope, "{name}");
            assert_eq!(bw.egress_mbps, Some(10));
        }
        pool.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalise_url("postgresql+asyncpg://u:p@h:5432/db").unwrap(),
            ("postgres://u:p@h:5432/db".to_string(), DbKind::Postgres)
        );
        let dir = std::env::temp_dir().join("mp-url-test");
        let (u, k) = normalise_url(&format!("sqlite://{}/x.db", dir.display())).unwrap();
        assert_eq!(k, DbKind::Sqlite);
        assert!(u.ends_with("x.db?mode=rwc"));
        assert!(dir.exists());
        assert!(normalise_url("mysql://x").unwrap_err().to_string().contains("DATABASE_URL"));
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:****@h/db");
        // Raw `#` and `/` make the URL unparsable; the password is still masked.
        assert_eq!(redact_url("postgres://u:se#c/ret@h:5432/db"), "postgres://u:****@h:5432/db");
        assert_eq!(redact_url("postgres://u:12/ab@h/db"), "postgres://u:****@h/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
    }
}
