//! `/api/v1/observability/{spans,traces,dependencies,latency}`: span search (the embedded
//! store merged with query-capable backends), whole traces, the service dependency graph
//! and latency histograms (feature `distributed_tracing`). Spans arrive through
//! `receiver.rs`.

use axum::Json;
use axum::extract::State;
use marchproxy_license::DISTRIBUTED_TRACING;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{AppQuery, AuthUser};
use crate::state::AppState;
use crate::store::ListFilter;
use crate::store::spans::{self, SpanFilter, StoredSpan};
use crate::store::tracing_configs;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_spans))
        .routes(routes!(get_trace))
        .routes(routes!(dependencies))
        .routes(routes!(latency))
}

#[derive(Serialize, ToSchema)]
pub struct SearchError {
    pub source: String,
    pub error: String,
}

#[derive(Serialize, ToSchema)]
pub struct SpanSearchResult {
    pub total: i64,
    pub spans: Vec<SpanView>,
    /// Query backends that failed, and why.
    pub errors: Vec<SearchError>,
    /// The original MarchProxy API's names: `total`, and the filters as understood.
    pub total_count: i64,
    #[schema(value_type = Object)]
    pub search_params: serde_json::Value,
}

/// A span as searched: the stored span, with the original MarchProxy API's names too.
#[derive(Serialize, ToSchema)]
pub struct SpanView {
    #[serde(flatten)]
    pub span: StoredSpan,
    /// `service`.
    pub service_name: String,
    /// `operation`.
    pub operation_name: String,
    /// `status` is `error`.
    pub has_error: bool,
    /// `attributes`.
    #[schema(value_type = Object)]
    pub tags: serde_json::Map<String, serde_json::Value>,
}

impl From<StoredSpan> for SpanView {
    fn from(span: StoredSpan) -> Self {
        SpanView {
            service_name: span.service.clone(),
            operation_name: span.operation.clone(),
            has_error: span.status == "error",
            tags: span.attributes.clone(),
            span,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanQuery {
    /// Also accepted as `service_name` (the original MarchProxy client's name).
    #[serde(alias = "service_name")]
    pub service: Option<String>,
    /// Also accepted as `operation_name`.
    #[serde(alias = "operation_name")]
    pub operation: Option<String>,
    /// `key:value` pairs separated by commas, or a JSON object of them (the original
    /// MarchProxy client's form).
    pub tags: Option<String>,
    pub has_error: Option<bool>,
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub min_duration_ms: Option<f64>,
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub max_duration_ms: Option<f64>,
    /// RFC 3339 or epoch milliseconds.
    pub start: Option<String>,
    pub end: Option<String>,
    /// 32 hex characters.
    #[param(pattern = "^[0-9A-Fa-f]{32}(?!\\n)$")]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub skip: u32,
    /// Page size (1-1000, default 1000).
    #[serde(default = "crate::api::extract::default_limit")]
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    pub limit: u32,
}

/// A trace id is 32 hex characters, any case (a 422 naming `loc` otherwise).
fn check_trace_id(loc: &[&str], t: &str) -> ApiResult<()> {
    if t.len() != 32 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::field(loc, "must be 32 hex characters"));
    }
    Ok(())
}

fn parse_bound(field: &str, s: &Option<String>) -> ApiResult<Option<i64>> {
    let Some(s) = s.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(Some(ms.saturating_mul(1000)));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.timestamp_micros()))
        .map_err(|_| ApiError::field(&["query", field], "must be an RFC 3339 time or epoch milliseconds"))
}

