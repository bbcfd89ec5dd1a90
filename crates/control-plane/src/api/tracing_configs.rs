//! `/api/v1/observability/tracing*`: tracing configs, their counters and test spans
//! (feature `distributed_tracing`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use marchproxy_license::DISTRIBUTED_TRACING;
use marchproxy_model::tracing_config::{TracingConfig, TracingConfigSpec};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ApiResult;
use crate::api::extract::{Admin, AppJson, AppQuery, AuthUser, ListParams, PathId, Update, total_header};
use crate::state::AppState;
use crate::store::stats::{self, TracingStats};
use crate::store::tracing_configs;
use crate::tracing_test::TestResult;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_configs, create_config))
        .routes(routes!(get_config, update_config, patch_config, delete_config))
        .routes(routes!(config_stats))
        .routes(routes!(enable_config))
        .routes(routes!(disable_config))
        .routes(routes!(test_config))
}

#[utoipa::path(get, path = "/api/v1/observability/tracing", tag = "observability", params(ListParams),
    responses((status = 200, body = Vec<TracingConfig>), (status = 403)), security(("bearer" = [])))]
async fn list_configs(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<TracingConfig>>)> {
    st.require(DISTRIBUTED_TRACING)?;
    let (items, total) = tracing_configs::list_tracing(&st.db, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}

#[utoipa::path(post, path = "/api/v1/observability/tracing", tag = "observability", request_body = TracingConfigSpec,
    responses((status = 201, body = TracingConfig), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn create_config(
    State(st): State<AppState>,
    _: Admin,
    AppJson(spec): AppJson<TracingConfigSpec>,
) -> ApiResult<(StatusCode, Json<TracingConfig>)> {
    st.require(DISTRIBUTED_TRACING)?;
    spec.validate()?;
    let c = tracing_configs::create_tracing(&st.db, &spec).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetConfigParams {
    /// Add `stats` (as `GET …/{id}/stats` answers). Default true, as in the original
    /// MarchProxy API.
    #[serde(default = "crate::api::extract::default_true")]
    #[param(default = true)]
    pub include_stats: bool,
}

/// A tracing config, with its stats unless asked not to (`include_stats=false`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TracingConfigView {
    #[serde(flatten)]
    pub config: TracingConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<TracingStats>,
}

#[utoipa::path(get, path = "/api/v1/observability/tracing/{id}", tag = "observability", params(("id" = i64, Path), GetConfigParams),
    responses((status = 200, body = TracingConfigView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_config(
    State(st): State<AppState>,
    _: AuthUser,
    PathId(id): PathId,
    AppQuery(q): AppQuery<GetConfigParams>,
) -> ApiResult<Json<TracingConfigView>> {
    st.require(DISTRIBUTED_TRACING)?;
    let config = tracing_configs::get_tracing(&st.db, id).await?;
    let stats = if q.include_stats { Some(stats::tracing_stats(&st.db, id).await?) } else { None };
    Ok(Json(TracingConfigView { config, stats }))
}

/// Update: a JSON merge patch onto the stored object (docs/API.md): a full object replaces
/// it, a partial one changes only the fields it names.
#[utoipa::path(put, path = "/api/v1/observability/tracing/{id}", tag = "observability", params(("id" = i64, Path)), request_body = TracingConfigSpec,
    responses((status = 200, body = TracingConfig), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn update_config(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<TracingConfig>> {
    update_config_merged(&st, id, &body, Update::Replace).await
}

/// A JSON merge patch (RFC 7396): fields sent replace the stored ones, nested objects
/// merge field by field, `null` clears an optional field.
#[utoipa::path(patch, path = "/api/v1/observability/tracing/{id}", tag = "observability", params(("id" = i64, Path)), request_body = TracingConfigSpec,
    responses((status = 200, body = TracingConfig), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn patch_config(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Json<TracingConfig>> {
    update_config_merged(&st, id, &body, Update::Merge).await
}

async fn update_config_merged(st: &AppState, id: i64, body: &[u8], how: Update) -> ApiResult<Json<TracingConfig>> {
    st.require(DISTRIBUTED_TRACING)?;
    let current = tracing_configs::get_tracing(&st.db, id).await?;
    let spec: TracingConfigSpec = crate::api::extract::merge_patch(&current.spec, body, &[], how)?;
    spec.validate()?;
    Ok(Json(tracing_configs::update_tracing(&st.db, id, &spec).await?))
}

#[utoipa::path(delete, path = "/api/v1/observability/tracing/{id}", tag = "observability", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_config(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    // No license check: cleaning up (delete, disable) stays allowed after a license lapses.
    tracing_configs::delete_tracing(&st.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/observability/tracing/{id}/enable", tag = "observability", params(("id" = i64, Path)),
    responses((status = 200, body = TracingConfig), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn enable_config(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<TracingConfig>> {
    st.require(DISTRIBUTED_TRACING)?;
    let c = tracing_configs::set_tracing_enabled(&st.db, id, true).await?;
    Ok(Json(c))
}

#[utoipa::path(post, path = "/api/v1/observability/tracing/{id}/disable", tag = "observability", params(("id" = i64, Path)),
    responses((status = 200, body = TracingConfig), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn disable_config(State(st): State<AppState>, _: Admin, PathId(id): PathId) -> ApiResult<Json<TracingConfig>> {
    // No license check: cleaning up (delete, disable) stays allowed after a license lapses.
    let c = tracing_configs::set_tracing_enabled(&st.db, id, false).await?;
    Ok(Json(c))
}

/// Counters reported by the cluster's proxies for this config.
#[utoipa::path(get, path = "/api/v1/observability/tracing/{id}/stats", tag = "observability", params(("id" = i64, Path)),
    responses((status = 200, body = TracingStats), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn config_stats(State(st): State<AppState>, _: AuthUser, PathId(id): PathId) -> ApiResult<Json<TracingStats>> {
    st.require(DISTRIBUTED_TRACING)?;
    tracing_configs::get_tracing(&st.db, id).await?;
    Ok(Json(stats::tracing_stats(&st.db, id).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TestParams {
    /// `false`: validate and open a connection to the endpoint without sending a span.
    pub send_test_span: Option<bool>,
}

/// Validate the config and send one real span through its backend and exporter (or, with
/// `send_test_span=false`, only connect to its endpoint).
#[utoipa::path(post, path = "/api/v1/observability/tracing/{id}/test", tag = "observability", params(("id" = i64, Path), TestParams),
    responses((status = 200, body = TestResult), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn test_config(
    State(st): State<AppState>,
    _: Admin,
    PathId(id): PathId,
    AppQuery(q): AppQuery<TestParams>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Json<TestResult>> {
    st.require(DISTRIBUTED_TRACING)?;
    let cfg = tracing_configs::get_tracing(&st.db, id).await?;
    // This control plane's own receiver requires a credential: a short-lived token that
    // opens only the receiver, sent only there.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).or_else(|| uri.authority().map(|a| a.as_str()));
    let authorization = crate::tracing_test::targets_self(&cfg.spec, st.config.listen, host).then(|| {
        format!("Bearer {}", st.auth.issue_ingest_token(cfg.spec.cluster_id, std::time::Duration::from_secs(60)))
    });
    let send_span = q.send_test_span.unwrap_or(true);
    Ok(Json(crate::tracing_test::run(id, &cfg.spec, &st.outbound, authorization.as_deref(), send_span).await))
}
