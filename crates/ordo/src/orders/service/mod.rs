//! Order use cases. Each state change is one transaction with its audit entry and event.

pub mod assign;
pub mod bulk;
pub mod create;
pub mod effects;
pub mod items;
pub mod numbering;
pub mod read;
pub mod shipments;
pub mod transition;
pub mod update;

use crate::db::Deferring;
use sea_orm::{EntityTrait, Set};
use uuid::Uuid;

use super::entity::history;
use crate::error::AppResult;

/// Appends a status-history row.
pub async fn write_history<C: Deferring>(
    db: &C,
    order_id: Uuid,
    from: Option<&str>,
    to: &str,
    actor: Option<Uuid>,
    note: Option<String>,
) -> AppResult<()> {
    db.defer_query(&history::Entity::insert(history::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        from_status: Set(from.map(str::to_string)),
        to_status: Set(to.to_string()),
        actor_id: Set(actor),
        note: Set(note),
        created_at: Set(crate::time::now()),
    }))
    .await?;
    Ok(())
}