/// Search stored spans.
#[utoipa::path(get, path = "/api/v1/observability/spans/search", tag = "observability", params(SpanQuery),
    responses((status = 200, body = SpanSearchResult), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn search_spans(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(q): AppQuery<SpanQuery>,
) -> ApiResult<Json<SpanSearchResult>> {
    st.require(DISTRIBUTED_TRACING)?;
    if q.limit == 0 || q.limit > 1000 {
        return Err(ApiError::field(&["query", "limit"], "must be between 1 and 1000"));
    }
    if let Some(t) = &q.trace_id {
        check_trace_id(&["query", "trace_id"], t)?;
    }
    for (f, v) in [("min_duration_ms", q.min_duration_ms), ("max_duration_ms", q.max_duration_ms)] {
        if v.is_some_and(|v| !(0.0..=1e9).contains(&v)) {
            return Err(ApiError::field(&["query", f], "must be between 0 and 1e9"));
        }
    }
    let start = parse_bound("start", &q.start)?;
    let end = parse_bound("end", &q.end)?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(ApiError::field(&["query", "start"], "must not be after end"));
    }
    let search_params = serde_json::to_value(&q).unwrap_or_default();
    let mut tags = Vec::new();
    if let Some(t) = q.tags.as_deref().map(str::trim).filter(|t| t.starts_with('{')) {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(t).map_err(|_| {
            ApiError::field(&["query", "tags"], "must be key:value pairs separated by commas, or a JSON object")
        })?;
        for (k, v) in map {
            tags.push((k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())));
        }
    } else if let Some(t) = q.tags.as_deref().filter(|t| !t.trim().is_empty()) {
        for pair in t.split(',') {
            let (k, v) = pair
                .split_once(':')
                .or_else(|| pair.split_once('='))
                .ok_or_else(|| ApiError::field(&["query", "tags"], "must be key:value pairs separated by commas"))?;
            tags.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let f = SpanFilter {
        service: q.service,
        operation: q.operation,
        trace_id: q.trace_id,
        has_error: q.has_error,
        min_duration_ms: q.min_duration_ms,
        max_duration_ms: q.max_duration_ms,
        start_us: start,
        end_us: end,
        tags,
        skip: q.skip,
        limit: q.limit,
    };
    let (mut spans, mut total) = spans::search_spans(&st.db, &f).await?;
    // Query-capable backends, asked concurrently; their errors are reported.
    let all = tracing_configs::list_tracing(
        &st.db,
        &ListFilter { cluster_id: None, service_id: None, enabled_only: true, skip: 0, limit: 1000 },
    )
    .await?
    .0;
    let backends: Vec<_> = all.into_iter().filter(|c| c.spec.query_url.is_some()).collect();
    let results =
        futures::future::join_all(backends.iter().map(|c| crate::query_backends::search(&st.http, c, &f))).await;
    let mut errors = vec![];
    for (cfg, r) in backends.iter().zip(results) {
        match r {
            Ok(remote) => {
                total += remote.len() as i64;
                spans.extend(remote);
            }
            Err(error) => {
                errors.push(SearchError { source: format!("{}:{}", cfg.spec.backend.as_str(), cfg.spec.name), error })
            }
        }
    }
    if !backends.is_empty() {
        spans.sort_by_key(|s| std::cmp::Reverse(s.start_time));
        spans.truncate(f.limit as usize);
    }
    let spans = spans.into_iter().map(SpanView::from).collect();
    Ok(Json(SpanSearchResult { total, total_count: total, spans, errors, search_params }))
}

#[derive(Serialize, ToSchema)]
pub struct Trace {
    pub trace_id: String,
    pub spans: Vec<StoredSpan>,
}

/// A whole trace from the embedded store.
#[utoipa::path(get, path = "/api/v1/observability/traces/{trace_id}", tag = "observability", params(("trace_id" = String, Path)),
    responses((status = 200, body = Trace), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_trace(
    State(st): State<AppState>,
    _: AuthUser,
    axum::extract::Path(trace_id): axum::extract::Path<String>,
) -> ApiResult<Json<Trace>> {
    st.require(DISTRIBUTED_TRACING)?;
    check_trace_id(&["path", "trace_id"], &trace_id)?;
    let spans = spans::trace_spans(&st.db, &trace_id).await?;
    if spans.is_empty() {
        return Err(ApiError::not_found("trace", &trace_id));
    }
    Ok(Json(Trace { trace_id: trace_id.to_ascii_lowercase(), spans }))
}

#[derive(Serialize, ToSchema)]
pub struct DependencyNode {
    pub service: String,
}

#[derive(Serialize, ToSchema)]
pub struct DependencyEdge {
    pub parent: String,
    pub child: String,
    pub call_count: i64,
    pub error_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DependencyGraph {
    pub nodes: Vec<DependencyNode>,
    pub edges: Vec<DependencyEdge>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DependencyParams {
    /// Look-back window in hours (1-720, default 24).
    #[param(minimum = 1, maximum = 720)]
    pub hours: Option<u32>,
}

/// Service dependency graph computed from stored spans.
#[utoipa::path(get, path = "/api/v1/observability/dependencies", tag = "observability", params(DependencyParams),
    responses((status = 200, body = DependencyGraph), (status = 403)), security(("bearer" = [])))]
async fn dependencies(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<DependencyParams>,
) -> ApiResult<Json<DependencyGraph>> {
    st.require(DISTRIBUTED_TRACING)?;
    let hours = p.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::field(&["query", "hours"], "must be between 1 and 720"));
    }
    let since = (chrono::Utc::now() - chrono::Duration::hours(hours as i64)).timestamp_micros();
    let mut edges = spans::dependencies(&st.db, since).await?;
    // Calls the proxies made to their upstream services (client spans).
    for e in spans::client_edges(&st.db, since).await? {
        if !edges.iter().any(|x| x.0 == e.0 && x.1 == e.1) {
            edges.push(e);
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for (p, c, _, _) in &edges {
        names.insert(p.clone());
        names.insert(c.clone());
    }
    Ok(Json(DependencyGraph {
        nodes: names.into_iter().map(|service| DependencyNode { service }).collect(),
        edges: edges
            .into_iter()
            .map(|(parent, child, call_count, error_count)| DependencyEdge { parent, child, call_count, error_count })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatencyParams {
    #[serde(alias = "service_name")]
    pub service: Option<String>,
    #[serde(alias = "operation_name")]
    pub operation: Option<String>,
    /// Look-back window in hours (1-720, default 1).
    #[param(minimum = 1, maximum = 720)]
    pub hours: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct LatencyBucket {
    /// Upper bound in milliseconds (`null` for the overflow bucket).
    pub le_ms: Option<f64>,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct LatencyHistogram {
    pub count: i64,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub buckets: Vec<LatencyBucket>,
}

/// Latency histogram of stored spans (the most recent 50,000 in the window).
#[utoipa::path(get, path = "/api/v1/observability/latency", tag = "observability", params(LatencyParams),
    responses((status = 200, body = LatencyHistogram), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn latency(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<LatencyParams>,
) -> ApiResult<Json<LatencyHistogram>> {
    st.require(DISTRIBUTED_TRACING)?;
    let hours = p.hours.unwrap_or(1);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::field(&["query", "hours"], "must be between 1 and 720"));
    }
    let since = (chrono::Utc::now() - chrono::Duration::hours(hours as i64)).timestamp_micros();
    let mut d = spans::durations(&st.db, p.service.as_deref(), p.operation.as_deref(), since, 50_000).await?;
    d.sort_unstable();
    let q = |f: f64| (!d.is_empty()).then(|| d[((d.len() - 1) as f64 * f).round() as usize] as f64 / 1000.0);
    const BOUNDS: [f64; 14] =
        [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0];
    let mut buckets: Vec<LatencyBucket> = BOUNDS.iter().map(|b| LatencyBucket { le_ms: Some(*b), count: 0 }).collect();
    buckets.push(LatencyBucket { le_ms: None, count: 0 });
    for us in &d {
        let ms = *us as f64 / 1000.0;
        let i = BOUNDS.iter().position(|b| ms <= *b).unwrap_or(BOUNDS.len());
        buckets[i].count += 1;
    }
    Ok(Json(LatencyHistogram { count: d.len() as i64, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), buckets }))
}
