//! `/api/v1/license/*`: the license's status, and re-validation on demand.

use axum::Json;
use axum::extract::State;
use marchproxy_license::LicenseStatus;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::{Admin, AuthUser};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(license_status)).routes(routes!(license_refresh))
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
