use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::error::{AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, PageQuery};
use crate::identity::permissions::Permission;
use crate::identity::role::Role;
use crate::identity::service::admin::{self, CreateUserRequest, UpdateUserRequest, UserFilter};
use crate::identity::view::UserView;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(set_role))
        .routes(routes!(deactivate))
        .routes(routes!(activate))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Matches e-mail, names, username and department.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Lists user accounts.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, body = Page<UserView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewUsers as u8 }>,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> AppResult<ApiJson<Page<UserView>>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    }
    .validate()?;
    let filter = UserFilter {
        search: q.search,
        role: q.role,
        active: q.active,
    };
    Ok(ApiJson(admin::list(&state, filter, page).await?))
}

/// Creates a user account with any role.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), request_body = CreateUserRequest,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageUsers as u8 }>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> AppResult<(StatusCode, ApiJson<UserView>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(admin::create(&state, &user, req, &ctx).await?),
    ))
}

/// One user account.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewUsers as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(admin::get(&state, id).await?))
}

/// Edits a user's e-mail and profile fields.
#[utoipa::path(put, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageUsers as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateUserRequest>,
) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(admin::update(&state, &user, id, req, &ctx).await?))
}

/// Deletes a user: personal data erased, sessions ended, audit trail kept.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "Last active admin", body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageUsers as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    admin::delete(&state, &user, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleRequest {
    pub role: Role,
}

/// Changes a user's role.
#[utoipa::path(put, path = "/api/v1/admin/users/{id}/role", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RoleRequest,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Last active admin", body = ErrorBody)))]
async fn set_role(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageUsers as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RoleRequest>,
) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(
        admin::set_role(&state, &user, id, req.role, &ctx).await?,
    ))
}

/// Deactivates a user; its sessions end at once.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/deactivate", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Last active admin", body = ErrorBody)))]
async fn deactivate(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageUsers as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(
        admin::set_active(&state, &user, id, false, &ctx).await?,
    ))
}

/// Reactivates a user.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/activate", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn activate(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageUsers as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(
        admin::set_active(&state, &user, id, true, &ctx).await?,
    ))
}
