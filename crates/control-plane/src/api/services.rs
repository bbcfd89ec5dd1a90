//! `/api/v1/services`: what a cluster's proxies answer for.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use marchproxy_model::service::{Service, ServiceSpec};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ApiResult;
use crate::api::extract::{Admin, AppJson, AppQuery, AuthUser, ListParams, PathId, Update, total_header};
use crate::state::AppState;
use crate::store::services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_services, create_service)).routes(routes!(
        get_service,
        update_service,
        patch_service,
        delete_service
    ))
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ListParams), responses((status = 200, body = Vec<Service>)), security(("bearer" = [])))]
async fn list_services(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<Service>>)> {
    let (items, total) = services::list_services(&st.db, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceSpec, responses((status = 201, body = Service), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_service(
    State(st): State<AppState>,
    _: Admin,
    AppJson(spec): AppJson<ServiceSpec>,
) -> ApiResult<(StatusCode, Json<Service>)> {
    spec.validate()?;
    let s = services::create_service(&st.db, &spec).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)), responses((status = 200, body = Service), (status = 404)), security(("bearer" = [])))]
async fn get_service(State(st): State<AppState>, _: AuthUser, PathId(id): PathId) -> ApiResult<Json<Service>> {
    Ok(Json(services::get_service(&st.db, id).await?))
}

/// Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
/// it, a partial one changes only the fields it names.
#[utoipa::path(put, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)), request_body = ServiceSpec,
    responses((status = 200, body = Service), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn update_service(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<Service>> {
    update_service_merged(&st, id, &body, Update::Replace).await
}

/// A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
/// merge field by field, `null` clears an optional field.
#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)), request_body = ServiceSpec,
    responses((status = 200, body = Service), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn patch_service(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<Service>> {
    update_service_merged(&st, id, &body, Update::Merge).await
}

async fn update_service_merged(st: &AppState, id: i64, body: &[u8], how: Update) -> ApiResult<Json<Service>> {
    let current = services::get_service(&st.db, id).await?;
    let spec: ServiceSpec = crate::api::extract::merge_patch(&current.spec, body, &[], how)?;
    spec.validate()?;
    Ok(Json(services::update_service(&st.db, id, &spec).await?))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_service(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    services::delete_service(&st.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
