//! `/api/v1/auth/*`: login, token refresh, logout, the current user and their password.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{AppJson, AuthUser};
use crate::auth::{self, DUMMY_HASH, TokenPair, hash_password, verify_password};
use crate::state::AppState;
use crate::store::users::{self, User, UserChange};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub username: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct LogoutRequest {
    /// The session's refresh token, revoked with the access token that calls.
    pub refresh_token: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct ChangePassword {
    #[schema(max_length = 1024)]
    pub current_password: String,
    /// 8-1024 characters, not the user name; in release mode at least 12 characters with
    /// three of lower case, upper case, digits and symbols, and not a well-known default.
    #[schema(min_length = 8, max_length = 1024)]
    pub new_password: String,
}

/// The client address the lockout counts against: the peer, or behind a trusted proxy
/// (`MARCHPROXY_TRUSTED_PROXIES`) the address its `X-Forwarded-For` names.
fn client_ip(st: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    // Every X-Forwarded-For line, in order: a proxy may append its own line after the
    // client's rather than extend it, and the right-most hops are the trustworthy ones.
    let lines: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let xff = (!lines.is_empty()).then(|| lines.join(","));
    auth::client_ip(peer.ip(), xff.as_deref(), &st.config.trusted_proxies.0)
}

/// Exchange a user name and password for tokens.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, description = "bad credentials"), (status = 429, description = "locked out")))]
async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<Json<TokenPair>> {
    let username = req.username.trim();
    if username.is_empty() || req.username.chars().count() > 100 {
        return Err(ApiError::field(&["body", "username"], "must be 1-100 characters"));
    }
    if req.password.chars().count() > 1024 {
        return Err(ApiError::field(&["body", "password"], "must be at most 1024 characters"));
    }
    let policy = &st.login_policy;
    let ip = client_ip(&st, peer, &headers);
    let ip_key = format!("ip:{ip}");
    let user_key = format!("user:{}|{ip}", username.to_ascii_lowercase());
    let window = policy.window.as_millis() as i64;
    let lock = policy.lockout.as_millis() as i64;
    // Every attempt is counted before the password is checked (atomically), so parallel
    // guesses cannot slip past the lockout; a success takes its attempt back.
    for (key, max) in [(&ip_key, policy.max_failures_per_ip), (&user_key, policy.max_failures_per_user)] {
        if let Err(secs) = users::login_attempt(&st.db, key, max, window, lock).await? {
            // `?`: Debug escapes the client's text (a newline cannot start a forged log line).
            tracing::warn!(user = ?username, client = %ip, "login refused: locked out");
            return Err(ApiError::TooManyRequests {
                message: format!("too many failed logins; try again in {secs} s"),
                retry_after_secs: secs,
            });
        }
    }
    let found = users::user_by_name(&st.db, username).await?;
    let hash = found.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| DUMMY_HASH.to_string());
    let ok = verify_password(req.password, hash).await && found.is_some();
    if !ok {
        tracing::warn!(user = ?username, client = %ip, "failed login");
        return Err(ApiError::Unauthorized("Incorrect username or password".into()));
    }
    users::login_succeeded(&st.db, &user_key).await?;
    users::login_forgive(&st.db, &ip_key).await?;
    let (user, _) = found.expect("checked above");
    Ok(Json(st.auth.issue(user.id, &user.username, user.role, user.token_version)))
}

/// Exchange a refresh token for new tokens. A refresh token works once: the new pair
/// replaces it.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401)))]
async fn refresh(State(st): State<AppState>, AppJson(req): AppJson<RefreshRequest>) -> ApiResult<Json<TokenPair>> {
    let unauthorized = || ApiError::Unauthorized("Not authenticated".into());
    let claims = st.auth.verify_refresh(req.refresh_token.trim())?;
    let user = users::session(&st.db, claims.user_id(), claims.ver, &claims.jti).await?.ok_or_else(unauthorized)?;
    if !users::spend_token(&st.db, &claims.jti, claims.exp as i64 * 1000).await? {
        return Err(unauthorized());
    }
    Ok(Json(st.auth.issue(user.id, &user.username, user.role, user.token_version)))
}

/// Sign out: revoke the calling access token and, when given, the session's refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = LogoutRequest,
    responses((status = 204), (status = 401)), security(("bearer" = [])))]
async fn logout(
    State(st): State<AppState>,
    AuthUser(claims): AuthUser,
    AppJson(req): AppJson<LogoutRequest>,
) -> ApiResult<StatusCode> {
    users::revoke_token(&st.db, &claims.jti, claims.exp as i64 * 1000).await?;
    // Someone else's refresh token, or garbage, is not ours to revoke: ignored.
    if let Some(r) = req.refresh_token.as_deref().and_then(|t| st.auth.verify_refresh(t.trim()).ok())
        && r.user_id() == claims.user_id()
    {
        users::revoke_token(&st.db, &r.jti, r.exp as i64 * 1000).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The current user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = User), (status = 401)), security(("bearer" = [])))]
async fn me(State(st): State<AppState>, AuthUser(claims): AuthUser) -> ApiResult<Json<User>> {
    let user = users::user_by_id(&st.db, claims.user_id())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Not authenticated".into()))?;
    Ok(Json(user))
}

/// Change your own password. Every token issued before (other browsers, other sessions)
/// stops working; the answer carries this session's new tokens.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePassword,
    responses((status = 200, body = TokenPair), (status = 401), (status = 422, description = "wrong current password, or a new password the policy refuses"),
        (status = 429, description = "too many wrong current passwords")),
    security(("bearer" = [])))]
async fn change_password(
    State(st): State<AppState>,
    AuthUser(claims): AuthUser,
    AppJson(req): AppJson<ChangePassword>,
) -> ApiResult<Json<TokenPair>> {
    let (user, hash) = users::user_by_name(&st.db, &claims.name)
        .await?
        .filter(|(u, _)| u.id == claims.user_id())
        .ok_or_else(|| ApiError::Unauthorized("Not authenticated".into()))?;
    // Guesses at the current password count like failed logins (a stolen access token must
    // not become a way to brute-force the password behind it).
    let policy = &st.login_policy;
    let key = format!("password:{}", user.id);
    let (window, lock) = (policy.window.as_millis() as i64, policy.lockout.as_millis() as i64);
    if let Err(secs) = users::login_attempt(&st.db, &key, policy.max_failures_per_user, window, lock).await? {
        return Err(ApiError::TooManyRequests {
            message: format!("too many wrong current passwords; try again in {secs} s"),
            retry_after_secs: secs,
        });
    }
    if req.current_password.len() > 1024 || !verify_password(req.current_password, hash).await {
        return Err(ApiError::field(&["body", "current_password"], "is not your current password"));
    }
    users::login_succeeded(&st.db, &key).await?;
    if let Some(problem) = auth::password_problem(&req.new_password, &user.username, st.config.release_mode) {
        return Err(ApiError::field(&["body", "new_password"], problem));
    }
    let hash = hash_password(req.new_password).await?;
    let user = users::update_user(&st.db, user.id, &UserChange { role: None, password_hash: Some(&hash) }).await?;
    tracing::info!(user = user.id, "password changed; earlier tokens revoked");
    Ok(Json(st.auth.issue(user.id, &user.username, user.role, user.token_version)))
}
