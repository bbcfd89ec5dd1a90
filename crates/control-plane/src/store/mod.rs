//! Storage: every SQL statement of MarchProxy lives under this module.
//!
//! Architecture invariant: handlers never write SQL; they call these functions, which
//! take and return model types. Every write that changes what a cluster's proxies must
//! enforce bumps that cluster's `config_version` in the same transaction.

pub mod core;
pub mod enterprise;
pub mod error;
pub mod sync;
pub mod telemetry;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::db::ms_to_time;

pub use error::{StoreError, StoreResult};

pub type Tx<'a> = Transaction<'a, Any>;

/// Begin a transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`, taking
/// the write lock up front: a deferred transaction that reads first and writes later fails
/// at once with SQLITE_BUSY_SNAPSHOT (517) when another connection wrote in between, which
/// the busy timeout cannot absorb. PostgreSQL uses a plain `BEGIN`.
pub async fn begin_write(pool: &sqlx::AnyPool) -> Result<Tx<'static>, StoreError> {
    let sqlite = pool.connect_options().database_url.scheme() == "sqlite";
    Ok(if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? })
}

/// Column helpers for `AnyRow`.
pub(crate) trait RowExt {
    fn i64(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn f64_opt(&self, col: &str) -> Result<Option<f64>, StoreError>;
    fn str(&self, col: &str) -> Result<String, StoreError>;
    fn opt_str(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn bool(&self, col: &str) -> Result<bool, StoreError>;
    fn time(&self, col: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError>;
    fn json<T: serde::de::DeserializeOwned>(&self, col: &str) -> Result<T, StoreError>;
}

impl RowExt for AnyRow {
    fn i64(&self, col: &str) -> Result<i64, StoreError> {
        Ok(self.try_get::<i64, _>(col)?)
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get::<Option<i64>, _>(col)?)
    }
    fn f64_opt(&self, col: &str) -> Result<Option<f64>, StoreError> {
        Ok(self.try_get::<Option<f64>, _>(col)?)
    }
    fn str(&self, col: &str) -> Result<String, StoreError> {
        Ok(self.try_get::<String, _>(col)?)
    }
    fn opt_str(&self, col: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get::<Option<String>, _>(col)?)
    }
    fn bool(&self, col: &str) -> Result<bool, StoreError> {
        // SQLite hands booleans back as integers through the Any driver.
        match self.try_get::<bool, _>(col) {
            Ok(b) => Ok(b),
            Err(_) => Ok(self.try_get::<i64, _>(col)? != 0),
        }
    }
    fn time(&self, col: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
        Ok(ms_to_time(self.i64(col)?))
    }
    fn json<T: serde::de::DeserializeOwned>(&self, col: &str) -> Result<T, StoreError> {
        let s = self.str(col)?;
        serde_json::from_str(&s)
            .map_err(|e| StoreError::Internal(anyhow::anyhow!("stored {col} is not valid JSON: {e}")))
    }
}

/// Bump a cluster's configuration version (inside the caller's transaction).
pub async fn bump_version(tx: &mut Tx<'_>, cluster_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE clusters SET config_version = config_version + 1 WHERE id = $1")
        .bind(cluster_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which rows a list returns: the filters a resource supports (the others are ignored),
/// then one page in id order.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    pub cluster_id: Option<i64>,
    pub service_id: Option<i64>,
    /// Only rows with `enabled = TRUE`.
    pub enabled_only: bool,
    pub skip: u32,
    pub limit: u32,
}

/// A dynamic `WHERE` clause with `$N` placeholders.
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    binds: Vec<FilterValue>,
}

pub(crate) enum FilterValue {
    I64(i64),
    Str(String),
}

impl Filter {
    pub fn eq_i64(&mut self, col: &str, v: Option<i64>) -> &mut Self {
        if let Some(v) = v {
            self.binds.push(FilterValue::I64(v));
            self.clauses.push(format!("{col} = ${}", self.binds.len()));
        }
        self
    }
    pub fn raw(&mut self, clause: &str) -> &mut Self {
        self.clauses.push(clause.to_string());
        self
    }
    /// A clause with one placeholder written as `?`.
    pub fn bind_i64(&mut self, clause: &str, v: i64) -> &mut Self {
        self.binds.push(FilterValue::I64(v));
        self.clauses.push(clause.replace('?', &format!("${}", self.binds.len())));
        self
    }
    pub fn bind_str(&mut self, clause: &str, v: String) -> &mut Self {
        self.binds.push(FilterValue::Str(v));
        self.clauses.push(clause.replace('?', &format!("${}", self.binds.len())));
        self
    }
    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }
    pub fn next_placeholder(&self) -> usize {
        self.binds.len() + 1
    }
    pub fn apply<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
        for b in &self.binds {
            q = match b {
                FilterValue::I64(v) => q.bind(*v),
                FilterValue::Str(s) => q.bind(s.as_str()),
            };
        }
        q
    }
}

/// Run a filtered, paginated list: returns the rows and the total count.
pub(crate) async fn list_rows(
    pool: &sqlx::AnyPool,
    table: &str,
    filter: &Filter,
    skip: u32,
    limit: u32,
) -> Result<(Vec<AnyRow>, i64), StoreError> {
    let where_sql = filter.where_sql();
    let count_sql = format!("SELECT COUNT(*) AS n FROM {table}{where_sql}");
    let total: i64 = filter.apply(sqlx::query(sqlx::AssertSqlSafe(count_sql))).fetch_one(pool).await?.i64("n")?;
    let n = filter.next_placeholder();
    let sql = format!("SELECT * FROM {table}{where_sql} ORDER BY id LIMIT ${n} OFFSET ${}", n + 1);
    let rows = filter
        .apply(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .bind(limit as i64)
        .bind(skip as i64)
        .fetch_all(pool)
        .await?;
    Ok((rows, total))
}
