//! The domain event store: an append-only, ordered log of what happened, written in the same
//! transaction as the change it describes, with the request id as correlation id. Everything that
//! reacts to changes reads from it, so it can be replayed.

pub mod entity;

use crate::db::{Deferring, FixedInsert};
use sea_orm::{DbErr, NotSet, Set};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::http::context::RequestContext;

/// Appends one event.
pub async fn append<C: Deferring>(
    db: &C,
    actor: Option<Uuid>,
    ctx: &RequestContext,
    event_type: &str,
    aggregate_type: &str,
    aggregate_id: &str,
    payload: &serde_json::Value,
) -> Result<Uuid, DbErr> {
    static INSERT: FixedInsert = FixedInsert::new();
    let id = Uuid::now_v7();
    let row = entity::ActiveModel {
        seq: NotSet,
        id: Set(id),
        event_type: Set(event_type.to_string()),
        aggregate_type: Set(aggregate_type.to_string()),
        aggregate_id: Set(aggregate_id.to_string()),
        payload: Set(payload.to_string()),
        actor_id: Set(actor),
        correlation_id: Set(Some(ctx.request_id.clone())),
        causation_id: Set(None),
        created_at: Set(crate::time::now()),
    };
    db.defer_insert(&INSERT, vec![row]).await?;
    Ok(id)
}

/// Records a state change twice over, in the caller's transaction: as an audit entry (who did
/// it, from where) and as a domain event of the same name (what changed, for whoever reacts).
pub async fn record_change<C: Deferring>(
    db: &C,
    actor: Option<Uuid>,
    ctx: &RequestContext,
    entry: AuditEntry,
) -> Result<(), DbErr> {
    let aggregate_id = entry.entity_id.clone().unwrap_or_default();
    append(
        db,
        actor,
        ctx,
        entry.action,
        entry.entity_type,
        &aggregate_id,
        &entry.details,
    )
    .await?;
    audit::record(db, actor, ctx, entry).await
}
