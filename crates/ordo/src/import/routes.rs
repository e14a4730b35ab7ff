use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::header;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::file;
use super::orders::{self, OrderImporter};
use super::products::{self, ProductImporter};
use super::run::{self, ImportOptions, ImportReport};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::extract::ApiQuery;
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::orders::access::Viewer;
use crate::state::AppState;

/// Import files may be larger than other request bodies.
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_orders))
        .routes(routes!(import_products))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
}

/// The uploaded file: the body itself (`text/csv`) or the `file` field of a form upload.
async fn file_bytes(state: &AppState, request: Request) -> AppResult<Bytes> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| AppError::field("file", e.body_text()))?;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| AppError::field("file", e.body_text()))?
        {
            if field.name() == Some("file") {
                return field
                    .bytes()
                    .await
                    .map_err(|e| AppError::field("file", e.body_text()));
            }
        }
        return Err(AppError::field("file", "the form has no file field"));
    }
    let csv = [
        "text/csv",
        "application/csv",
        "text/plain",
        "application/vnd.ms-excel",
    ];
    if !csv.iter().any(|t| content_type.starts_with(t)) {
        return Err(AppError::UnsupportedMediaType(
            "Send the file as text/csv or as the file field of multipart/form-data".into(),
        ));
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|_| AppError::PayloadTooLarge)
}

/// Creates orders from a CSV in the order export's columns; answers per-row errors with line
/// numbers. `dryRun=true` only checks; `atomic=true` writes all rows or none.
#[utoipa::path(post, path = "/api/v1/orders/import", tag = "orders", security(("bearer" = [])), params(ImportOptions),
    request_body(content = String, content_type = "text/csv", description = "The CSV file (or multipart/form-data with a `file` field)"),
    responses((status = 200, description = "What was (or would be) written, and each row's errors", body = ImportReport),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn import_orders(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ImportOrders as u8 }>,
    ctx: RequestContext,
    ApiQuery(options): ApiQuery<ImportOptions>,
    request: Request,
) -> AppResult<ApiJson<ImportReport>> {
    let body = file_bytes(&state, request).await?;
    let rows = file::read(&body, orders::REQUIRED)?;
    let viewer = Viewer::load(&state.db, &user).await?;
    let importer = OrderImporter {
        state: &state,
        viewer: &viewer,
        ctx: &ctx,
    };
    Ok(ApiJson(run::run(&state, rows, &options, &importer).await?))
}

/// Creates or updates (by SKU) products from a CSV in the product export's columns.
#[utoipa::path(post, path = "/api/v1/products/import", tag = "products", security(("bearer" = [])), params(ImportOptions),
    request_body(content = String, content_type = "text/csv", description = "The CSV file (or multipart/form-data with a `file` field)"),
    responses((status = 200, description = "What was (or would be) written, and each row's errors", body = ImportReport),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn import_products(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageProducts as u8 }>,
    ctx: RequestContext,
    ApiQuery(options): ApiQuery<ImportOptions>,
    request: Request,
) -> AppResult<ApiJson<ImportReport>> {
    let body = file_bytes(&state, request).await?;
    let rows = file::read(&body, products::REQUIRED)?;
    let importer = ProductImporter {
        state: &state,
        actor: &user,
        ctx: &ctx,
    };
    Ok(ApiJson(run::run(&state, rows, &options, &importer).await?))
}
