//! The embedded span store (fed by the OTLP receiver through the ingest queue, bounded in
//! rows and in bytes, [`SpanStoreLimits`]) and what is computed from it: searches, traces,
//! dependency edges, latencies.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rows::{Filter, RowExt};
use crate::db::Db;
use crate::store::error::StoreResult;

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema, PartialEq)]
pub struct StoredSpan {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub service: String,
    pub operation: String,
    pub kind: String,
    /// RFC 3339 start time.
    #[schema(value_type = String)]
    pub start_time: chrono::DateTime<chrono::Utc>,
    pub duration_ms: f64,
    /// `ok` or `error`.
    pub status: String,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// `local` (embedded store) or the query backend it came from.
    pub source: String,
}

/// What a span search asks for: exact filters, start-time bounds and one page (newest first).
#[derive(Debug, Clone, Default)]
pub struct SpanFilter {
    pub service: Option<String>,
    pub operation: Option<String>,
    /// 32 hex characters, any case.
    pub trace_id: Option<String>,
    pub has_error: Option<bool>,
    pub min_duration_ms: Option<f64>,
    pub max_duration_ms: Option<f64>,
    /// Start-time bounds, epoch microseconds, inclusive.
    pub start_us: Option<i64>,
    pub end_us: Option<i64>,
    /// Attribute `key`/`value` pairs a span must all carry.
    pub tags: Vec<(String, String)>,
    pub skip: u32,
    pub limit: u32,
}

