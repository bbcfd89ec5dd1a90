//! Row helpers shared by the resource modules: typed columns ([`RowExt`]), dynamic
//! `WHERE` clauses and paginated lists, enum columns, and the generic operations of
//! cluster-scoped tables (which cluster a row is in, delete, enable).

use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::{ListFilter, bump_version};
use crate::db::{Db, ms_to_time, now_ms};
use crate::store::error::{StoreError, StoreResult};

/// A query with its binds, as the statements of several store modules build it.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

pub(super) fn parse_enum<T: serde::de::DeserializeOwned>(s: String, what: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::from(s))
        .map_err(|e| StoreError::Internal(anyhow::anyhow!("stored {what}: {e}")))
}

pub(super) fn filter_for(p: &ListFilter, has_service: bool) -> Filter {
    let mut f = Filter::default();
    f.eq_i64("cluster_id", p.cluster_id);
    if has_service {
        f.eq_i64("service_id", p.service_id);
    }
    if p.enabled_only {
        f.raw("enabled = TRUE");
    }
    f
}

/// The cluster a row belongs to (404 if the row is missing).
pub(super) async fn cluster_of(db: &Db, table: &str, what: &str, id: i64) -> StoreResult<i64> {
    let sql = format!("SELECT cluster_id FROM {table} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?;
    row.ok_or_else(|| StoreError::not_found(what, id))?.i64("cluster_id")
}

/// Delete a row and bump its cluster's version.
pub(super) async fn delete_row(db: &Db, table: &str, what: &str, id: i64) -> StoreResult<()> {
    let cluster_id = cluster_of(db, table, what, id).await?;
    let mut tx = super::begin_write(db).await?;
    let sql = format!("DELETE FROM {table} WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *tx).await?;
    bump_version(&mut tx, cluster_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Flip `enabled` and bump the version.
pub(super) async fn set_enabled_row(db: &Db, table: &str, what: &str, id: i64, enabled: bool) -> StoreResult<()> {
    let cluster_id = cluster_of(db, table, what, id).await?;
    let mut tx = super::begin_write(db).await?;
    let sql = format!("UPDATE {table} SET enabled = $1, updated_at = $2 WHERE id = $3");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(enabled).bind(now_ms()).bind(id).execute(&mut *tx).await?;
    bump_version(&mut tx, cluster_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Column helpers for `AnyRow`.
pub(crate) trait RowExt {
    fn i64(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn f64(&self, col: &str) -> Result<f64, StoreError>;
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
    fn f64(&self, col: &str) -> Result<f64, StoreError> {
        Ok(self.try_get::<f64, _>(col)?)
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
    pub fn apply<'q>(&'q self, mut q: AnyQuery<'q>) -> AnyQuery<'q> {
        for b in &self.binds {
            q = match b {
                FilterValue::I64(v) => q.bind(*v),
                FilterValue::Str(s) => q.bind(s.as_str()),
            };
        }
        q
    }
}

/// Run a filtered, paginated list, oldest first: returns the rows and the total count.
pub(crate) async fn list_rows(
    db: &Db,
    table: &str,
    filter: &Filter,
    skip: u32,
    limit: u32,
) -> Result<(Vec<AnyRow>, i64), StoreError> {
    let mut conn = db.pool.acquire().await?;
    list_rows_on(&mut conn, table, filter, "id", skip, limit).await
}

/// [`list_rows`] on a given connection (e.g. inside a read transaction), in the order of
/// `order_by` (an SQL literal: `id`, `id DESC`).
pub(crate) async fn list_rows_on(
    conn: &mut AnyConnection,
    table: &str,
    filter: &Filter,
    order_by: &'static str,
    skip: u32,
    limit: u32,
) -> Result<(Vec<AnyRow>, i64), StoreError> {
    let where_sql = filter.where_sql();
    let count_sql = format!("SELECT COUNT(*) AS n FROM {table}{where_sql}");
    let total: i64 = filter.apply(sqlx::query(sqlx::AssertSqlSafe(count_sql))).fetch_one(&mut *conn).await?.i64("n")?;
    let n = filter.next_placeholder();
    let sql = format!("SELECT * FROM {table}{where_sql} ORDER BY {order_by} LIMIT ${n} OFFSET ${}", n + 1);
    let rows = filter
        .apply(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .bind(limit as i64)
        .bind(skip as i64)
        .fetch_all(&mut *conn)
        .await?;
    Ok((rows, total))
}
