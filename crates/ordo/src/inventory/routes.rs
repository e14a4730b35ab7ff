use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::service::{self, MovementView, StockAdjustment, StockFilter, StockView};
use crate::error::{AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, PageQuery};
use crate::identity::permissions::Permission;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stock))
        .routes(routes!(get_stock, adjust_stock))
        .routes(routes!(list_movements))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Matches SKU and name.
    pub search: Option<String>,
    /// Only products at or below (true) or above (false) their reorder level.
    pub low_stock: Option<bool>,
}

/// Stock levels: on hand, reserved, available, and whether it is time to reorder.
#[utoipa::path(get, path = "/api/v1/inventory", tag = "inventory", security(("bearer" = [])), params(StockQuery),
    responses((status = 200, body = Page<StockView>), (status = 403, body = ErrorBody)))]
async fn list_stock(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewInventory as u8 }>,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> AppResult<ApiJson<Page<StockView>>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    }
    .validate()?;
    Ok(ApiJson(
        service::list(
            &state,
            StockFilter {
                search: q.search,
                low_stock: q.low_stock,
            },
            page,
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/inventory/{productId}", tag = "inventory", security(("bearer" = [])),
    params(("productId" = Uuid, Path)),
    responses((status = 200, body = StockView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_stock(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewInventory as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<StockView>> {
    Ok(ApiJson(service::get(&state, id).await?))
}

/// Receives stock or corrects it, with a reason; recorded in the ledger.
#[utoipa::path(patch, path = "/api/v1/inventory/{productId}", tag = "inventory", security(("bearer" = [])),
    params(("productId" = Uuid, Path)), request_body = StockAdjustment,
    responses((status = 200, body = StockView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Stock would fall below what is reserved", body = ErrorBody)))]
async fn adjust_stock(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::AdjustInventory as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<StockAdjustment>,
) -> AppResult<ApiJson<StockView>> {
    Ok(ApiJson(
        service::adjust(&state, &user, id, req, &ctx).await?,
    ))
}

/// The product's ledger, newest first.
#[utoipa::path(get, path = "/api/v1/inventory/{productId}/movements", tag = "inventory", security(("bearer" = [])),
    params(("productId" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<MovementView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_movements(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewInventory as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<ApiJson<Page<MovementView>>> {
    Ok(ApiJson(
        service::movements(&state, id, q.validate()?).await?,
    ))
}
