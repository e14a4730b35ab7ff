use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{AppResult, ErrorBody};
use crate::http::context::RequestContext;
use crate::http::json::ApiJson;
use crate::identity::service::register::{self, SetupRequest};
use crate::identity::view::UserView;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(setup_status, create_first_admin))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetupStatus {
    /// True while no admin exists and the setup token printed on the console can be used.
    pub setup_required: bool,
}

/// Whether the first admin still has to be created.
#[utoipa::path(get, path = "/api/v1/setup", tag = "setup", responses((status = 200, body = SetupStatus)))]
async fn setup_status(State(state): State<AppState>) -> ApiJson<SetupStatus> {
    let setup_required = state
        .setup_token_hash
        .lock()
        .expect("setup token lock")
        .is_some();
    ApiJson(SetupStatus { setup_required })
}

/// Creates the first admin with the one-time token printed on the server console.
#[utoipa::path(post, path = "/api/v1/setup", tag = "setup", request_body = SetupRequest,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody),
        (status = 409, description = "Already set up, or the e-mail is taken", body = ErrorBody)))]
async fn create_first_admin(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<SetupRequest>,
) -> AppResult<(StatusCode, ApiJson<UserView>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(register::setup(&state, req, &ctx).await?),
    ))
}
