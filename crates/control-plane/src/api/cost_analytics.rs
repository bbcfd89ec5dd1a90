//! `/api/v1/multi-cloud/analytics/cost`: cost from measured egress (feature
//! `multi_cloud_routing`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use marchproxy_license::MULTI_CLOUD_ROUTING;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{AppQuery, AuthUser};
use crate::state::AppState;
use crate::store::stats::{CostReport, CostScope, cost_report};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cost_analytics))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CostParams {
    /// Days back from now (1-366); default 7 (as the original MarchProxy client) when
    /// neither start nor end is given.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
    /// Start date (YYYY-MM-DD or RFC 3339).
    pub start: Option<String>,
    /// End date, exclusive (YYYY-MM-DD or RFC 3339); default now.
    pub end: Option<String>,
    #[param(minimum = 1)]
    pub cluster_id: Option<i64>,
    /// Only this service's traffic.
    #[param(minimum = 1)]
    pub service_id: Option<i64>,
    /// Only this route table's traffic.
    #[param(minimum = 1)]
    pub route_id: Option<i64>,
}

fn parse_time(field: &str, s: &str) -> ApiResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(ApiError::field(&["query", field], "must be a date (YYYY-MM-DD) or an RFC 3339 time"))
}

/// Cost from measured egress bytes × each endpoint's `cost_per_gb`.
#[utoipa::path(get, path = "/api/v1/multi-cloud/analytics/cost", tag = "multi-cloud", params(CostParams),
    responses((status = 200, body = CostReport), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn cost_analytics(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<CostParams>,
) -> ApiResult<Json<CostReport>> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let now = Utc::now();
    if p.days.is_some() && (p.start.is_some() || p.end.is_some()) {
        return Err(ApiError::field(&["query", "days"], "give either days or start/end, not both"));
    }
    let (start, end) = if let Some(days) = p.days {
        if !(1..=366).contains(&days) {
            return Err(ApiError::field(&["query", "days"], "must be between 1 and 366"));
        }
        (now - chrono::Duration::days(days as i64), now)
    } else {
        let end = p.end.as_deref().map(|s| parse_time("end", s)).transpose()?.unwrap_or(now);
        let start =
            p.start.as_deref().map(|s| parse_time("start", s)).transpose()?.unwrap_or(end - chrono::Duration::days(7));
        if start >= end {
            return Err(ApiError::field(&["query", "start"], "must be before end"));
        }
        if end - start > chrono::Duration::days(366) {
            return Err(ApiError::field(&["query", "start"], "the period must be at most 366 days"));
        }
        (start, end)
    };
    for (field, v) in [("cluster_id", p.cluster_id), ("service_id", p.service_id), ("route_id", p.route_id)] {
        if v.is_some_and(|v| v < 1) {
            return Err(ApiError::field(&["query", field], "must be a positive id"));
        }
    }
    let scope = CostScope { cluster_id: p.cluster_id, service_id: p.service_id, route_table_id: p.route_id };
    Ok(Json(cost_report(&st.db, start.timestamp_millis(), end.timestamp_millis(), scope).await?))
}
