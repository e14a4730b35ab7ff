use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::orders::access::Viewer;
use crate::orders::service::bulk::{self, BulkRequest, BulkResponse};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulk_action))
}

/// One action (`transition`, `assign`, `delete`, `set-priority`) on up to 500 orders, answered
/// per order. Each order is its own transaction unless `atomic` asks for all or nothing.
#[utoipa::path(post, path = "/api/v1/orders/bulk", tag = "orders", security(("bearer" = [])), request_body = BulkRequest,
    responses((status = 200, description = "What happened to each order", body = BulkResponse),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn bulk_action(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::WorkOrders as u8 }>,
    ctx: RequestContext,
    ApiJson(body): ApiJson<BulkRequest>,
) -> AppResult<ApiJson<BulkResponse>> {
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(bulk::run(&state, &viewer, body, &ctx).await?))
}
