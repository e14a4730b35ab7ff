use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{etag, if_match};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::auth::{AuthUser, Require};
use crate::http::context::RequestContext;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::json::{is_json_headers, parse_json, ApiJson};
use crate::http::pagination::PageQuery;
use crate::identity::permissions::Permission;
use crate::orders::access::Viewer;
use crate::orders::idempotency;
use crate::orders::input::OrderInput;
use crate::orders::service::{create, read, update};
use crate::orders::view::OrderView;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order, put_order, patch_order, delete_order))
}

fn created(body: String, version: Option<i32>, replayed: bool) -> Response {
    let mut response = (
        StatusCode::CREATED,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if let Some(v) = version {
        let (name, value) = etag(v);
        response.headers_mut().insert(name, value);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn to_json<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))
}

/// Places an order. With an `Idempotency-Key` header, a retry with the same body answers the
/// first response instead of creating another order.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), request_body = OrderInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe for 24 hours")),
    responses((status = 201, body = OrderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Number taken, or not enough stock", body = ErrorBody),
        (status = 422, description = "Idempotency key reused with another body", body = ErrorBody)))]
async fn create_order(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::CreateOrders as u8 }>,
    ctx: RequestContext,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    if !is_json_headers(&headers) {
        return Err(AppError::UnsupportedMediaType(
            "Expected Content-Type: application/json".into(),
        ));
    }
    let input: OrderInput = parse_json(&body)?;
    let viewer = Viewer::load(&state.db, &user).await?;
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(idempotency::parse_key(value.to_str().unwrap_or(""))?),
        None => None,
    };
    let Some(key) = key else {
        let placed = create::create(&state, &viewer, input, &ctx).await?;
        let view = read::view_placed(&state, &viewer, placed);
        return Ok(created(to_json(&view)?, Some(view.order.version), false));
    };
    let hash = idempotency::request_hash(&body);
    if let Some(replay) = idempotency::lookup(&state, user.id, &key, &hash).await? {
        let mut response = created(replay.body, None, true);
        *response.status_mut() = StatusCode::from_u16(replay.status).unwrap_or(StatusCode::CREATED);
        return Ok(response);
    }
    let known = create::known_products(&state, &input).await?;
    let txn = state.db.begin_write().await?;
    let Some(claim) = idempotency::claim(&txn, user.id, &key, &hash).await? else {
        // A concurrent request with the same key won; answer what it stored. Ending this
        // (empty) transaction with a commit waits until the winner's is durable: on SQLite the
        // two may share one group commit, and its answer is readable only after it.
        txn.commit().await?;
        return match idempotency::lookup(&state, user.id, &key, &hash).await? {
            Some(replay) => Ok(created(replay.body, None, true)),
            None => Err(AppError::state_conflict(
                "IDEMPOTENCY_IN_PROGRESS",
                "A request with this key is still being processed",
            )),
        };
    };
    let attempt = async {
        let taking = create::Taking::Apart;
        let placed = create::create_in(&txn, &state, &viewer, &input, &known, taking, &ctx).await?;
        let view = read::view_placed(&state, &viewer, placed);
        let body = to_json(&view)?;
        idempotency::store(&txn, claim, 201, &body).await?;
        txn.commit().await?;
        Ok((body, view.order.version))
    };
    let (body, version) = create::explain_shortage(&state, &input, &known, attempt.await).await?;
    Ok(created(body, Some(version), false))
}

/// Orders the caller may see: customers their own, staff those assigned to them, managers and
/// admins all.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), params(read::OrderListParams, read::OrderFilter),
    responses((status = 200, body = read::OrderList), (status = 400, body = ErrorBody)))]
async fn list_orders(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ApiQuery(filter): ApiQuery<read::OrderFilter>,
    ApiQuery(q): ApiQuery<read::OrderListParams>,
) -> AppResult<ApiJson<read::OrderList>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    }
    .validate()?;
    let viewer = Viewer::load(&state.db, &user).await?;
    Ok(ApiJson(
        read::list(&state, &viewer, &filter, q, page).await?,
    ))
}

/// One order with items, shipments, status history and the transitions the caller may fire.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
async fn get_order(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Response> {
    let viewer = Viewer::load(&state.db, &user).await?;
    let view = read::get(&state, &viewer, id).await?;
    Ok(([etag(view.order.version)], ApiJson(view)).into_response())
}

async fn update_order(
    state: AppState,
    user: AuthUser,
    ctx: RequestContext,
    headers: HeaderMap,
    id: Uuid,
    input: OrderInput,
) -> AppResult<Response> {
    let viewer = Viewer::load(&state.db, &user).await?;
    let order = update::update(&state, &viewer, id, input, if_match(&headers)?, &ctx).await?;
    let view = read::view(&state, &viewer, order).await?;
    Ok(([etag(view.order.version)], ApiJson(view)).into_response())
}

/// Updates the given fields. Send the version you read (`If-Match` or `version`): a stale one
/// answers 409 and nothing is written.
#[utoipa::path(put, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you read")),
    request_body = OrderInput,
    responses((status = 200, body = OrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Stale version", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_order(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::WorkOrders as u8 }>,
    ctx: RequestContext,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<OrderInput>,
) -> AppResult<Response> {
    update_order(state, user, ctx, headers, id, input).await
}

/// Same as PUT: only the fields sent change.
#[utoipa::path(patch, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you read")),
    request_body = OrderInput,
    responses((status = 200, body = OrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Stale version", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_order(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::WorkOrders as u8 }>,
    ctx: RequestContext,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<OrderInput>,
) -> AppResult<Response> {
    update_order(state, user, ctx, headers, id, input).await
}

/// Deletes an order: admins any, owners their own while it is a draft or pending.
#[utoipa::path(delete, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_order(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::WorkOrders as u8 }>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    let viewer = Viewer::load(&state.db, &user).await?;
    update::delete(&state, &viewer, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
