//! `/api/v1/auth/*`: login, token refresh and the current user.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{AppJson, AuthUser};
use crate::auth::{DUMMY_HASH, TokenPair, verify_password};
use crate::state::AppState;
use crate::store::users::{self, User};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(refresh)).routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchange a user name and password for tokens.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, description = "bad credentials"), (status = 429, description = "locked out")))]
async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<Json<TokenPair>> {
    let username = req.username.trim();
    if username.is_empty() || username.len() > 100 {
        return Err(ApiError::field(&["body", "username"], "must be 1-100 characters"));
    }
    if req.password.len() > 1024 {
        return Err(ApiError::field(&["body", "password"], "must be at most 1024 characters"));
    }
    let policy = &st.login_policy;
    let ip_key = format!("ip:{}", peer.ip());
    let user_key = format!("user:{}|{}", username.to_ascii_lowercase(), peer.ip());
    for key in [&ip_key, &user_key] {
        if let Some(secs) = users::login_locked(&st.db, key).await? {
            return Err(ApiError::TooManyRequests {
                message: format!("too many failed logins; try again in {secs} s"),
                retry_after_secs: secs,
            });
        }
    }
    let found = users::user_by_name(&st.db, username).await?;
    let hash = found.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| DUMMY_HASH.to_string());
    let ok = verify_password(req.password, hash).await && found.is_some();
    let window = policy.window.as_millis() as i64;
    let lock = policy.lockout.as_millis() as i64;
    if !ok {
        users::login_failed(&st.db, &user_key, policy.max_failures_per_user, window, lock).await?;
        users::login_failed(&st.db, &ip_key, policy.max_failures_per_ip, window, lock).await?;
        // `?`: Debug escapes the client's text (a newline cannot start a forged log line).
        tracing::warn!(user = ?username, peer = %peer.ip(), "failed login");
        return Err(ApiError::Unauthorized("Incorrect username or password".into()));
    }
    users::login_succeeded(&st.db, &user_key).await?;
    let (user, _) = found.expect("checked above");
    Ok(Json(st.auth.issue(user.id, &user.username, user.role)))
}

/// Exchange a refresh token for new tokens.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401)))]
async fn refresh(State(st): State<AppState>, AppJson(req): AppJson<RefreshRequest>) -> ApiResult<Json<TokenPair>> {
    let claims = st.auth.verify_refresh(req.refresh_token.trim())?;
    let user = users::user_by_id(&st.db, claims.user_id())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Not authenticated".into()))?;
    Ok(Json(st.auth.issue(user.id, &user.username, user.role)))
}

/// The current user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = User), (status = 401)), security(("bearer" = [])))]
async fn me(State(st): State<AppState>, AuthUser(claims): AuthUser) -> ApiResult<Json<User>> {
    let user = users::user_by_id(&st.db, claims.user_id())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Not authenticated".into()))?;
    Ok(Json(user))
}
