//! Forgotten passwords: a single-use token, valid for `password_reset_ttl_secs`, is mailed to the
//! account; the answer is the same whether or not the account exists.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::{sessions, users};
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::identity::entity::{reset_token, user};
use crate::identity::fields::Email;
use crate::identity::password;
use crate::identity::tokens::{hash_secret, random_secret};
use crate::state::AppState;

pub async fn request_reset(state: &AppState, email: &str, ctx: &RequestContext) -> AppResult<()> {
    let email = Email::parse("email", email).map_err(|e| AppError::Validation(vec![e]))?;
    let Some(user) = users::find_by_email(state.db.conn(), email.as_str()).await? else {
        return Ok(());
    };
    if !user.active {
        return Ok(());
    }
    let token = random_secret();
    let now = crate::time::now();
    let ttl = state.settings.password_reset_ttl_secs;
    let txn = state.db.begin_write().await?;
    reset_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        token_hash: Set(hash_secret(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(ttl as i64)),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    crate::events::record_change(
        &txn,
        Some(user.id),
        ctx,
        AuditEntry::new("auth.password_reset_requested", "user", user.id),
    )
    .await?;
    txn.commit().await?;

    let link = format!(
        "{}/reset-password?token={token}",
        state.settings.public_url.trim_end_matches('/')
    );
    let body = format!(
        "Hello {},\n\nSomeone asked to reset the password of your Ordo account.\n\
         To choose a new password, open this link within {} minutes:\n\n{link}\n\n\
         or send this token to POST /api/v1/auth/reset-password:\n\n{token}\n\n\
         If it was not you, ignore this message; your password stays as it is.\n",
        user.first_name,
        ttl / 60
    );
    let mailer = state.mailer.clone();
    let to = user.email.clone();
    // Deliver in the background so the answer takes as long whether or not the account exists.
    tokio::spawn(async move {
        if let Err(err) = mailer.send(&to, "Reset your Ordo password", body).await {
            tracing::error!(
                error = format!("{err:#}"),
                "password reset mail was not sent"
            );
        }
    });
    Ok(())
}

pub async fn reset(
    state: &AppState,
    token: &str,
    new_password: String,
    ctx: &RequestContext,
) -> AppResult<()> {
    let invalid = || AppError::field("token", "is invalid, expired or already used");
    let db = state.db.conn();
    let row = reset_token::Entity::find()
        .filter(reset_token::Column::TokenHash.eq(hash_secret(token.trim())))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let now = crate::time::now();
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(invalid());
    }
    let user = users::find_live(db, row.user_id)
        .await
        .map_err(|_| invalid())?;
    password::check_policy("password", &new_password, &user.email)
        .map_err(|e| AppError::Validation(vec![e]))?;
    // Hash before taking the write transaction: it is slow on purpose.
    let hash = state.hasher.hash(new_password).await?;
    let txn = state.db.begin_write().await?;
    // Claim the token only if it is still unused, so two concurrent resets cannot both succeed.
    let claimed = reset_token::Entity::update_many()
        .col_expr(reset_token::Column::UsedAt, Expr::value(now))
        .filter(reset_token::Column::Id.eq(row.id))
        .filter(reset_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if claimed != 1 {
        return Err(invalid());
    }
    let user_id = user.id;
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(Some(hash));
    // The reset link reached the address: it is verified now.
    active.email_verified = Set(true);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    sessions::revoke_all(&txn, user_id, "password_reset").await?;
    let entry = AuditEntry::new("auth.password_reset", "user", user_id)
        .with_details(json!({ "sessionsRevoked": true }));
    crate::events::record_change(&txn, Some(user_id), ctx, entry).await?;
    txn.commit().await?;
    Ok(())
}
