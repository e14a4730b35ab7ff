use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::if_match;
use crate::error::{AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::extract::ApiPath;
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::orders::access::Viewer;
use crate::orders::input::ItemInput;
use crate::orders::service::items::{self, ItemPatch};
use crate::orders::view::ItemView;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, add_item))
        .routes(routes!(patch_item, delete_item))
}

/// The order's items.
#[utoipa::path(get, path = "/api/v1/orders/{id}/items", tag = "orders", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ItemView>), (status = 404, body = ErrorBody)))]
async fn list_items(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<Vec<ItemView>>> {
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(items::list(&state, &viewer, id).await?))
}

/// Adds an item; the total is recomputed and, if the order holds stock, the item's stock too.
#[utoipa::path(post, path = "/api/v1/orders/{id}/items", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The order version you read")),
    request_body = ItemInput,
    responses((status = 201, body = ItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_item(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::WorkOrders as u8 }>,
    ctx: RequestContext,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ItemInput>,
) -> AppResult<(StatusCode, ApiJson<ItemView>)> {
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(items::add(&state, &viewer, id, input, if_match(&headers)?, &ctx).await?),
    ))
}

/// Changes an item's quantity, price or description.
#[utoipa::path(patch, path = "/api/v1/orders/{id}/items/{itemId}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("itemId" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The order version you read")),
    request_body = ItemPatch,
    responses((status = 200, body = ItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_item(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::WorkOrders as u8 }>,
    ctx: RequestContext,
    headers: HeaderMap,
    ApiPath((id, item_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(patch): ApiJson<ItemPatch>,
) -> AppResult<ApiJson<ItemView>> {
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(
        items::patch(
            &state,
            &viewer,
            id,
            item_id,
            patch,
            if_match(&headers)?,
            &ctx,
        )
        .await?,
    ))
}

/// Removes an item that has not shipped.
#[utoipa::path(delete, path = "/api/v1/orders/{id}/items/{itemId}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("itemId" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The order version you read")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn delete_item(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::WorkOrders as u8 }>,
    ctx: RequestContext,
    headers: HeaderMap,
    ApiPath((id, item_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    let viewer = Viewer::load(&state.db, &user).await?;
    items::remove(&state, &viewer, id, item_id, if_match(&headers)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
