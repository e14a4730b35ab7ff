use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::sources::{self, MovementFilter};
use super::{respond, Export, Format, FormatQuery};
use crate::audit::routes::AuditQuery;
use crate::audit::AuditEntry;
use crate::error::{AppResult, ErrorBody};
use crate::events::record_change;
use crate::http::auth::{AuthUser, Require};
use crate::http::context::RequestContext;
use crate::http::extract::ApiQuery;
use crate::identity::permissions::Permission;
use crate::orders::access::Viewer;
use crate::orders::service::read::OrderFilter;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_orders))
        .routes(routes!(export_customers))
        .routes(routes!(export_products))
        .routes(routes!(export_movements))
        .routes(routes!(export_audit_log))
}

/// Takes a place among the running exports (429 when all are taken), records who exported what
/// (in its own transaction, before the first byte is sent) and starts the download.
async fn audited(
    state: &AppState,
    user: &AuthUser,
    ctx: &RequestContext,
    format: Format,
    filters: serde_json::Value,
    export: Export,
) -> AppResult<Response> {
    let permit = super::admit(state)?;
    let txn = state.db.begin_write().await?;
    let entry = AuditEntry::new("export.downloaded", "export", export.name)
        .with_details(json!({ "format": format.extension(), "filters": filters }));
    record_change(&txn, Some(user.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(respond(format, export, permit))
}

/// The orders the caller may see that pass the list's filters, streamed.
#[utoipa::path(get, path = "/api/v1/orders/export", tag = "export", security(("bearer" = [])), params(FormatQuery, OrderFilter),
    responses((status = 200, description = "The file, streamed: text/csv, an XLSX workbook or application/x-ndjson"),
        (status = 400, body = ErrorBody)))]
async fn export_orders(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewOrders as u8 }>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<FormatQuery>,
    ApiQuery(filter): ApiQuery<OrderFilter>,
) -> AppResult<Response> {
    let viewer = Viewer::load(&state.db, &user).await?;
    // Bad filters answer 400 now rather than break the download later.
    crate::orders::service::read::filtered(&state, &viewer, &filter)?;
    let filters = json!({ "status": filter.status, "workflow": filter.workflow, "search": filter.search,
        "customerId": filter.customer_id, "createdFrom": filter.created_from, "createdTo": filter.created_to });
    let export = sources::orders(state.clone(), viewer, filter);
    audited(
        &state,
        &user,
        &ctx,
        q.format.unwrap_or_default(),
        filters,
        export,
    )
    .await
}

/// Every customer, streamed.
#[utoipa::path(get, path = "/api/v1/customers/export", tag = "export", security(("bearer" = [])), params(FormatQuery),
    responses((status = 200, description = "The file, streamed"), (status = 400, body = ErrorBody)))]
async fn export_customers(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewCustomers as u8 }>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let export = sources::customers(state.clone());
    audited(
        &state,
        &user,
        &ctx,
        q.format.unwrap_or_default(),
        json!({}),
        export,
    )
    .await
}

/// Every product with its stock levels, streamed (so it needs the right to see stock).
#[utoipa::path(get, path = "/api/v1/products/export", tag = "export", security(("bearer" = [])), params(FormatQuery),
    responses((status = 200, description = "The file, streamed"), (status = 400, body = ErrorBody)))]
async fn export_products(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewInventory as u8 }>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let export = sources::products(state.clone());
    audited(
        &state,
        &user,
        &ctx,
        q.format.unwrap_or_default(),
        json!({}),
        export,
    )
    .await
}

/// The stock ledger, streamed.
#[utoipa::path(get, path = "/api/v1/inventory/movements/export", tag = "export", security(("bearer" = [])), params(FormatQuery, MovementFilter),
    responses((status = 200, description = "The file, streamed"), (status = 400, body = ErrorBody)))]
async fn export_movements(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewInventory as u8 }>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<FormatQuery>,
    ApiQuery(filter): ApiQuery<MovementFilter>,
) -> AppResult<Response> {
    let filters = json!({ "productId": filter.product_id, "orderId": filter.order_id, "kind": filter.kind,
        "from": filter.from, "to": filter.to });
    let export = sources::movements(state.clone(), filter);
    audited(
        &state,
        &user,
        &ctx,
        q.format.unwrap_or_default(),
        filters,
        export,
    )
    .await
}

/// The audit log, streamed (admins).
#[utoipa::path(get, path = "/api/v1/admin/audit-logs/export", tag = "export", security(("bearer" = [])), params(FormatQuery),
    responses((status = 200, description = "The file, streamed"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_audit_log(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ViewAuditLog as u8 }>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<FormatQuery>,
    ApiQuery(filter): ApiQuery<AuditQuery>,
) -> AppResult<Response> {
    let filter = filter.filter();
    let filters = json!({ "userId": filter.user_id, "action": filter.action, "entityType": filter.entity_type,
        "from": filter.from, "to": filter.to });
    let export = sources::audit(state.clone(), filter);
    audited(
        &state,
        &user,
        &ctx,
        q.format.unwrap_or_default(),
        filters,
        export,
    )
    .await
}
