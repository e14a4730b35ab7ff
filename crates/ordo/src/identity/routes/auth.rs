use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{AppResult, ErrorBody};
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::http::json::ApiJson;
use crate::identity::service::register::{self, RegisterRequest};
use crate::identity::service::{login, password_reset, profile, sessions};
use crate::identity::view::{TokenResponse, UserView};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_account))
        .routes(routes!(log_in))
        .routes(routes!(refresh))
        .routes(routes!(log_out))
        .routes(routes!(me))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
}

/// Creates a customer account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn register_account(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> AppResult<(StatusCode, ApiJson<UserView>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(register::register(&state, req, &ctx).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Signs in with e-mail and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 400, body = ErrorBody),
        (status = 401, description = "Wrong e-mail or password (one message for both)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody)))]
async fn log_in(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<ApiJson<TokenResponse>> {
    Ok(ApiJson(
        login::login(&state, &req.email, req.password, &ctx).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new token pair. A spent token ends the whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn refresh(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> AppResult<ApiJson<TokenResponse>> {
    Ok(ApiJson(
        sessions::refresh(&state, &req.refresh_token, &ctx).await?,
    ))
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn log_out(
    State(state): State<AppState>,
    user: AuthUser,
    ctx: RequestContext,
) -> AppResult<StatusCode> {
    sessions::logout(&state, user.id, user.session_id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(profile::get(&state, user.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotPasswordRequest {
    #[schema(format = "email", max_length = 320)]
    pub email: String,
}

/// Mails a password reset link if the account exists; answers 202 either way.
#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth", request_body = ForgotPasswordRequest,
    responses((status = 202), (status = 400, body = ErrorBody)))]
async fn forgot_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<ForgotPasswordRequest>,
) -> AppResult<StatusCode> {
    password_reset::request_reset(&state, &req.email, &ctx).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    pub token: String,
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password: String,
}

/// Sets a new password with a reset token and ends every session of the account.
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth", request_body = ResetPasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<ResetPasswordRequest>,
) -> AppResult<StatusCode> {
    password_reset::reset(&state, &req.token, req.password, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
