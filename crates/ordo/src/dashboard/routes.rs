use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::inventory::{self, InventoryDashboard};
use super::overview::{self, Overview};
use super::range::RangeQuery;
use super::sales::{self, Sales, SalesQuery};
use super::trends::{self, Trends};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::extract::ApiQuery;
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::orders::access::Viewer;
use crate::orders::entity::order;
use crate::orders::view::OrderSummary;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_overview))
        .routes(routes!(get_sales))
        .routes(routes!(get_inventory))
        .routes(routes!(get_trends))
        .routes(routes!(recent_orders))
}

/// Orders by status, workflow and priority, completion, processing time, overdue orders and the
/// latest activity, for the orders the caller may see.
#[utoipa::path(get, path = "/api/v1/dashboard/overview", tag = "dashboard", security(("bearer" = [])), params(RangeQuery),
    responses((status = 200, body = Overview), (status = 400, body = ErrorBody)))]
async fn get_overview(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ApiQuery(range): ApiQuery<RangeQuery>,
) -> AppResult<ApiJson<Overview>> {
    let range = range.resolve(chrono::Utc::now())?;
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(overview::overview(&state, &viewer, &range).await?))
}

/// Revenue and orders per day, week or month, average order value, top products and customers.
#[utoipa::path(get, path = "/api/v1/dashboard/sales", tag = "dashboard", security(("bearer" = [])), params(RangeQuery, SalesQuery),
    responses((status = 200, body = Sales), (status = 400, body = ErrorBody)))]
async fn get_sales(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ApiQuery(range): ApiQuery<RangeQuery>,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> AppResult<ApiJson<Sales>> {
    let range = range.resolve(chrono::Utc::now())?;
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(sales::sales(&state, &viewer, &range, &q).await?))
}

/// Stock value, low-stock products and stock movements per day.
#[utoipa::path(get, path = "/api/v1/dashboard/inventory", tag = "dashboard", security(("bearer" = [])), params(RangeQuery),
    responses((status = 200, body = InventoryDashboard), (status = 400, body = ErrorBody)))]
async fn get_inventory(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewInventory as u8 }>,
    ApiQuery(range): ApiQuery<RangeQuery>,
) -> AppResult<ApiJson<InventoryDashboard>> {
    let range = range.resolve(chrono::Utc::now())?;
    Ok(ApiJson(inventory::inventory(&state, &range).await?))
}

/// Orders created and completed per day.
#[utoipa::path(get, path = "/api/v1/dashboard/trends", tag = "dashboard", security(("bearer" = [])), params(RangeQuery),
    responses((status = 200, body = Trends), (status = 400, body = ErrorBody)))]
async fn get_trends(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ApiQuery(range): ApiQuery<RangeQuery>,
) -> AppResult<ApiJson<Trends>> {
    let range = range.resolve(chrono::Utc::now())?;
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(trends::trends(&state, &viewer, &range).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecentQuery {
    /// How many (1-100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// The newest orders of the period across the whole system (admins).
#[utoipa::path(get, path = "/api/v1/admin/orders/recent", tag = "dashboard", security(("bearer" = [])), params(RangeQuery, RecentQuery),
    responses((status = 200, body = Vec<OrderSummary>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn recent_orders(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewAuditLog as u8 }>,
    ApiQuery(range): ApiQuery<RangeQuery>,
    ApiQuery(q): ApiQuery<RecentQuery>,
) -> AppResult<ApiJson<Vec<OrderSummary>>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let range = range.resolve(chrono::Utc::now())?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::field("limit", "must be between 1 and 100"));
    }
    let orders = order::Entity::find()
        .filter(order::Column::CreatedAt.gte(range.from_stored()))
        .filter(order::Column::CreatedAt.lt(range.to_stored()))
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .limit(limit)
        .all(state.db.conn())
        .await?;
    Ok(ApiJson(orders.into_iter().map(Into::into).collect()))
}
