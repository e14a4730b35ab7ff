//! Sessions and token rotation. A session is one sign-in; its refresh tokens form a family in
//! which each token is used once. Presenting a spent token means it was stolen or replayed, so the
//! whole family is revoked.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::identity::entity::{refresh_token, session, user};
use crate::identity::tokens::{hash_secret, random_secret};
use crate::identity::view::TokenResponse;
use crate::state::AppState;

/// A refresh token minted inside a transaction; the access token is added after commit.
pub struct NewSession {
    pub session_id: Uuid,
    pub refresh_token: String,
}

async fn mint_refresh_token<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    session_id: Uuid,
) -> AppResult<String> {
    let token = random_secret();
    let now = crate::time::now();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(hash_secret(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(state.settings.refresh_token_ttl_secs as i64)),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Opens a session for `user`; call inside the sign-in transaction.
pub async fn open<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    user_id: Uuid,
    method: &str,
    ctx: &RequestContext,
) -> AppResult<NewSession> {
    let now = crate::time::now();
    let session_id = Uuid::now_v7();
    session::ActiveModel {
        id: Set(session_id),
        user_id: Set(user_id),
        method: Set(method.to_string()),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(state.settings.refresh_token_ttl_secs as i64)),
        revoked_at: Set(None),
        revoke_reason: Set(None),
        ip: Set(ctx.ip.clone()),
        user_agent: Set(ctx.user_agent.clone()),
    }
    .insert(db)
    .await?;
    let refresh_token = mint_refresh_token(db, state, session_id).await?;
    Ok(NewSession {
        session_id,
        refresh_token,
    })
}

/// The response for a signed-in user.
pub fn token_response(
    state: &AppState,
    user: user::Model,
    session: NewSession,
) -> AppResult<TokenResponse> {
    let ttl = state.settings.access_token_ttl_secs;
    let access_token = state
        .access_keys
        .issue(user.id, session.session_id, Utc::now(), ttl)?;
    Ok(TokenResponse {
        access_token,
        refresh_token: session.refresh_token,
        expires_in: ttl,
        token_type: "Bearer",
        user: user.into(),
    })
}

pub async fn revoke<C: ConnectionTrait>(db: &C, session_id: Uuid, reason: &str) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(crate::time::now()))
        .col_expr(session::Column::RevokeReason, Expr::value(reason))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn revoke_all<C: ConnectionTrait>(db: &C, user_id: Uuid, reason: &str) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(crate::time::now()))
        .col_expr(session::Column::RevokeReason, Expr::value(reason))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

fn invalid_refresh() -> AppError {
    AppError::Unauthorized("The refresh token is invalid or expired".into())
}

/// Exchanges a refresh token for a new pair. A spent token revokes its family and answers 401.
pub async fn refresh(
    state: &AppState,
    presented: &str,
    ctx: &RequestContext,
) -> AppResult<TokenResponse> {
    let hash = hash_secret(presented);
    let txn = state.db.begin_write().await?;
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
        .ok_or_else(invalid_refresh)?;
    let session = session::Entity::find_by_id(token.session_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid_refresh)?;
    let now = crate::time::now();
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(invalid_refresh());
    }
    // Mark the token spent only if nobody else did: the row count tells a race from a rotation.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    // `None` when the token had been spent already.
    let rotated = if !claimed {
        revoke(&txn, session.id, "refresh_token_reuse").await?;
        let entry = AuditEntry::new("auth.refresh_token_reused", "session", session.id);
        crate::events::record_change(&txn, Some(session.user_id), ctx, entry).await?;
        None
    } else {
        if token.expires_at <= now {
            return Err(invalid_refresh());
        }
        let user = user::Entity::find_by_id(session.user_id)
            .one(&txn)
            .await?
            .ok_or_else(invalid_refresh)?;
        if !user.active || user.deleted_at.is_some() {
            return Err(invalid_refresh());
        }
        let refresh_token = mint_refresh_token(&txn, state, session.id).await?;
        let entry = AuditEntry::new("auth.token_refreshed", "session", session.id);
        crate::events::record_change(&txn, Some(user.id), ctx, entry).await?;
        let new_session = NewSession {
            session_id: session.id,
            refresh_token,
        };
        Some((user, new_session))
    };
    txn.commit().await?;
    match rotated {
        Some((user, new_session)) => token_response(state, user, new_session),
        None => {
            tracing::warn!(session = %session.id, "spent refresh token presented again; session revoked");
            Err(invalid_refresh())
        }
    }
}

pub async fn logout(
    state: &AppState,
    user_id: Uuid,
    session_id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    let txn = state.db.begin_write().await?;
    revoke(&txn, session_id, "logout").await?;
    let entry = AuditEntry::new("auth.logout", "session", session_id).with_details(json!({}));
    crate::events::record_change(&txn, Some(user_id), ctx, entry).await?;
    txn.commit().await?;
    Ok(())
}
