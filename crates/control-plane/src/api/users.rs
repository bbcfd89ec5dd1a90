//! `/api/v1/users`: user management (admin only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Admin, AppJson, PathId};
use crate::auth::{Role, hash_password};
use crate::state::AppState;
use crate::store::users::{self, User};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, create_user)).routes(routes!(delete_user))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    pub username: String,
    pub password: String,
    pub role: Role,
}

/// Users (admin only).
#[utoipa::path(get, path = "/api/v1/users", tag = "auth", responses((status = 200, body = Vec<User>)), security(("bearer" = [])))]
async fn list_users(State(st): State<AppState>, _: Admin) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(users::list_users(&st.db).await?))
}

/// Create a user (admin only).
#[utoipa::path(post, path = "/api/v1/users", tag = "auth", request_body = CreateUser, responses((status = 201, body = User), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_user(
    State(st): State<AppState>,
    _: Admin,
    AppJson(req): AppJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let username = req.username.trim();
    if username.is_empty()
        || username.len() > 100
        || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(ApiError::field(&["body", "username"], "must be 1-100 characters of letters, digits and . _ - @"));
    }
    if req.password.chars().count() < 8 || req.password.len() > 1024 {
        return Err(ApiError::field(&["body", "password"], "must be 8-1024 characters"));
    }
    let hash = hash_password(req.password).await?;
    Ok((StatusCode::CREATED, Json(users::create_user(&st.db, username, &hash, req.role).await?)))
}

/// Delete a user (admin only; not yourself).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "auth", params(("id" = i64, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
async fn delete_user(State(st): State<AppState>, Admin(claims): Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    if claims.user_id() == id {
        return Err(ApiError::Conflict("you cannot delete your own account".into()));
    }
    users::delete_user(&st.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
