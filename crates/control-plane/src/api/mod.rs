//! The HTTP API: one router per resource, assembled here with the OpenAPI document
//! (generated from the handlers' annotations, so it cannot drift) and the docs page.

pub mod auth;
pub mod core;
pub mod error;
pub mod extract;
pub mod multi_cloud;
pub mod observability;
pub mod proxy_api;
pub mod receiver;
pub mod traffic_shaping;

use axum::Router;
use axum::http::{StatusCode, Uri};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::api::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "MarchProxy API", description = "Control plane of MarchProxy: clusters, services, traffic shaping, multi-cloud routing and distributed tracing."),
    modifiers(&BearerAuth),
    tags(
        (name = "auth"), (name = "clusters"), (name = "services"), (name = "proxies"), (name = "license"),
        (name = "traffic-shaping", description = "Enterprise: QoS policies"),
        (name = "multi-cloud", description = "Enterprise: multi-cloud routing"),
        (name = "observability", description = "Enterprise: distributed tracing"),
        (name = "operations")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The API router and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(core::router())
        .merge(core::public_router())
        .merge(traffic_shaping::router())
        .merge(multi_cloud::router())
        .merge(observability::router())
        .merge(receiver::router())
        .merge(proxy_api::router())
        .split_for_parts()
}

/// 404 for unknown `/api` paths, in our error shape.
pub async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no API route for {}", uri.path()))
}

/// 405 in our error shape.
pub async fn method_not_allowed() -> (StatusCode, axum::Json<serde_json::Value>) {
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(serde_json::json!({"detail": "Method Not Allowed"})))
}
