//! The HTTP API: one router per resource, assembled here with the OpenAPI document
//! (generated from the handlers' annotations, so it cannot drift) and the docs page.
//!
//! - [`auth`] (login, refresh, me), [`users`], [`clusters`], [`services`], [`proxies`],
//!   [`license`], [`operations`] (`/healthz`, `/readyz`);
//! - [`qos_policies`] (`/traffic-shaping`), [`route_tables`] (`/multi-cloud/routes`, health,
//!   failover drills), [`cost_analytics`], [`tracing_configs`] and [`spans`]
//!   (`/observability`), [`receiver`] (OTLP `/v1/traces`);
//! - [`proxy_api`]: the proxies' side (register, config long-poll, report);
//! - [`error`]: `ApiError`, the one error → status map (lower layers' errors convert into
//!   it); [`extract`]: JSON/query/path extractors with 422s naming the field, the auth
//!   extractors, list paging.
//!
//! Only this module knows HTTP (axum, status codes); everything it calls is plain Rust.

pub mod auth;
pub mod clusters;
pub mod cost_analytics;
pub mod error;
pub mod extract;
pub mod license;
pub mod metrics;
pub mod openapi;
pub mod operations;
pub mod proxies;
pub mod proxy_api;
pub mod qos_policies;
pub mod receiver;
pub mod route_tables;
pub mod services;
pub mod spans;
pub mod tracing_configs;
pub mod users;

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

/// The API router and utoipa's OpenAPI document (the published one, refined, is
/// [`openapi::document`]).
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(users::router())
        .merge(clusters::router())
        .merge(services::router())
        .merge(proxies::router())
        .merge(license::router())
        .merge(operations::public_router())
        .merge(qos_policies::router())
        .merge(route_tables::router())
        .merge(cost_analytics::router())
        .merge(tracing_configs::router())
        .merge(spans::router())
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
