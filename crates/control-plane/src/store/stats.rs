//! What proxies measured, aggregated for reading: tracing counters per tracing config,
//! shaping counters per QoS policy, and traffic per endpoint (cost analytics, drills).

use std::collections::BTreeMap;

use serde::Serialize;

use super::rows::{Filter, RowExt};
use crate::db::Db;
use crate::store::error::StoreResult;

// === tracing stats ===

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TracingStats {
    pub tracing_config_id: i64,
    pub spans_started: i64,
    pub spans_sampled: i64,
    pub spans_exported: i64,
    pub spans_dropped: i64,
    pub spans_errored: i64,
    pub avg_span_duration_ms: Option<f64>,
    /// Sampled / started over everything reported (the sampler's real rate).
    pub effective_sampling_rate: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub last_export_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_export_error: Option<String>,
    pub proxies_reporting: i64,
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    // --- the original MarchProxy client's names for the same counters -------------------------
    /// = `spans_started`.
    pub total_spans: i64,
    /// = `spans_sampled`.
    pub sampled_spans: i64,
    /// = `spans_dropped`.
    pub dropped_spans: i64,
    /// = `spans_errored`.
    pub error_spans: i64,
    /// = `last_export_at`.
    #[schema(value_type = Option<String>)]
    pub last_export: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn tracing_stats(db: &Db, config_id: i64) -> StoreResult<TracingStats> {
    let rows = sqlx::query("SELECT * FROM tracing_stats WHERE tracing_config_id = $1 ORDER BY updated_at")
        .bind(config_id)
        .fetch_all(&db.pool)
        .await?;
    let mut s = TracingStats { tracing_config_id: config_id, ..Default::default() };
    let mut duration_sum = 0.0;
    for r in &rows {
        s.spans_started += r.i64("spans_started")?;
        s.spans_sampled += r.i64("spans_sampled")?;
        s.spans_exported += r.i64("spans_exported")?;
        s.spans_dropped += r.i64("spans_dropped")?;
        s.spans_errored += r.i64("spans_errored")?;
        duration_sum += r.f64_opt("span_duration_sum_ms")?.unwrap_or(0.0);
        if let Some(t) = r.opt_i64("last_export_at")? {
            let t = crate::db::ms_to_time(t);
            if s.last_export_at.is_none_or(|old| t > old) {
                s.last_export_at = Some(t);
            }
        }
        // Rows come oldest update first: the most recent error wins.
        if let Some(e) = r.opt_str("last_export_error")? {
            s.last_export_error = Some(e);
        }
        let u = r.time("updated_at")?;
        if s.updated_at.is_none_or(|old| u > old) {
            s.updated_at = Some(u);
        }
    }
    s.proxies_reporting = rows.len() as i64;
    if s.spans_sampled > 0 {
        s.avg_span_duration_ms = Some(duration_sum / s.spans_sampled as f64);
    }
    if s.spans_started > 0 {
        s.effective_sampling_rate = Some(s.spans_sampled as f64 / s.spans_started as f64);
    }
    (s.total_spans, s.sampled_spans, s.dropped_spans, s.error_spans, s.last_export) =
        (s.spans_started, s.spans_sampled, s.spans_dropped, s.spans_errored, s.last_export_at);
    Ok(s)
}

// === QoS stats ===

/// Added delay of one priority class.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ClassDelay {
    pub p50: f64,
    pub p99: f64,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct QosStats {
    pub policy_id: i64,
    pub bytes_passed: i64,
    pub bytes_delayed: i64,
    /// Sum over proxies of the rate each measured over its last report interval.
    pub current_rate_mbps: f64,
    /// Worst p50/p99 across proxies, per class.
    #[schema(value_type = Object)]
    pub delay_ms: BTreeMap<String, ClassDelay>,
    pub sla_violations: i64,
    pub proxies_reporting: i64,
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Scope `cluster`: each proxy's current share of the limits (leases not yet expired).
    pub cluster_shares: Vec<ClusterShare>,
}

/// One proxy's current share of a cluster-scope limit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClusterShare {
    pub proxy_id: i64,
    pub direction: marchproxy_model::report::Direction,
    pub rate_mbps: f64,
}

