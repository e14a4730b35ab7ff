//! Password sign-in with brute-force protection: more than `login_max_failures` failed attempts
//! for one account or from one IP inside `login_window_secs` answer 429 until the window slides.
//! Attempts are kept in the database so every instance sees the same count.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{sessions, users};
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::identity::entity::login_attempt::{self, Column, Entity as LoginAttempt};
use crate::identity::view::TokenResponse;
use crate::state::AppState;

const FAILED: &str = "Invalid e-mail or password";

/// Seconds until the caller may try again, if it is locked out now. `own` (this request's
/// attempt, already recorded) does not count against itself.
async fn lockout<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    email: &str,
    ip: &str,
    own: Uuid,
) -> AppResult<Option<u64>> {
    let window = Duration::seconds(state.settings.login_window_secs as i64);
    let max = u64::from(state.settings.login_max_failures.max(1));
    let since = crate::time::now() - window;
    let mut retry_after = None;
    for (column, value) in [(Column::Email, email), (Column::Ip, ip)] {
        let recent: Vec<chrono::NaiveDateTime> = LoginAttempt::find()
            .select_only()
            .column(Column::CreatedAt)
            .filter(column.eq(value))
            .filter(Column::Success.eq(false))
            .filter(Column::Id.ne(own))
            .filter(Column::CreatedAt.gt(since))
            .order_by_desc(Column::CreatedAt)
            .limit(max)
            .into_tuple()
            .all(db)
            .await?;
        if recent.len() as u64 >= max {
            // The lockout ends when the max-th most recent failure leaves the window.
            let oldest_counted = recent[recent.len() - 1];
            let secs = (oldest_counted + window - crate::time::now())
                .num_seconds()
                .max(1) as u64;
            retry_after = Some(retry_after.map_or(secs, |s: u64| s.max(secs)));
        }
    }
    Ok(retry_after)
}

/// Records an attempt as failed before the password is checked, so concurrent guesses count
/// against each other; a successful sign-in flips it afterwards.
async fn record_attempt(state: &AppState, email: &str, ip: &str) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let txn = state.db.begin_write().await?;
    login_attempt::ActiveModel {
        id: Set(id),
        email: Set(email.chars().take(320).collect()),
        ip: Set(ip.to_string()),
        success: Set(false),
        created_at: Set(crate::time::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(id)
}

pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    ctx: &RequestContext,
) -> AppResult<TokenResponse> {
    let email = email.trim().to_lowercase();
    let ip = ctx.ip_or_unknown().to_string();
    let attempt = record_attempt(state, &email, &ip).await?;
    if let Some(retry_after_secs) = lockout(state, state.db.conn(), &email, &ip, attempt).await? {
        // A refused attempt does not extend the lockout.
        let txn = state.db.begin_write().await?;
        LoginAttempt::delete_by_id(attempt).exec(&txn).await?;
        txn.commit().await?;
        return Err(AppError::RateLimited { retry_after_secs });
    }
    let user = users::find_by_email(state.db.conn(), &email).await?;
    let password_ok = state
        .hasher
        .verify(
            password,
            user.as_ref().and_then(|u| u.password_hash.clone()),
        )
        .await?;
    let txn = state.db.begin_write().await?;
    match user {
        Some(user) if password_ok && user.active => {
            LoginAttempt::update_many()
                .col_expr(Column::Success, sea_orm::sea_query::Expr::value(true))
                .filter(Column::Id.eq(attempt))
                .exec(&txn)
                .await?;
            let session = sessions::open(&txn, state, user.id, "password", ctx).await?;
            let entry = AuditEntry::new("auth.login", "user", user.id)
                .with_details(json!({ "method": "password", "sessionId": session.session_id }));
            crate::events::record_change(&txn, Some(user.id), ctx, entry).await?;
            txn.commit().await?;
            sessions::token_response(state, user, session)
        }
        user => {
            let reason = match &user {
                None => "unknown_account",
                Some(u) if !u.active => "inactive_account",
                Some(_) => "wrong_password",
            };
            let entry = AuditEntry {
                action: "auth.login_failed",
                entity_type: "user",
                entity_id: user.as_ref().map(|u| u.id.to_string()),
                details: json!({ "email": email, "reason": reason }),
            };
            crate::events::record_change(&txn, user.as_ref().map(|u| u.id), ctx, entry).await?;
            txn.commit().await?;
            Err(AppError::Unauthorized(FAILED.into()))
        }
    }
}
