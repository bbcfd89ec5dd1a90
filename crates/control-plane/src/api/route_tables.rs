//! `/api/v1/multi-cloud/routes*`: route tables, endpoint health and failover drills
//! (feature `multi_cloud_routing`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use marchproxy_license::MULTI_CLOUD_ROUTING;
use marchproxy_model::FieldError;
use marchproxy_model::route_table::{CloudProvider, RouteTable, RouteTableSpec, preferred_endpoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{
    Admin, AppJson, AppQuery, AuthUser, ListParams, PageParams, PathId, PathIds, Update, total_header,
};
use crate::drill::{FailoverDrill, FailoverResult};
use crate::state::AppState;
use crate::store::route_tables;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_routes, create_route))
        .routes(routes!(get_route, update_route, patch_route, delete_route))
        .routes(routes!(route_health))
        .routes(routes!(enable_route))
        .routes(routes!(disable_route))
        .routes(routes!(test_failover))
        .routes(routes!(list_drills))
        .routes(routes!(get_drill))
}

#[utoipa::path(get, path = "/api/v1/multi-cloud/routes", tag = "multi-cloud", params(ListParams),
    responses((status = 200, body = Vec<RouteTable>), (status = 403)), security(("bearer" = [])))]
async fn list_routes(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<RouteTable>>)> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let (items, total) = route_tables::list_route_tables(&st.db, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

#[utoipa::path(post, path = "/api/v1/multi-cloud/routes", tag = "multi-cloud", request_body = RouteTableSpec,
    responses((status = 201, body = RouteTable), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn create_route(
    State(st): State<AppState>,
    _: Admin,
    AppJson(spec): AppJson<RouteTableSpec>,
) -> ApiResult<(StatusCode, Json<RouteTable>)> {
    st.require(MULTI_CLOUD_ROUTING)?;
    spec.validate()?;
    let t = route_tables::create_route_table(&st.db, &spec).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetRouteParams {
    /// Add `health_status`: each endpoint's live health (as `GET …/{id}/health` answers).
    /// Default true, as in the original MarchProxy API.
    #[serde(default = "crate::api::extract::default_true")]
    #[param(default = true)]
    pub include_health: bool,
}

/// A route table, with its endpoints' health unless asked not to (`include_health=false`).
#[derive(Serialize, ToSchema)]
pub struct RouteTableView {
    #[serde(flatten)]
    pub table: RouteTable,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_status: Option<Vec<EndpointHealthView>>,
}

#[utoipa::path(get, path = "/api/v1/multi-cloud/routes/{id}", tag = "multi-cloud", params(("id" = i64, Path), GetRouteParams),
    responses((status = 200, body = RouteTableView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_route(
    State(st): State<AppState>,
    _: AuthUser,
    PathId(id): PathId,
    AppQuery(q): AppQuery<GetRouteParams>,
) -> ApiResult<Json<RouteTableView>> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let table = route_tables::get_route_table(&st.db, id).await?;
    let health_status = if q.include_health { Some(health_view(&st, &table).await?) } else { None };
    Ok(Json(RouteTableView { table, health_status }))
}

/// Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
/// it, a partial one changes only the fields it names.
#[utoipa::path(put, path = "/api/v1/multi-cloud/routes/{id}", tag = "multi-cloud", params(("id" = i64, Path)), request_body = RouteTableSpec,
    responses((status = 200, body = RouteTable), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn update_route(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<RouteTable>> {
    update_route_merged(&st, id, &body, Update::Replace).await
}

/// A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
/// merge field by field, `null` clears an optional field.
#[utoipa::path(patch, path = "/api/v1/multi-cloud/routes/{id}", tag = "multi-cloud", params(("id" = i64, Path)), request_body = RouteTableSpec,
    responses((status = 200, body = RouteTable), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn patch_route(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<RouteTable>> {
    update_route_merged(&st, id, &body, Update::Merge).await
}

async fn update_route_merged(st: &AppState, id: i64, body: &[u8], how: Update) -> ApiResult<Json<RouteTable>> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let current = route_tables::get_route_table(&st.db, id).await?;
    let spec: RouteTableSpec =
        crate::api::extract::merge_patch(&current.spec, body, &[("health_probe_config", "health_probe")], how)?;
    spec.validate()?;
    Ok(Json(route_tables::update_route_table(&st.db, id, &spec).await?))
}

#[utoipa::path(delete, path = "/api/v1/multi-cloud/routes/{id}", tag = "multi-cloud", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_route(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    // No license check: cleaning up (delete, disable) stays allowed after a license lapses.
    route_tables::delete_route_table(&st.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/multi-cloud/routes/{id}/enable", tag = "multi-cloud", params(("id" = i64, Path)),
    responses((status = 200, body = RouteTable), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn enable_route(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<RouteTable>> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let t = route_tables::set_route_table_enabled(&st.db, id, true).await?;
    Ok(Json(t))
}

#[utoipa::path(post, path = "/api/v1/multi-cloud/routes/{id}/disable", tag = "multi-cloud", params(("id" = i64, Path)),
    responses((status = 200, body = RouteTable), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn disable_route(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<RouteTable>> {
    // No license check: cleaning up (delete, disable) stays allowed after a license lapses.
    let t = route_tables::set_route_table_enabled(&st.db, id, false).await?;
    Ok(Json(t))
}

/// Health of one endpoint, with where it runs.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EndpointHealthView {
    pub endpoint: String,
    pub provider: CloudProvider,
    pub region: String,
    pub is_active: bool,
    pub is_healthy: bool,
    #[schema(value_type = Option<String>)]
    pub last_check: Option<DateTime<Utc>>,
    pub rtt_ms: Option<f64>,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub last_error: Option<String>,
}

/// Live health of each endpoint, as probed by the control plane's health monitor.
#[utoipa::path(get, path = "/api/v1/multi-cloud/routes/{id}/health", tag = "multi-cloud", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EndpointHealthView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn route_health(
    State(st): State<AppState>,
    _: AuthUser,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<EndpointHealthView>>> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let table = route_tables::get_route_table(&st.db, id).await?;
    Ok(Json(health_view(&st, &table).await?))
}

/// Each endpoint's live health, in the table's order.
async fn health_view(st: &AppState, table: &RouteTable) -> ApiResult<Vec<EndpointHealthView>> {
    let health = route_tables::health_for_table(&st.db, table.id).await?;
    let out = table
        .spec
        .routes
        .iter()
        .filter_map(|r| {
            let h = health.iter().find(|h| h.endpoint == r.endpoint)?;
            Some(EndpointHealthView {
                endpoint: r.endpoint.clone(),
                provider: r.provider,
                region: r.region.clone(),
                is_active: r.is_active,
                is_healthy: h.is_healthy,
                last_check: h.last_check,
                rtt_ms: h.rtt_ms,
                consecutive_failures: h.consecutive_failures,
                consecutive_successes: h.consecutive_successes,
                last_error: h.last_error.clone(),
            })
        })
        .collect();
    Ok(out)
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
pub struct FailoverRequest {
    /// The endpoint to take out of rotation (default: the current primary).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `true`: only evaluate the algorithm with the endpoint removed. `false`: a live drill
    /// (the endpoint leaves the proxies' rotation for `duration_seconds`). Absent: a dry run;
    /// a live drill runs only when asked for.
    #[serde(default)]
    pub dry_run: Option<bool>,
    /// How long a live drill keeps the endpoint out (1-300 s, default 30).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 300)]
    pub duration_seconds: Option<u32>,
    /// Live drills only. `true` or absent: the response comes when the drill ends (its
    /// duration and a few seconds for the proxies' reports) and carries its result.
    /// `false`: 202 Accepted at once, with the drill's record; `Location` names
    /// `…/routes/{id}/drills/{drill_id}`, which follows it. Either way the drill runs to its
    /// end and records its result, also when the client stops waiting.
    #[serde(default)]
    pub wait: Option<bool>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailoverParams {
    /// The original MarchProxy client's form: simulate the failure of this endpoint (a dry
    /// run). Not together with a body naming `endpoint` or asking for a live drill.
    pub simulate_failure_endpoint: Option<String>,
}

/// A failover drill: take an endpoint out of rotation and see where traffic goes. Without a
/// body (or without `dry_run`) it is a simulation; `"dry_run": false` runs it live, and
/// with `"wait": false` answers 202 at once with the running drill's record.
#[utoipa::path(post, path = "/api/v1/multi-cloud/routes/{id}/test-failover", tag = "multi-cloud", params(("id" = i64, Path), FailoverParams), request_body = FailoverRequest,
    responses((status = 200, body = FailoverResult), (status = 202, body = FailoverDrill, headers(("location" = String, description = "the drill's record"))),
        (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn test_failover(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    AppQuery(q): AppQuery<FailoverParams>,
    body: axum::body::Bytes,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    st.require(MULTI_CLOUD_ROUTING)?;
    let no_body = body.iter().all(u8::is_ascii_whitespace);
    // The original client's `testFailover(id)`: neither a body nor the query. It asks where
    // traffic goes now, with nothing removed.
    let remove_nothing = no_body && q.simulate_failure_endpoint.is_none();
    let mut req: FailoverRequest =
        if no_body { FailoverRequest::default() } else { crate::api::extract::parse_json(&body)? };
    if let Some(ep) = q.simulate_failure_endpoint {
        if req.endpoint.is_some() || req.dry_run == Some(false) {
            return Err(ApiError::field(
                &["query", "simulate_failure_endpoint"],
                "not together with a body naming `endpoint` or asking for a live drill",
            ));
        }
        req.endpoint = Some(ep);
        req.dry_run = Some(true);
    }
    let dry_run = req.dry_run.unwrap_or(true);
    if let Some(d) = req.duration_seconds
        && !(1..=300).contains(&d)
    {
        return Err(ApiError::field(&["body", "duration_seconds"], "must be between 1 and 300"));
    }
    let table = route_tables::get_route_table(&st.db, id).await?;
    let health = route_tables::health_for_table(&st.db, id).await?;
    let primary = preferred_endpoint(&table.spec, &health, None).map(|i| table.spec.routes[i].endpoint.clone());
    if remove_nothing {
        let message = match &primary {
            Some(p) => format!("the {} algorithm sends traffic to {p}", table.spec.algorithm.as_str()),
            None => "no healthy active endpoint: requests would fail with 503".to_string(),
        };
        return Ok(Json(FailoverResult::predicted(&table, &health, None, primary, message)).into_response());
    }
    let removed = match req.endpoint {
        Some(ep) => {
            let ep = ep.trim().to_string();
            if !table.spec.routes.iter().any(|r| r.endpoint == ep) {
                // Valid input naming something the stored table does not have: 409, as for
                // any reference to a missing object.
                return Err(ApiError::Reference(vec![FieldError {
                    loc: vec!["body".into(), "endpoint".into()],
                    msg: format!("`{ep}` is not an endpoint of route table {id}"),
                    kind: "value_error".into(),
                }]));
            }
            ep
        }
        None => primary
            .clone()
            .ok_or_else(|| ApiError::Conflict("route table has no healthy active endpoint to fail over from".into()))?,
    };
    let target = if table.spec.enable_auto_failover {
        preferred_endpoint(&table.spec, &health, Some(&removed)).map(|i| table.spec.routes[i].endpoint.clone())
    } else {
        None
    };
    if dry_run {
        let message = match (&target, table.spec.enable_auto_failover) {
            (_, false) => "enable_auto_failover is false: traffic would not be moved automatically".to_string(),
            (Some(t), true) => format!(
                "with {removed} out of rotation, the {} algorithm would send traffic to {t}",
                table.spec.algorithm.as_str()
            ),
            (None, true) => format!(
                "with {removed} out of rotation no healthy active endpoint remains: requests would fail with 503"
            ),
        };
        return Ok(Json(FailoverResult::predicted(&table, &health, Some(&removed), target, message)).into_response());
    }
    let started =
        crate::drill::start_live(&st, table, health, removed, target, req.duration_seconds.unwrap_or(30)).await?;
    if req.wait == Some(false) {
        let location = format!("/api/v1/multi-cloud/routes/{id}/drills/{}", started.drill.id);
        return Ok(
            (StatusCode::ACCEPTED, [(axum::http::header::LOCATION, location)], Json(started.drill)).into_response()
        );
    }
    let result = started.done.await.map_err(|e| ApiError::Internal(anyhow::anyhow!("failover drill task: {e}")))??;
    Ok(Json(result).into_response())
}

/// A route table's live failover drills, newest first (`X-Total-Count` has how many).
#[utoipa::path(get, path = "/api/v1/multi-cloud/routes/{id}/drills", tag = "multi-cloud",
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Vec<FailoverDrill>), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn list_drills(
    State(st): State<AppState>,
    _: AuthUser,
    PathId(id): PathId,
    AppQuery(page): AppQuery<PageParams>,
) -> ApiResult<(HeaderMap, Json<Vec<FailoverDrill>>)> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let (skip, limit) = page.checked()?;
    let (stored, total) = route_tables::list_drills(&st.db, id, skip, limit).await?;
    let now = crate::db::now_ms();
    let drills = stored.into_iter().map(|d| FailoverDrill::from_stored(d, now)).collect::<Result<_, _>>()?;
    Ok((total_header(total), Json(drills)))
}

/// A live failover drill's record: running until its endpoint is back in rotation and its
/// traffic reports are read, then finished (with its result) or failed (with the reason).
#[utoipa::path(get, path = "/api/v1/multi-cloud/routes/{id}/drills/{drill_id}", tag = "multi-cloud",
    params(("id" = i64, Path), ("drill_id" = i64, Path)),
    responses((status = 200, body = FailoverDrill), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn get_drill(
    State(st): State<AppState>,
    _: AuthUser,
    PathIds(id, drill_id): PathIds,
) -> ApiResult<Json<FailoverDrill>> {
    st.require(MULTI_CLOUD_ROUTING)?;
    let stored = route_tables::get_drill(&st.db, id, drill_id).await?;
    Ok(Json(FailoverDrill::from_stored(stored, crate::db::now_ms())?))
}
