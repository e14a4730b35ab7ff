use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::definition::Workflow;
use super::store;
use crate::error::{AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::extract::ApiPath;
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workflows, create_workflow))
        .routes(routes!(get_workflow))
}

/// The built-in and custom workflows.
#[utoipa::path(get, path = "/api/v1/workflows", tag = "workflows", security(("bearer" = [])),
    responses((status = 200, body = Vec<Workflow>)))]
async fn list_workflows(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewWorkflows as u8 }>,
) -> AppResult<ApiJson<Vec<Workflow>>> {
    Ok(ApiJson(store::list(state.db.conn()).await?))
}

#[utoipa::path(get, path = "/api/v1/workflows/{name}", tag = "workflows", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, body = Workflow), (status = 404, body = ErrorBody)))]
async fn get_workflow(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewWorkflows as u8 }>,
    ApiPath(name): ApiPath<String>,
) -> AppResult<ApiJson<Workflow>> {
    let workflow = store::get(state.db.conn(), &name).await?;
    Ok(ApiJson(std::sync::Arc::unwrap_or_clone(workflow)))
}

/// Adds a workflow from a definition; it is validated (known states, every state reachable,
/// one transition per pair of states) and usable at once on every instance.
#[utoipa::path(post, path = "/api/v1/workflows", tag = "workflows", security(("bearer" = [])), request_body = Workflow,
    responses((status = 201, body = Workflow), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_workflow(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageWorkflows as u8 }>,
    ctx: RequestContext,
    ApiJson(workflow): ApiJson<Workflow>,
) -> AppResult<(StatusCode, ApiJson<Workflow>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(store::create(&state, &user, workflow, &ctx).await?),
    ))
}