pub async fn qos_stats(db: &Db, policy_id: i64) -> StoreResult<QosStats> {
    let rows = sqlx::query("SELECT * FROM qos_stats WHERE policy_id = $1").bind(policy_id).fetch_all(&db.pool).await?;
    let mut s = QosStats { policy_id, ..Default::default() };
    for class in ["P0", "P1", "P2", "P3"] {
        s.delay_ms.insert(class.to_string(), ClassDelay::default());
    }
    for r in &rows {
        s.bytes_passed += r.i64("bytes_passed")?;
        s.bytes_delayed += r.i64("bytes_delayed")?;
        s.current_rate_mbps += r.f64_opt("current_rate_bps")?.unwrap_or(0.0) * 8.0 / 1e6;
        s.sla_violations += r.i64("sla_violations")?;
        let delays: [[f64; 2]; 4] = r.json("delay_ms")?;
        for (i, class) in ["P0", "P1", "P2", "P3"].iter().enumerate() {
            let d = s.delay_ms.get_mut(*class).expect("inserted above");
            d.p50 = d.p50.max(delays[i][0]);
            d.p99 = d.p99.max(delays[i][1]);
        }
        let u = r.time("updated_at")?;
        if s.updated_at.is_none_or(|old| u > old) {
            s.updated_at = Some(u);
        }
    }
    s.proxies_reporting = rows.len() as i64;
    s.cluster_shares = super::qos_leases::shares(db, policy_id)
        .await?
        .into_iter()
        .map(|(proxy_id, direction, bps)| ClusterShare { proxy_id, direction, rate_mbps: bps * 8.0 / 1e6 })
        .collect();
    Ok(s)
}

// === traffic and cost ===

/// Bytes in one billed gigabyte (cloud providers bill data transfer per GiB).
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostByProvider {
    pub provider: String,
    pub egress_bytes: i64,
    pub cost: f64,
    pub requests: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostByService {
    pub service_id: i64,
    pub service_name: Option<String>,
    pub egress_bytes: i64,
    pub cost: f64,
    pub requests: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostByRegion {
    pub provider: String,
    pub region: String,
    pub egress_bytes: i64,
    pub cost: f64,
    pub requests: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostByDay {
    pub date: String,
    pub egress_bytes: i64,
    pub cost: f64,
    pub requests: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostReport {
    #[schema(value_type = String)]
    pub start: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = String)]
    pub end: chrono::DateTime<chrono::Utc>,
    pub total_cost: f64,
    pub total_egress_gb: f64,
    /// Requests that crossed the routes in the period (all methods; failed ones included).
    pub total_requests: i64,
    /// Per provider: bytes, cost and requests.
    pub providers: Vec<CostByProvider>,
    pub by_service: Vec<CostByService>,
    /// Per provider and region: bytes, cost and requests.
    pub regions: Vec<CostByRegion>,
    /// One entry per day of the period, zero where nothing flowed.
    pub daily: Vec<CostByDay>,
    // --- the original MarchProxy client's fields -----------------------------------------
    /// The period's length in days.
    pub period_days: f64,
    #[schema(value_type = String)]
    pub period_start: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = String)]
    pub period_end: chrono::DateTime<chrono::Utc>,
    /// `total_cost`, in `currency`.
    pub total_cost_usd: f64,
    /// Cost per provider (`{"aws": 1.25}`); the detail is in `providers`.
    #[schema(value_type = Object)]
    pub by_provider: BTreeMap<String, f64>,
    /// Cost per region name (`{"us-east-1": 1.25}`); the detail is in `regions`.
    #[schema(value_type = Object)]
    pub by_region: BTreeMap<String, f64>,
    /// Route tables with traffic in the period.
    pub route_count: i64,
    /// Always `USD` (`cost_per_gb` is in US dollars).
    pub currency: String,
}

/// What a cost report covers: a period, optionally one cluster, service or route table.
#[derive(Debug, Clone, Copy, Default)]
pub struct CostScope {
    pub cluster_id: Option<i64>,
    pub service_id: Option<i64>,
    pub route_table_id: Option<i64>,
}

