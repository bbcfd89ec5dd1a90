//! `/api/v1/proxies`: the registered proxies, as operators see them. (The proxies' own side
//! of the API, registration, the config long-poll and reports, is `proxy_api.rs`.)

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use marchproxy_model::proxy::Proxy;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ApiResult;
use crate::api::extract::{AppQuery, AuthUser, ListParams, total_header};
use crate::state::AppState;
use crate::store::proxies;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_proxies))
}

#[utoipa::path(get, path = "/api/v1/proxies", tag = "proxies", params(ListParams), responses((status = 200, body = Vec<Proxy>)), security(("bearer" = [])))]
async fn list_proxies(
    State(st): State<AppState>,
    _: AuthUser,
    AppQuery(p): AppQuery<ListParams>,
) -> ApiResult<(HeaderMap, Json<Vec<Proxy>>)> {
    let (items, total) = proxies::list_proxies(&st.db, &p.filter()?).await?;
    Ok((total_header(total), Json(items)))
}
