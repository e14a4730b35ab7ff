//! One's own account: profile fields, password, photo, and deleting the account.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::users;
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::context::RequestContext;
use crate::identity::avatar::{self, AvatarError};
use crate::identity::entity::{avatar as avatar_row, user};
use crate::identity::fields::Checker;
use crate::identity::password;
use crate::identity::view::UserView;
use crate::state::AppState;

/// The audited view of a user: what changed, without secrets.
pub fn snapshot(u: &user::Model) -> serde_json::Value {
    json!({
        "email": u.email, "username": u.username, "role": u.role, "firstName": u.first_name,
        "lastName": u.last_name, "department": u.department, "designation": u.designation,
        "gender": u.gender, "phoneNumber": u.phone_number, "address": u.address, "active": u.active,
    })
}

pub async fn get(state: &AppState, user_id: Uuid) -> AppResult<UserView> {
    Ok(users::find_live(state.db.conn(), user_id).await?.into())
}

pub async fn update(
    state: &AppState,
    user_id: Uuid,
    input: users::ProfileInput,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let mut check = Checker::default();
    let profile = input.parse(&mut check, false);
    check.finish()?;
    let txn = state.db.begin_write().await?;
    let before = users::find_live(&txn, user_id).await?;
    let mut row: user::ActiveModel = before.clone().into();
    profile.apply(&mut row);
    row.updated_at = Set(crate::time::now());
    let after = row.update(&txn).await?;
    let entry = AuditEntry::new("user.profile_updated", "user", user_id)
        .with_details(json!({ "before": snapshot(&before), "after": snapshot(&after) }));
    crate::events::record_change(&txn, Some(user_id), ctx, entry).await?;
    txn.commit().await?;
    Ok(after.into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    /// Required unless the account never had a password (OAuth-only).
    pub current_password: Option<String>,
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub new_password: String,
}

/// Changes the password; other sessions are signed out, the current one stays.
pub async fn change_password(
    state: &AppState,
    user_id: Uuid,
    session_id: Uuid,
    req: ChangePasswordRequest,
    ctx: &RequestContext,
) -> AppResult<()> {
    let current = users::find_live(state.db.conn(), user_id).await?;
    if let Some(hash) = current.password_hash.clone() {
        let given = req.current_password.clone().unwrap_or_default();
        if !state.hasher.verify(given, Some(hash)).await? {
            return Err(AppError::field(
                "currentPassword",
                "is not your current password",
            ));
        }
    }
    password::check_policy("newPassword", &req.new_password, &current.email)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = state.hasher.hash(req.new_password).await?;
    let txn = state.db.begin_write().await?;
    let mut row: user::ActiveModel = users::find_live(&txn, user_id).await?.into();
    row.password_hash = Set(Some(hash));
    row.updated_at = Set(crate::time::now());
    row.update(&txn).await?;
    revoke_other_sessions(&txn, user_id, session_id).await?;
    crate::events::record_change(
        &txn,
        Some(user_id),
        ctx,
        AuditEntry::new("user.password_changed", "user", user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn revoke_other_sessions(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    keep: Uuid,
) -> AppResult<()> {
    use crate::identity::entity::session;
    use sea_orm::{sea_query::Expr, ColumnTrait, QueryFilter};
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(crate::time::now()))
        .col_expr(
            session::Column::RevokeReason,
            Expr::value("password_changed"),
        )
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.ne(keep))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_photo(
    state: &AppState,
    user_id: Uuid,
    upload: Vec<u8>,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let processed = tokio::task::spawn_blocking(move || avatar::process(&upload))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|err| match err {
            AvatarError::UnsupportedType => AppError::UnsupportedMediaType(err.to_string()),
            AvatarError::Undecodable => {
                AppError::Validation(vec![FieldError::new("photo", err.to_string())])
            }
        })?;
    let txn = state.db.begin_write().await?;
    let user = users::find_live(&txn, user_id).await?;
    avatar_row::Entity::delete_by_id(user_id).exec(&txn).await?;
    let size = processed.len();
    avatar_row::ActiveModel {
        user_id: Set(user_id),
        content_type: Set(avatar::CONTENT_TYPE.to_string()),
        data: Set(processed),
        updated_at: Set(crate::time::now()),
    }
    .insert(&txn)
    .await?;
    let mut row: user::ActiveModel = user.into();
    row.has_avatar = Set(true);
    row.updated_at = Set(crate::time::now());
    let after = row.update(&txn).await?;
    let entry = AuditEntry::new("user.photo_changed", "user", user_id)
        .with_details(json!({ "bytes": size }));
    crate::events::record_change(&txn, Some(user_id), ctx, entry).await?;
    txn.commit().await?;
    Ok(after.into())
}

pub async fn photo(state: &AppState, user_id: Uuid) -> AppResult<avatar_row::Model> {
    avatar_row::Entity::find_by_id(user_id)
        .one(state.db.conn())
        .await?
        .ok_or(AppError::NotFound("photo"))
}

/// Deletes one's own account: personal data erased, sessions ended, audit trail kept.
pub async fn delete_account(
    state: &AppState,
    user_id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    let txn = state.db.begin_write().await?;
    let user = users::find_live(&txn, user_id).await?;
    users::ensure_other_active_admin(&txn, &user).await?;
    let entry = AuditEntry::new("user.account_deleted", "user", user_id)
        .with_details(json!({ "by": "self" }));
    users::erase(&txn, user).await?;
    crate::events::record_change(&txn, Some(user_id), ctx, entry).await?;
    txn.commit().await?;
    Ok(())
}
