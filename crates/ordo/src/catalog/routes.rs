use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::customers::{self, CustomerInput, CustomerView};
use super::products::{self, ProductFilter, ProductInput, ProductView};
use crate::error::{AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, PageQuery};
use crate::identity::permissions::Permission;
use crate::inventory::service::{self as inventory, StockAdjustment, StockView};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, delete_customer))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product, delete_product))
        .routes(routes!(adjust_product_stock))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Matches names, e-mail, phone, SKU.
    pub search: Option<String>,
    pub active: Option<bool>,
}

/// Customers, by name.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<CustomerView>), (status = 403, body = ErrorBody)))]
async fn list_customers(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewCustomers as u8 }>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<ApiJson<Page<CustomerView>>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    }
    .validate()?;
    Ok(ApiJson(
        customers::list(&state, q.search, q.active, page).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), request_body = CustomerInput,
    responses((status = 201, body = CustomerView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_customer(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageCustomers as u8 }>,
    ctx: RequestContext,
    ApiJson(input): ApiJson<CustomerInput>,
) -> AppResult<(StatusCode, ApiJson<CustomerView>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(customers::create(&state, &user, input, &ctx).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_customer(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewCustomers as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<CustomerView>> {
    Ok(ApiJson(customers::find(state.db.conn(), id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CustomerInput,
    responses((status = 200, body = CustomerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_customer(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageCustomers as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> AppResult<ApiJson<CustomerView>> {
    Ok(ApiJson(
        customers::update(&state, &user, id, input, &ctx).await?,
    ))
}

/// Deletes a customer without orders (one with orders: deactivate it with `active: false`).
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_customer(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageCustomers as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    customers::delete(&state, &user, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Products, by SKU.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<ProductView>), (status = 403, body = ErrorBody)))]
async fn list_products(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewProducts as u8 }>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<ApiJson<Page<ProductView>>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    }
    .validate()?;
    Ok(ApiJson(
        products::list(
            &state,
            ProductFilter {
                search: q.search,
                active: q.active,
            },
            page,
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/products", tag = "products", security(("bearer" = [])), request_body = ProductInput,
    responses((status = 201, body = ProductView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageProducts as u8 }>,
    ctx: RequestContext,
    ApiJson(input): ApiJson<ProductInput>,
) -> AppResult<(StatusCode, ApiJson<ProductView>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(products::create(&state, &user, input, &ctx).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ProductView), (status = 404, body = ErrorBody)))]
async fn get_product(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewProducts as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiJson<ProductView>> {
    Ok(ApiJson(products::find(state.db.conn(), id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ProductInput,
    responses((status = 200, body = ProductView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_product(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageProducts as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ProductInput>,
) -> AppResult<ApiJson<ProductView>> {
    Ok(ApiJson(
        products::update(&state, &user, id, input, &ctx).await?,
    ))
}

/// Deletes a product no order refers to (others: deactivate with `active: false`).
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_product(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageProducts as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    products::delete(&state, &user, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adjusts the product's stock (the same as `PATCH /inventory/{productId}`).
#[utoipa::path(patch, path = "/api/v1/products/{id}/stock", tag = "products", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = StockAdjustment,
    responses((status = 200, body = StockView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Stock would fall below what is reserved", body = ErrorBody)))]
async fn adjust_product_stock(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::AdjustInventory as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<StockAdjustment>,
) -> AppResult<ApiJson<StockView>> {
    Ok(ApiJson(
        inventory::adjust(&state, &user, id, req, &ctx).await?,
    ))
}
