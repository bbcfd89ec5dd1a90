//! The proxies' side of the API: registration, the configuration long-poll, and reports.
//! Proxies authenticate with their cluster's API key (`Authorization: Bearer mpk_...`).

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use marchproxy_model::report::{ProxyRegistration, ProxyReport, QosLeaseRequest, QosLeaseResponse, Registered};
use marchproxy_model::snapshot::ClusterSnapshot;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{AppJson, AppQuery};
use crate::state::AppState;
use crate::store;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(config))
        .routes(routes!(report))
        .routes(routes!(qos_lease))
}

/// The cluster a proxy request is for.
pub struct ProxyAuth(pub i64);

impl FromRequestParts<AppState> for ProxyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = || ApiError::Unauthorized("a valid cluster API key is required".into());
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unauthorized)?;
        let token = header.strip_prefix("Bearer ").ok_or_else(unauthorized)?.trim();
        if token.starts_with("mpk_") {
            let cluster = store::clusters::cluster_by_api_key(&st.db, token).await?.ok_or_else(unauthorized)?;
            return Ok(ProxyAuth(cluster));
        }
        st.auth.verify_proxy(token).map(ProxyAuth).map_err(|_| unauthorized())
    }
}

/// Register (or re-register) a proxy. Community licenses allow 3 proxies per cluster.
#[utoipa::path(post, path = "/api/v1/proxy/register", tag = "proxies", request_body = ProxyRegistration,
    responses((status = 200, body = Registered), (status = 401), (status = 403, description = "proxy limit reached")))]
async fn register(
    State(st): State<AppState>,
    ProxyAuth(cluster_id): ProxyAuth,
    AppJson(r): AppJson<ProxyRegistration>,
) -> ApiResult<Json<Registered>> {
    let name = r.name.trim();
    if name.is_empty() || r.name.chars().count() > 100 {
        return Err(ApiError::field(&["body", "name"], "must be 1-100 characters"));
    }
    if r.version.chars().count() > 50 {
        return Err(ApiError::field(&["body", "version"], "must be at most 50 characters"));
    }
    let p = store::proxies::register_proxy(
        &st.db,
        cluster_id,
        name,
        &r.version,
        r.address.as_deref(),
        st.license.max_proxies(),
    )
    .await?;
    // `?`: the name is the client's text, escaped so it cannot forge log lines.
    tracing::info!(proxy = p.id, name = ?p.name, cluster = cluster_id, "proxy registered");
    Ok(Json(Registered { proxy_id: p.id, cluster_id }))
}

/// The configuration long-poll's path, and the longest it waits (`wait_seconds` is capped
/// there); the server's request timeout gives this route that much more time.
pub const LONG_POLL_PATH: &str = "/api/v1/proxy/config";
pub const LONG_POLL_MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigQuery {
    /// The version the proxy has; the call waits until a newer one exists.
    pub version: Option<i64>,
    pub proxy_id: Option<i64>,
    /// Longest wait, seconds (default 25, at most 60).
    pub wait_seconds: Option<u64>,
}

/// The cluster's snapshot: immediately when it differs from `version` (newer, or older after
/// a database restore), otherwise a long-poll that answers as soon as the configuration
/// changes, or 304 after `wait_seconds`.
#[utoipa::path(get, path = "/api/v1/proxy/config", tag = "proxies", params(ConfigQuery),
    responses((status = 200, body = ClusterSnapshot), (status = 304, description = "no change"), (status = 401)))]
async fn config(
    State(st): State<AppState>,
    ProxyAuth(cluster_id): ProxyAuth,
    AppQuery(q): AppQuery<ConfigQuery>,
) -> ApiResult<Response> {
    let wait = Duration::from_secs(q.wait_seconds.unwrap_or(25)).min(LONG_POLL_MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let mut changes = st.db.events.subscribe();
    let mut closing = st.closing.subscribe();
    // The poll itself is a heartbeat and acknowledges the version the proxy runs.
    if let Some(p) = q.proxy_id {
        let _ = store::proxies::proxy_heartbeat(&st.db, p, cluster_id, q.version).await;
    }
    let _waiting = st.metrics.long_poll();
    loop {
        let version = store::clusters::cluster_version(&st.db.pool, cluster_id).await?;
        if q.version != Some(version) {
            // Built once per version for every proxy of the cluster (snapshot_cache.rs).
            let encoded = st.snapshots.get(&st.db, cluster_id, version).await?;
            let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
            return Ok((json, encoded.json.clone()).into_response());
        }
        // Woken by a change on this replica; the 1 s re-check catches other replicas' writes.
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(st.config.config_recheck_ms.max(50))) => {}
            _ = tokio::time::sleep_until(deadline) => return Ok(StatusCode::NOT_MODIFIED.into_response()),
            _ = closing.wait_for(|c| *c) => return Ok(StatusCode::NOT_MODIFIED.into_response()),
        }
    }
}

/// Traffic, tracing and QoS counters. Applied exactly once per `report_id`.
#[utoipa::path(post, path = "/api/v1/proxy/report", tag = "proxies", request_body = ProxyReport,
    responses((status = 200, description = "applied or already applied"), (status = 401), (status = 404)))]
async fn report(
    State(st): State<AppState>,
    ProxyAuth(cluster_id): ProxyAuth,
    AppJson(r): AppJson<ProxyReport>,
) -> ApiResult<Json<serde_json::Value>> {
    if r.report_id.is_empty() || r.report_id.chars().count() > 64 {
        return Err(ApiError::field(&["body", "report_id"], "must be 1-64 characters"));
    }
    let applied = store::reports::apply_report(&st.db, cluster_id, &r).await?;
    Ok(Json(serde_json::json!({"applied": applied})))
}

/// Lease shares of the cluster's cluster-scope bandwidth limits: the proxy reports what it
/// used of each (and whether it was throttled) and gets its share until `expires_in_ms`
/// (docs/adr/0006-cluster-wide-bandwidth-limits.md).
#[utoipa::path(post, path = "/api/v1/proxy/qos-lease", tag = "proxies", request_body = QosLeaseRequest,
    responses((status = 200, body = QosLeaseResponse), (status = 401), (status = 404), (status = 422),
        (status = 503, description = "busy or the database is unavailable; keep the current shares and retry")))]
async fn qos_lease(
    State(st): State<AppState>,
    ProxyAuth(cluster_id): ProxyAuth,
    AppJson(r): AppJson<QosLeaseRequest>,
) -> ApiResult<Json<QosLeaseResponse>> {
    if !(50..=10_000).contains(&r.interval_ms) {
        return Err(ApiError::field(&["body", "interval_ms"], "must be 50-10000"));
    }
    if r.demands.len() > 1_000 {
        return Err(ApiError::field(&["body", "demands"], "at most 1000 demands per lease"));
    }
    if let Some(i) = r.demands.iter().position(|d| !d.used_bps.is_finite() || d.used_bps < 0.0) {
        return Err(ApiError::field(&["body", "demands", &i.to_string(), "used_bps"], "must be a finite number >= 0"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(i) = r.demands.iter().position(|d| !seen.insert((d.policy_id, d.direction))) {
        return Err(ApiError::field(&["body", "demands", &i.to_string()], "one demand per policy and direction"));
    }
    Ok(Json(store::qos_leases::lease(&st.db, cluster_id, &r).await?))
}
