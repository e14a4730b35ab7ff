use axum::extract::State;
use axum::response::Redirect;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::context::RequestContext;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::json::ApiJson;
use crate::identity::service::oauth::{self, Provider};
use crate::identity::view::TokenResponse;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(oauth_start))
        .routes(routes!(oauth_callback))
}

/// Redirects to the provider's sign-in page (`google` or `github`).
#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "`google` or `github`")),
    responses((status = 303, description = "Redirect to the provider"),
        (status = 404, description = "Provider unknown or not configured", body = ErrorBody)))]
async fn oauth_start(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
) -> AppResult<Redirect> {
    let provider = Provider::parse(&provider)?;
    Ok(Redirect::to(&oauth::start(&state, provider).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// Set by the provider when the user declined.
    pub error: Option<String>,
}

/// Where the provider sends the user back; answers the new session's tokens.
#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "`google` or `github`"), CallbackQuery),
    responses((status = 200, body = TokenResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn oauth_callback(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiPath(provider): ApiPath<String>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> AppResult<ApiJson<TokenResponse>> {
    let provider = Provider::parse(&provider)?;
    if let Some(error) = q.error {
        let message: String = error.chars().take(100).collect();
        return Err(AppError::BadRequest {
            code: "OAUTH_DENIED",
            message: format!("The provider reported: {message}"),
        });
    }
    let code = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::field("code", "is required"))?;
    let csrf = q
        .state
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::field("state", "is required"))?;
    Ok(ApiJson(
        oauth::callback(&state, provider, &code, &csrf, &ctx).await?,
    ))
}
