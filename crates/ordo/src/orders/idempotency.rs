//! `Idempotency-Key` for order creation: the same key with the same body answers the first
//! response; with a different body, 422. Keys live 24 hours. The key is claimed in the same
//! transaction that creates the order, so concurrent retries cannot both create one.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entity::idempotency::{self, Column, Entity as Key};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const TTL_HOURS: i64 = 24;

/// A stored answer.
pub struct Replay {
    pub status: u16,
    pub body: String,
}

pub fn request_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

pub fn parse_key(raw: &str) -> AppResult<String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::field(
            "Idempotency-Key",
            "must be 1-255 visible ASCII characters",
        ));
    }
    Ok(key.to_string())
}

/// The earlier answer for this key, if any; 422 if the key came with another body.
pub async fn lookup(
    state: &AppState,
    user_id: Uuid,
    key: &str,
    hash: &str,
) -> AppResult<Option<Replay>> {
    let found = Key::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Key.eq(key))
        .one(state.db.conn())
        .await?;
    match found {
        None => Ok(None),
        Some(row) if row.created_at <= crate::time::now() - Duration::hours(TTL_HOURS) => {
            // Expired: clear it in its own transaction, so the claim that follows is a plain
            // insert (a delete-then-insert takes gap locks that deadlock concurrent twins).
            let txn = state.db.begin_write().await?;
            Key::delete_by_id(row.id).exec(&txn).await?;
            txn.commit().await?;
            Ok(None)
        }
        Some(row) if row.request_hash != hash => Err(AppError::rule(
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was used with a different request body",
        )),
        Some(row) => Ok(Some(Replay {
            status: row.status as u16,
            body: row.response,
        })),
    }
}

/// Claims the key inside the creating transaction; None when a concurrent twin holds it (the
/// transaction must then be abandoned).
pub async fn claim<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    key: &str,
    hash: &str,
) -> AppResult<Option<Uuid>> {
    let id = Uuid::now_v7();
    let inserted = idempotency::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        key: Set(key.to_string()),
        request_hash: Set(hash.to_string()),
        status: Set(0),
        response: Set(String::new()),
        created_at: Set(crate::time::now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(Some(id)),
        Err(err) if crate::db::unique_violation(&err).is_some() => Ok(None),
        Err(err) => Err(err.into()),
    }
}

pub async fn store<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: Uuid,
    status: u16,
    body: &str,
) -> AppResult<()> {
    let row = Key::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("idempotency key"))?;
    let mut row: idempotency::ActiveModel = row.into();
    row.status = Set(i32::from(status));
    row.response = Set(body.to_string());
    row.update(db).await?;
    Ok(())
}

pub async fn purge_expired(state: &AppState) -> AppResult<u64> {
    let txn = state.db.begin_write().await?;
    let deleted = Key::delete_many()
        .filter(Column::CreatedAt.lte(crate::time::now() - Duration::hours(TTL_HOURS)))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(deleted)
}
