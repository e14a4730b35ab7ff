use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::service::{self, EntryInput, EntryView, Kind};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::auth::Require;
use crate::http::context::RequestContext;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_entries, create_entry))
        .routes(routes!(update_entry, delete_entry))
}

fn kind(raw: &str) -> AppResult<Kind> {
    Kind::parse(raw).ok_or(AppError::NotFound("reference list"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EntryQuery {
    /// Also list deactivated entries.
    pub include_inactive: Option<bool>,
}

const KIND_DOC: &str = "priorities, destinations, materials, parties, mills or carriers";

/// A reference list: `priorities`, `destinations`, `materials`, `parties`, `mills` or `carriers`.
#[utoipa::path(get, path = "/api/v1/reference/{kind}", tag = "reference", security(("bearer" = [])),
    params(("kind" = String, Path, description = KIND_DOC), EntryQuery),
    responses((status = 200, body = Vec<EntryView>), (status = 404, body = ErrorBody)))]
async fn list_entries(
    State(state): State<AppState>,
    _: Require<{ Permission::ViewReference as u8 }>,
    ApiPath(raw): ApiPath<String>,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> AppResult<ApiJson<Vec<EntryView>>> {
    Ok(ApiJson(
        service::list(&state, kind(&raw)?, q.include_inactive.unwrap_or(false)).await?,
    ))
}

/// Adds an entry to a reference list.
#[utoipa::path(post, path = "/api/v1/reference/{kind}", tag = "reference", security(("bearer" = [])),
    params(("kind" = String, Path, description = KIND_DOC)), request_body = EntryInput,
    responses((status = 201, body = EntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_entry(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageReference as u8 }>,
    ctx: RequestContext,
    ApiPath(raw): ApiPath<String>,
    ApiJson(input): ApiJson<EntryInput>,
) -> AppResult<(StatusCode, ApiJson<EntryView>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(service::create(&state, &user, kind(&raw)?, input, &ctx).await?),
    ))
}

/// Changes an entry's description, rank or active flag.
#[utoipa::path(put, path = "/api/v1/reference/{kind}/{id}", tag = "reference", security(("bearer" = [])),
    params(("kind" = String, Path, description = KIND_DOC), ("id" = Uuid, Path)), request_body = EntryInput,
    responses((status = 200, body = EntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_entry(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageReference as u8 }>,
    ctx: RequestContext,
    ApiPath((raw, id)): ApiPath<(String, Uuid)>,
    ApiJson(input): ApiJson<EntryInput>,
) -> AppResult<ApiJson<EntryView>> {
    Ok(ApiJson(
        service::update(&state, &user, kind(&raw)?, id, input, &ctx).await?,
    ))
}

/// Deletes an unused entry (204); one that orders used is deactivated instead (200 with the entry).
#[utoipa::path(delete, path = "/api/v1/reference/{kind}/{id}", tag = "reference", security(("bearer" = [])),
    params(("kind" = String, Path, description = KIND_DOC), ("id" = Uuid, Path)),
    responses((status = 200, description = "Deactivated because orders used it", body = EntryView), (status = 204),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_entry(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageReference as u8 }>,
    ctx: RequestContext,
    ApiPath((raw, id)): ApiPath<(String, Uuid)>,
) -> AppResult<Response> {
    Ok(
        match service::delete(&state, &user, kind(&raw)?, id, &ctx).await? {
            Some(view) => ApiJson(view).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}
