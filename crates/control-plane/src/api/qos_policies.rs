//! `/api/v1/traffic-shaping/*`: QoS policies and their shaping statistics (feature
//! `traffic_shaping`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use marchproxy_license::TRAFFIC_SHAPING;
use marchproxy_model::qos::{QosPolicy, QosPolicySpec};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ApiResult;
use crate::api::extract::{Admin, AppJson, AppQuery, AuthUser, ListParams, PathId, Update, total_header};
use crate::state::AppState;
use crate::store::qos_policies;
use crate::store::stats::{self, QosStats};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(get_policy, update_policy, patch_policy, delete_policy))
        .routes(routes!(enable_policy))
        .routes(routes!(disable_policy))
        .routes(routes!(policy_stats))
}

#[utoipa::path(get, path = "/api/v1/traffic-shaping/policies", tag = "traffic-shaping", params(ListParams),
    responses((status = 200, body = Vec<QosPolicy>), (status = 403, description = "Enterprise license required")), security(("bearer" = [])))]
async fn list_policies(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<QosPolicy>>)> {
    st.require(TRAFFIC_SHAPING)?;
    let (items, total) = qos_policies::list_qos(&st.db, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

#[utoipa::path(post, path = "/api/v1/traffic-shaping/policies", tag = "traffic-shaping", request_body = QosPolicySpec,
    responses((status = 201, body = QosPolicy), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn create_policy(
    State(st): State<AppState>,
    _: Admin,
    AppJson(spec): AppJson<QosPolicySpec>,
) -> ApiResult<(StatusCode, Json<QosPolicy>)> {
    st.require(TRAFFIC_SHAPING)?;
    spec.validate()?;
    let p = qos_policies::create_qos(&st.db, &spec).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/traffic-shaping/policies/{id}", tag = "traffic-shaping", params(("id" = i64, Path)),
    responses((status = 200, body = QosPolicy), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_policy(State(st): State<AppState>, _: AuthUser, PathId(id): PathId) -> ApiResult<Json<QosPolicy>> {
    st.require(TRAFFIC_SHAPING)?;
    Ok(Json(qos_policies::get_qos(&st.db, id).await?))
}

/// Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
/// it, a partial one changes only the fields it names.
#[utoipa::path(put, path = "/api/v1/traffic-shaping/policies/{id}", tag = "traffic-shaping", params(("id" = i64, Path)), request_body = QosPolicySpec,
    responses((status = 200, body = QosPolicy), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn update_policy(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<QosPolicy>> {
    update_policy_merged(&st, id, &body, Update::Replace).await
}

/// A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
/// merge field by field, `null` clears an optional field.
#[utoipa::path(patch, path = "/api/v1/traffic-shaping/policies/{id}", tag = "traffic-shaping", params(("id" = i64, Path)), request_body = QosPolicySpec,
    responses((status = 200, body = QosPolicy), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn patch_policy(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<QosPolicy>> {
    update_policy_merged(&st, id, &body, Update::Merge).await
}

async fn update_policy_merged(st: &AppState, id: i64, body: &[u8], how: Update) -> ApiResult<Json<QosPolicy>> {
    st.require(TRAFFIC_SHAPING)?;
    let current = qos_policies::get_qos(&st.db, id).await?;
    let spec: QosPolicySpec =
        crate::api::extract::merge_patch(&current.spec, body, &[("bandwidth_config", "bandwidth")], how)?;
    spec.validate()?;
    Ok(Json(qos_policies::update_qos(&st.db, id, &spec).await?))
}

#[utoipa::path(delete, path = "/api/v1/traffic-shaping/policies/{id}", tag = "traffic-shaping", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_policy(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    // No license check: cleaning up (delete, disable) stays allowed after a license lapses.
    qos_policies::delete_qos(&st.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/traffic-shaping/policies/{id}/enable", tag = "traffic-shaping", params(("id" = i64, Path)),
    responses((status = 200, body = QosPolicy), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn enable_policy(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<QosPolicy>> {
    st.require(TRAFFIC_SHAPING)?;
    let p = qos_policies::set_qos_enabled(&st.db, id, true).await?;
    Ok(Json(p))
}

#[utoipa::path(post, path = "/api/v1/traffic-shaping/policies/{id}/disable", tag = "traffic-shaping", params(("id" = i64, Path)),
    responses((status = 200, body = QosPolicy), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn disable_policy(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<QosPolicy>> {
    // No license check: cleaning up (delete, disable) stays allowed after a license lapses.
    let p = qos_policies::set_qos_enabled(&st.db, id, false).await?;
    Ok(Json(p))
}

/// Shaping statistics reported by the cluster's proxies.
#[utoipa::path(get, path = "/api/v1/traffic-shaping/policies/{id}/stats", tag = "traffic-shaping", params(("id" = i64, Path)),
    responses((status = 200, body = QosStats), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn policy_stats(State(st): State<AppState>, _: AuthUser, PathId(id): PathId) -> ApiResult<Json<QosStats>> {
    st.require(TRAFFIC_SHAPING)?;
    qos_policies::get_qos(&st.db, id).await?;
    Ok(Json(stats::qos_stats(&st.db, id).await?))
}
