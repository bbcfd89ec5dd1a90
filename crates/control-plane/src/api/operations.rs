//! `/healthz`, `/readyz` and `/metrics`: liveness, readiness and Prometheus metrics (no token).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Public routes (no token).
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
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

/// Readiness: the database answers, and the server is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(st): State<AppState>) -> Result<Json<Health>, (StatusCode, Json<Health>)> {
    let db = Some(st.db.kind.as_str().to_string());
    if st.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return Err((StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "draining".into(), database: db })));
    }
    if st.db.ping().await {
        Ok(Json(Health { status: "ready".into(), database: db }))
    } else {
        Err((StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "database unavailable".into(), database: db })))
    }
}

/// Prometheus metrics (text exposition format 0.0.4): API requests by route, status and
/// latency; the database pool; long-polls; configuration versions; probe results; license
/// state; span ingest.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)))]
async fn metrics(State(st): State<AppState>) -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::api::metrics::render(&st).await)
}