fn span_from_row(r: &sqlx::any::AnyRow) -> StoreResult<StoredSpan> {
    let start_us = r.i64("start_unix_us")?;
    Ok(StoredSpan {
        trace_id: r.str("trace_id")?,
        span_id: r.str("span_id")?,
        parent_span_id: r.opt_str("parent_span_id")?,
        service: r.str("service")?,
        operation: r.str("operation")?,
        kind: r.str("kind")?,
        start_time: chrono::DateTime::from_timestamp_micros(start_us).unwrap_or_default(),
        duration_ms: r.i64("duration_us")? as f64 / 1000.0,
        status: if r.bool("is_error")? { "error" } else { "ok" }.into(),
        attributes: r.json("attributes")?,
        source: "local".into(),
    })
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Search the embedded store.
pub async fn search_spans(db: &Db, q: &SpanFilter) -> StoreResult<(Vec<StoredSpan>, i64)> {
    let mut f = Filter::default();
    if let Some(s) = &q.service {
        f.bind_str("service = ?", s.clone());
    }
    if let Some(o) = &q.operation {
        f.bind_str("operation = ?", o.clone());
    }
    if let Some(t) = &q.trace_id {
        f.bind_str("trace_id = ?", t.to_ascii_lowercase());
    }
    match q.has_error {
        Some(true) => {
            f.raw("is_error = TRUE");
        }
        Some(false) => {
            f.raw("is_error = FALSE");
        }
        None => {}
    }
    if let Some(v) = q.min_duration_ms {
        f.bind_i64("duration_us >= ?", (v * 1000.0) as i64);
    }
    if let Some(v) = q.max_duration_ms {
        f.bind_i64("duration_us <= ?", (v * 1000.0) as i64);
    }
    if let Some(v) = q.start_us {
        f.bind_i64("start_unix_us >= ?", v);
    }
    if let Some(v) = q.end_us {
        f.bind_i64("start_unix_us <= ?", v);
    }
    for (k, v) in &q.tags {
        let pat = format!(
            "%{}%",
            like_escape(&format!("{}:{}", serde_json::Value::from(k.as_str()), serde_json::Value::from(v.as_str())))
        );
        f.bind_str("attributes LIKE ? ESCAPE '\\'", pat);
    }
    let where_sql = f.where_sql();
    let total = f
        .apply(sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM spans{where_sql}"))))
        .fetch_one(&db.pool)
        .await?
        .i64("n")?;
    let n = f.next_placeholder();
    let sql =
        format!("SELECT * FROM spans{where_sql} ORDER BY start_unix_us DESC, id DESC LIMIT ${n} OFFSET ${}", n + 1);
    let rows = f
        .apply(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .bind(q.limit as i64)
        .bind(q.skip as i64)
        .fetch_all(&db.pool)
        .await?;
    Ok((rows.iter().map(span_from_row).collect::<StoreResult<_>>()?, total))
}

pub async fn trace_spans(db: &Db, trace_id: &str) -> StoreResult<Vec<StoredSpan>> {
    let rows = sqlx::query("SELECT * FROM spans WHERE trace_id = $1 ORDER BY start_unix_us, id")
        .bind(trace_id.to_ascii_lowercase())
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(span_from_row).collect()
}

/// How much the embedded span store keeps: the oldest spans are evicted beyond either.
#[derive(Debug, Clone, Copy)]
pub struct SpanStoreLimits {
    pub max_rows: i64,
    /// Bytes as stored ([`PreparedSpan::size_bytes`]).
    pub max_bytes: i64,
}

/// Rows one insert evicts at most, so eviction never holds the write lock for long (after
/// the limits were lowered, the store shrinks over several inserts).
const EVICT_MAX_ROWS: i64 = 2_000;

/// A span ready to be stored: its attributes serialised once, and its size.
#[derive(Debug, Clone)]
pub struct PreparedSpan {
    span: StoredSpan,
    attributes_json: String,
}

/// What a row costs beyond its text columns (ids, times, flags, index entries), roughly.
const ROW_OVERHEAD_BYTES: usize = 128;

impl PreparedSpan {
    pub fn new(span: StoredSpan) -> Self {
        let attributes_json = serde_json::to_string(&span.attributes).expect("a JSON map serializes");
        Self { span, attributes_json }
    }

    /// Bytes of the attributes as stored (JSON).
    pub fn attribute_bytes(&self) -> usize {
        self.attributes_json.len()
    }

    /// Bytes the row takes in the store, roughly: its text columns plus a fixed overhead.
    pub fn size_bytes(&self) -> usize {
        let s = &self.span;
        self.attributes_json.len()
            + s.trace_id.len()
            + s.span_id.len()
            + s.parent_span_id.as_ref().map_or(0, String::len)
            + s.service.len()
            + s.operation.len()
            + s.kind.len()
            + ROW_OVERHEAD_BYTES
    }
}

/// Insert spans, then evict the oldest beyond `limits` (rows and bytes), in one short
/// transaction: callers pass bounded batches.
///
/// Each row records its size and the running total of bytes ever inserted up to it
/// (`cum_bytes`, increasing with `id`), so the bytes bound is one indexed range delete, like
/// the rows bound. With several writers at once (PostgreSQL replicas) the running total is
/// approximate by at most their concurrent batches.
pub async fn insert_spans(db: &Db, spans: &[PreparedSpan], limits: &SpanStoreLimits) -> StoreResult<()> {
    let now = crate::db::now_ms();
    let mut tx = super::begin_write(db).await?;
    let mut cum: i64 =
        sqlx::query("SELECT MAX(cum_bytes) AS c FROM spans").fetch_one(&mut *tx).await?.opt_i64("c")?.unwrap_or(0);
    for p in spans {
        let s = &p.span;
        let size = p.size_bytes() as i64;
        cum += size;
        sqlx::query(
            "INSERT INTO spans (trace_id, span_id, parent_span_id, service, operation, kind, start_unix_us, duration_us, is_error, attributes, received_at, size_bytes, cum_bytes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(s.trace_id.to_ascii_lowercase())
        .bind(s.span_id.to_ascii_lowercase())
        .bind(s.parent_span_id.as_deref())
        .bind(s.service.as_str())
        .bind(s.operation.as_str())
        .bind(s.kind.as_str())
        .bind(s.start_time.timestamp_micros())
        .bind((s.duration_ms * 1000.0).round() as i64)
        .bind(s.status == "error")
        .bind(p.attributes_json.as_str())
        .bind(now)
        .bind(size)
        .bind(cum)
        .execute(&mut *tx)
        .await?;
    }
    // The newest id; rows at or below the cutoffs go: beyond max_rows by id, beyond
    // max_bytes by running total.
    let r = sqlx::query("SELECT MIN(id) AS lo, MAX(id) AS hi FROM spans").fetch_one(&mut *tx).await?;
    if let (Some(lo), Some(hi)) = (r.opt_i64("lo")?, r.opt_i64("hi")?) {
        let by_rows = hi - limits.max_rows.max(1);
        let by_bytes = sqlx::query("SELECT MAX(id) AS m FROM spans WHERE cum_bytes <= $1")
            .bind(cum - limits.max_bytes.max(1))
            .fetch_one(&mut *tx)
            .await?
            .opt_i64("m")?
            .unwrap_or(0);
        let cutoff = by_rows.max(by_bytes).min(lo + EVICT_MAX_ROWS - 1);
        if cutoff >= lo {
            sqlx::query("DELETE FROM spans WHERE id <= $1").bind(cutoff).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Service dependency edges: parent span's service → child span's service.
pub async fn dependencies(db: &Db, since_us: i64) -> StoreResult<Vec<(String, String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT p.service AS parent, c.service AS child, COUNT(*) AS calls,
                SUM(CASE WHEN c.is_error THEN 1 ELSE 0 END) AS errors
         FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
         WHERE c.start_unix_us >= $1 AND p.service <> c.service
         GROUP BY p.service, c.service ORDER BY calls DESC",
    )
    .bind(since_us)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| Ok((r.str("parent")?, r.str("child")?, r.i64("calls")?, r.i64("errors")?))).collect()
}

/// Upstream calls seen in client spans: (calling service, called service, calls, errors).
pub async fn client_edges(db: &Db, since_us: i64) -> StoreResult<Vec<(String, String, i64, i64)>> {
    let rows = sqlx::query("SELECT service, attributes, is_error FROM spans WHERE kind = 'client' AND start_unix_us >= $1 ORDER BY id DESC LIMIT 20000")
        .bind(since_us)
        .fetch_all(&db.pool)
        .await?;
    let mut edges: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for r in &rows {
        let attrs: serde_json::Map<String, serde_json::Value> = r.json("attributes")?;
        let target = attrs
            .get("marchproxy.service")
            .or_else(|| attrs.get("server.address"))
            .or_else(|| attrs.get("peer.service"))
            .and_then(|v| v.as_str());
        let Some(target) = target else { continue };
        let e = edges.entry((r.str("service")?, target.to_string())).or_default();
        e.0 += 1;
        if r.bool("is_error")? {
            e.1 += 1;
        }
    }
    Ok(edges.into_iter().map(|((a, b), (c, e))| (a, b, c, e)).collect())
}

/// Durations (µs) of matching spans, most recent first, at most `limit`.
pub async fn durations(
    db: &Db,
    service: Option<&str>,
    operation: Option<&str>,
    since_us: i64,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let mut f = Filter::default();
    f.bind_i64("start_unix_us >= ?", since_us);
    if let Some(s) = service {
        f.bind_str("service = ?", s.to_string());
    }
    if let Some(o) = operation {
        f.bind_str("operation = ?", o.to_string());
    }
    let n = f.next_placeholder();
    let sql = format!("SELECT duration_us FROM spans{} ORDER BY id DESC LIMIT ${n}", f.where_sql());
    let rows = f.apply(sqlx::query(sqlx::AssertSqlSafe(sql))).bind(limit).fetch_all(&db.pool).await?;
    rows.iter().map(|r| r.i64("duration_us")).collect()
}
