//! Clusters, services, proxies, the license status, and liveness/readiness.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use marchproxy_license::LicenseStatus;
use marchproxy_model::cluster::{Cluster, ClusterSpec, Proxy, Service, ServiceSpec};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ApiResult;
use crate::api::extract::{Admin, AppJson, AppQuery, AuthUser, ListParams, PathId};
use crate::state::AppState;
use crate::store::{clusters, proxies, services};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clusters, create_cluster))
        .routes(routes!(get_cluster, update_cluster, delete_cluster))
        .routes(routes!(rotate_key))
        .routes(routes!(list_services, create_service))
        .routes(routes!(get_service, update_service, delete_service))
        .routes(routes!(list_proxies))
        .routes(routes!(license_status))
        .routes(routes!(license_refresh))
}

/// Public routes (no token).
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// `X-Total-Count` for paginated lists.
pub fn total_header(total: i64) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-total-count", HeaderValue::from(total));
    h
}

#[derive(Serialize, ToSchema)]
pub struct ClusterCreated {
    #[serde(flatten)]
    pub cluster: Cluster,
    /// The proxies' API key for this cluster. Shown once; only its hash is stored.
    pub api_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKey {
    pub api_key: String,
}

#[utoipa::path(get, path = "/api/v1/clusters", tag = "clusters", params(ListParams), responses((status = 200, body = Vec<Cluster>)), security(("bearer" = [])))]
async fn list_clusters(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<Cluster>>)> {
    let (items, total) = clusters::list_clusters(&st.db.pool, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

#[utoipa::path(post, path = "/api/v1/clusters", tag = "clusters", request_body = ClusterSpec, responses((status = 201, body = ClusterCreated), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_cluster(
    State(st): State<AppState>,
    _: Admin,
    AppJson(spec): AppJson<ClusterSpec>,
) -> ApiResult<(StatusCode, Json<ClusterCreated>)> {
    spec.validate()?;
    let (cluster, api_key) = clusters::create_cluster(&st.db.pool, &spec).await?;
    Ok((StatusCode::CREATED, Json(ClusterCreated { cluster, api_key })))
}

#[utoipa::path(get, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = i64, Path)), responses((status = 200, body = Cluster), (status = 404)), security(("bearer" = [])))]
async fn get_cluster(State(st): State<AppState>, _: AuthUser, PathId(id): PathId) -> ApiResult<Json<Cluster>> {
    Ok(Json(clusters::get_cluster(&st.db.pool, id).await?))
}

#[utoipa::path(put, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = i64, Path)), request_body = ClusterSpec, responses((status = 200, body = Cluster), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_cluster(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    AppJson(spec): AppJson<ClusterSpec>,
) -> ApiResult<Json<Cluster>> {
    spec.validate()?;
    Ok(Json(clusters::update_cluster(&st.db.pool, id, &spec).await?))
}

#[utoipa::path(delete, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_cluster(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    clusters::delete_cluster(&st.db.pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a new proxy API key for the cluster (the old one stops working).
#[utoipa::path(post, path = "/api/v1/clusters/{id}/rotate-key", tag = "clusters", params(("id" = i64, Path)), responses((status = 200, body = ApiKey), (status = 404)), security(("bearer" = [])))]
async fn rotate_key(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<ApiKey>> {
    Ok(Json(ApiKey { api_key: clusters::rotate_cluster_key(&st.db.pool, id).await? }))
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ListParams), responses((status = 200, body = Vec<Service>)), security(("bearer" = [])))]
async fn list_services(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<Service>>)> {
    let (items, total) = services::list_services(&st.db.pool, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceSpec, responses((status = 201, body = Service), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_service(
    State(st): State<AppState>,
    _: Admin,
    AppJson(spec): AppJson<ServiceSpec>,
) -> ApiResult<(StatusCode, Json<Service>)> {
    spec.validate()?;
    let s = services::create_service(&st.db.pool, &spec).await?;
    st.events.changed();
    Ok((StatusCode::CREATED, Json(s)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)), responses((status = 200, body = Service), (status = 404)), security(("bearer" = [])))]
async fn get_service(State(st): State<AppState>, _: AuthUser, PathId(id): PathId) -> ApiResult<Json<Service>> {
    Ok(Json(services::get_service(&st.db.pool, id).await?))
}

#[utoipa::path(put, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)), request_body = ServiceSpec, responses((status = 200, body = Service), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn update_service(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    AppJson(spec): AppJson<ServiceSpec>,
) -> ApiResult<Json<Service>> {
    spec.validate()?;
    let s = services::update_service(&st.db.pool, id, &spec).await?;
    st.events.changed();
    Ok(Json(s))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_service(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    services::delete_service(&st.db.pool, id).await?;
    st.events.changed();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/proxies", tag = "proxies", params(ListParams), responses((status = 200, body = Vec<Proxy>)), security(("bearer" = [])))]
async fn list_proxies(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<Proxy>>)> {
    let (items, total) = proxies::list_proxies(&st.db.pool, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

/// Tier, features, limits, expiry and where the answer came from.
#[utoipa::path(get, path = "/api/v1/license/status", tag = "license", responses((status = 200, body = LicenseStatus)), security(("bearer" = [])))]
async fn license_status(State(st): State<AppState>, _: AuthUser) -> Json<LicenseStatus> {
    Json((*st.license.status()).clone())
}

/// Re-validate the license now.
#[utoipa::path(post, path = "/api/v1/license/refresh", tag = "license", responses((status = 200, body = LicenseStatus)), security(("bearer" = [])))]
async fn license_refresh(State(st): State<AppState>, _: Admin) -> Json<LicenseStatus> {
    Json((*st.license.refresh().await).clone())
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into(), database: None })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(st): State<AppState>) -> Result<Json<Health>, (StatusCode, Json<Health>)> {
    let db = Some(st.db.kind.as_str().to_string());
    if st.db.ping().await {
        Ok(Json(Health { status: "ready".into(), database: db }))
    } else {
        Err((StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "database unavailable".into(), database: db })))
    }
}
