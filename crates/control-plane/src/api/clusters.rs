//! `/api/v1/clusters`: clusters and their proxies' API key.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use marchproxy_model::cluster::{Cluster, ClusterSpec};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ApiResult;
use crate::api::extract::{Admin, AppJson, AppQuery, AuthUser, ListParams, PathId, total_header};
use crate::state::AppState;
use crate::store::clusters;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clusters, create_cluster))
        .routes(routes!(get_cluster, update_cluster, delete_cluster))
        .routes(routes!(rotate_key))
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
    let (items, total) = clusters::list_clusters(&st.db, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

#[utoipa::path(post, path = "/api/v1/clusters", tag = "clusters", request_body = ClusterSpec, responses((status = 201, body = ClusterCreated), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_cluster(
    State(st): State<AppState>,
    _: Admin,
    AppJson(spec): AppJson<ClusterSpec>,
) -> ApiResult<(StatusCode, Json<ClusterCreated>)> {
    spec.validate()?;
    let (cluster, api_key) = clusters::create_cluster(&st.db, &spec).await?;
    Ok((StatusCode::CREATED, Json(ClusterCreated { cluster, api_key })))
}

#[utoipa::path(get, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = i64, Path)), responses((status = 200, body = Cluster), (status = 404)), security(("bearer" = [])))]
async fn get_cluster(State(st): State<AppState>, _: AuthUser, PathId(id): PathId) -> ApiResult<Json<Cluster>> {
    Ok(Json(clusters::get_cluster(&st.db, id).await?))
}

#[utoipa::path(put, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = i64, Path)), request_body = ClusterSpec, responses((status = 200, body = Cluster), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_cluster(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    AppJson(spec): AppJson<ClusterSpec>,
) -> ApiResult<Json<Cluster>> {
    spec.validate()?;
    Ok(Json(clusters::update_cluster(&st.db, id, &spec).await?))
}

#[utoipa::path(delete, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_cluster(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    clusters::delete_cluster(&st.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a new proxy API key for the cluster (the old one stops working).
#[utoipa::path(post, path = "/api/v1/clusters/{id}/rotate-key", tag = "clusters", params(("id" = i64, Path)), responses((status = 200, body = ApiKey), (status = 404)), security(("bearer" = [])))]
async fn rotate_key(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<ApiKey>> {
    Ok(Json(ApiKey { api_key: clusters::rotate_cluster_key(&st.db, id).await? }))
}
