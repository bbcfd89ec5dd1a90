//! `/api/v1/users`: user management (admin only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Admin, AppJson, PathId};
use crate::auth::{Role, hash_password, password_problem, username_problem};
use crate::state::AppState;
use crate::store::users::{self, User, UserChange};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, create_user)).routes(routes!(update_user, delete_user))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct CreateUser {
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,100}(?!\\n)$")]
    pub username: String,
    /// 8-1024 characters, not the user name; in release mode at least 12 characters with
    /// three of lower case, upper case, digits and symbols, and not a well-known default.
    #[schema(min_length = 8, max_length = 1024)]
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
    if let Some(problem) = username_problem(username) {
        return Err(ApiError::field(&["body", "username"], problem));
    }
    if let Some(problem) = password_problem(&req.password, username, st.config.release_mode) {
        return Err(ApiError::field(&["body", "password"], problem));
    }
    let hash = hash_password(req.password).await?;
    Ok((StatusCode::CREATED, Json(users::create_user(&st.db, username, &hash, req.role).await?)))
}

/// A change to a user: a new role, a new password (an admin's reset), or both. Omitted
/// fields stay as they are.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct UpdateUser {
    pub role: Option<Role>,
    /// A new password (the rules of `CreateUser.password`).
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
}

/// Change a user's role or reset their password (admin only). Either revokes the user's
/// tokens at once. The last admin cannot be demoted (409).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "auth", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 404), (status = 409, description = "the last admin"), (status = 422)), security(("bearer" = [])))]
async fn update_user(
    State(st): State<AppState>,
    Admin(claims): Admin,
    PathId(id): PathId,
    AppJson(req): AppJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    if req.role.is_none() && req.password.is_none() {
        return Err(ApiError::field(&["body"], "name a new `role` or `password`"));
    }
    let hash = match req.password {
        Some(p) => {
            let user = users::user_by_id(&st.db, id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))?;
            if let Some(problem) = password_problem(&p, &user.username, st.config.release_mode) {
                return Err(ApiError::field(&["body", "password"], problem));
            }
            Some(hash_password(p).await?)
        }
        None => None,
    };
    let user = users::update_user(&st.db, id, &UserChange { role: req.role, password_hash: hash.as_deref() }).await?;
    tracing::info!(user = id, by = claims.user_id(), role = user.role.as_str(), "user changed; their tokens revoked");
    Ok(Json(user))
}

/// Delete a user (admin only; not yourself, not the last admin).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "auth", params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409, description = "the last admin, or yourself")), security(("bearer" = [])))]
async fn delete_user(State(st): State<AppState>, Admin(claims): Admin, PathId(id): PathId) -> ApiResult<StatusCode> {
    if claims.user_id() == id {
        return Err(ApiError::Conflict("you cannot delete your own account".into()));
    }
    users::delete_user(&st.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