/// Cost = measured egress bytes (upstream → client, what a cloud bills) × the route's `cost_per_gb`.
pub async fn cost_report(db: &Db, start_ms: i64, end_ms: i64, scope: CostScope) -> StoreResult<CostReport> {
    let mut f = Filter::default();
    f.bind_i64("s.bucket_start >= ?", start_ms);
    f.bind_i64("s.bucket_start < ?", end_ms);
    if let Some(c) = scope.cluster_id {
        f.bind_i64("t.cluster_id = ?", c);
    }
    if let Some(sv) = scope.service_id {
        f.bind_i64("s.service_id = ?", sv);
    }
    if let Some(t) = scope.route_table_id {
        f.bind_i64("s.route_table_id = ?", t);
    }
    let sql = format!(
        "SELECT s.route_table_id, s.service_id, sv.name AS service_name, s.provider, s.region, s.bucket_start, s.bytes_out, s.requests, s.cost_per_gb
         FROM traffic_stats s JOIN route_tables t ON t.id = s.route_table_id LEFT JOIN services sv ON sv.id = s.service_id{}",
        f.where_sql()
    );
    let rows = f.apply(sqlx::query(sqlx::AssertSqlSafe(sql))).fetch_all(&db.pool).await?;
    let mut by_provider: BTreeMap<String, CostByProvider> = BTreeMap::new();
    let mut by_service: BTreeMap<i64, CostByService> = BTreeMap::new();
    let mut by_region: BTreeMap<(String, String), CostByRegion> = BTreeMap::new();
    let mut daily: BTreeMap<i64, CostByDay> = BTreeMap::new();
    let day_ms = 86_400_000;
    let mut d = start_ms.div_euclid(day_ms);
    while d * day_ms < end_ms {
        daily.insert(
            d,
            CostByDay {
                date: crate::db::ms_to_time(d * day_ms).format("%Y-%m-%d").to_string(),
                egress_bytes: 0,
                cost: 0.0,
                requests: 0,
            },
        );
        d += 1;
    }
    let (mut total_cost, mut total_bytes, mut total_requests) = (0.0, 0i64, 0i64);
    let mut tables = std::collections::BTreeSet::new();
    for r in &rows {
        tables.insert(r.i64("route_table_id")?);
        let bytes = r.i64("bytes_out")?;
        let requests = r.i64("requests")?;
        let cost = bytes as f64 / BYTES_PER_GB * r.f64_opt("cost_per_gb")?.unwrap_or(0.0);
        let provider = r.str("provider")?;
        let region = r.str("region")?;
        let service_id = r.i64("service_id")?;
        total_cost += cost;
        total_bytes += bytes;
        total_requests += requests;
        let p = by_provider.entry(provider.clone()).or_insert_with(|| CostByProvider {
            provider: provider.clone(),
            egress_bytes: 0,
            cost: 0.0,
            requests: 0,
        });
        p.egress_bytes += bytes;
        p.cost += cost;
        p.requests += requests;
        let s = by_service.entry(service_id).or_insert(CostByService {
            service_id,
            service_name: r.opt_str("service_name")?,
            egress_bytes: 0,
            cost: 0.0,
            requests: 0,
        });
        s.egress_bytes += bytes;
        s.cost += cost;
        s.requests += requests;
        let g = by_region.entry((provider.clone(), region.clone())).or_insert(CostByRegion {
            provider,
            region,
            egress_bytes: 0,
            cost: 0.0,
            requests: 0,
        });
        g.egress_bytes += bytes;
        g.cost += cost;
        g.requests += requests;
        if let Some(day) = daily.get_mut(&r.i64("bucket_start")?.div_euclid(day_ms)) {
            day.egress_bytes += bytes;
            day.cost += cost;
            day.requests += requests;
        }
    }
    let mut region_cost: BTreeMap<String, f64> = BTreeMap::new();
    for g in by_region.values() {
        *region_cost.entry(g.region.clone()).or_default() += g.cost;
    }
    Ok(CostReport {
        start: crate::db::ms_to_time(start_ms),
        end: crate::db::ms_to_time(end_ms),
        total_cost,
        total_egress_gb: total_bytes as f64 / BYTES_PER_GB,
        total_requests,
        by_provider: by_provider.values().map(|p| (p.provider.clone(), p.cost)).collect(),
        providers: by_provider.into_values().collect(),
        by_service: by_service.into_values().collect(),
        by_region: region_cost,
        regions: by_region.into_values().collect(),
        daily: daily.into_values().collect(),
        period_days: (end_ms - start_ms) as f64 / 86_400_000.0,
        period_start: crate::db::ms_to_time(start_ms),
        period_end: crate::db::ms_to_time(end_ms),
        total_cost_usd: total_cost,
        route_count: tables.len() as i64,
        currency: "USD".into(),
    })
}

/// Requests and errors per endpoint of a route table since `since_bucket_ms`.
pub async fn traffic_by_endpoint(db: &Db, table_id: i64, since_bucket_ms: i64) -> StoreResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT endpoint, SUM(requests) AS requests, SUM(errors) AS errors FROM traffic_stats
         WHERE route_table_id = $1 AND bucket_start >= $2 GROUP BY endpoint",
    )
    .bind(table_id)
    .bind(since_bucket_ms)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| Ok((r.str("endpoint")?, r.i64("requests")?, r.i64("errors")?))).collect()
}
