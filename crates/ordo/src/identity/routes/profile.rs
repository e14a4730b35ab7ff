use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::auth::{AuthUser, Require};
use crate::http::context::RequestContext;
use crate::http::extract::ApiPath;
use crate::http::json::ApiJson;
use crate::identity::permissions::Permission;
use crate::identity::service::profile::{self, ChangePasswordRequest};
use crate::identity::service::users::ProfileInput;
use crate::identity::view::UserView;
use crate::state::AppState;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // Multipart framing adds a little to the file itself.
    let upload_limit = state.settings.upload_limit_bytes + 64 * 1024;
    let photo_upload = OpenApiRouter::new()
        .routes(routes!(upload_photo))
        .layer(DefaultBodyLimit::max(upload_limit));
    OpenApiRouter::new()
        .routes(routes!(get_profile, update_profile, delete_profile))
        .routes(routes!(change_password))
        .merge(photo_upload)
        .routes(routes!(user_photo))
}

/// The signed-in user's profile.
#[utoipa::path(get, path = "/api/v1/profile", tag = "profile", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn get_profile(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageOwnProfile as u8 }>,
) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(profile::get(&state, user.id).await?))
}

/// Updates names, department, designation, gender, phone number and address.
#[utoipa::path(put, path = "/api/v1/profile", tag = "profile", security(("bearer" = [])), request_body = ProfileInput,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_profile(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageOwnProfile as u8 }>,
    ctx: RequestContext,
    ApiJson(input): ApiJson<ProfileInput>,
) -> AppResult<ApiJson<UserView>> {
    Ok(ApiJson(
        profile::update(&state, user.id, input, &ctx).await?,
    ))
}

/// Deletes the signed-in user's account: personal data is erased, the audit trail is kept.
#[utoipa::path(delete, path = "/api/v1/profile", tag = "profile", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 409, description = "The last active admin cannot delete itself", body = ErrorBody)))]
async fn delete_profile(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageOwnProfile as u8 }>,
    ctx: RequestContext,
) -> AppResult<StatusCode> {
    profile::delete_account(&state, user.id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the password; other sessions of the account end.
#[utoipa::path(put, path = "/api/v1/profile/password", tag = "profile", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageOwnProfile as u8 }>,
    ctx: RequestContext,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    profile::change_password(&state, user.id, user.session_id, req, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct PhotoUpload {
    /// PNG, JPEG, WebP or GIF, recognised by content; at most `upload_limit_bytes` (5 MB by default).
    #[schema(value_type = String, format = Binary)]
    photo: Vec<u8>,
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::field("photo", err.body_text())
    }
}

/// Uploads a profile photo; it is stored re-encoded as a 256x256 JPEG.
#[utoipa::path(post, path = "/api/v1/profile/photo", tag = "profile", security(("bearer" = [])),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn upload_photo(
    State(state): State<AppState>,
    Require(user): Require<{ Permission::ManageOwnProfile as u8 }>,
    ctx: RequestContext,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<ApiJson<UserView>> {
    let mut multipart = multipart.map_err(|_| {
        AppError::UnsupportedMediaType("Expected Content-Type: multipart/form-data".into())
    })?;
    let limit = state.settings.upload_limit_bytes;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.file_name().is_none() && field.name() != Some("photo") {
            continue;
        }
        let bytes = field.bytes().await.map_err(multipart_error)?;
        if bytes.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        if bytes.is_empty() {
            return Err(AppError::field("photo", "is empty"));
        }
        return Ok(ApiJson(
            profile::set_photo(&state, user.id, bytes.to_vec(), &ctx).await?,
        ));
    }
    Err(AppError::field(
        "photo",
        "is required (a multipart file field named photo)",
    ))
}

/// A user's profile photo (JPEG).
#[utoipa::path(get, path = "/api/v1/users/{id}/photo", tag = "profile", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn user_photo(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Response> {
    let photo = profile::photo(&state, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        photo.data,
    )
        .into_response())
}
