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

use crate::db::{Deferring, FixedInsert};
use sea_orm::IntoActiveModel;
use uuid::Uuid;

use super::entity::history;
use crate::error::AppResult;

/// Appends a status-history row, and answers it as written.
pub async fn write_history<C: Deferring>(
    db: &C,
    order_id: Uuid,
    from: Option<&str>,
    to: &str,
    actor: Option<Uuid>,
    note: Option<String>,
) -> AppResult<history::Model> {
    let row = history::Model {
        id: Uuid::now_v7(),
        order_id,
        from_status: from.map(str::to_string),
        to_status: to.to_string(),
        actor_id: actor,
        note,
        created_at: crate::time::now(),
    };
    static INSERT: FixedInsert = FixedInsert::new();
    db.defer_insert(&INSERT, vec![row.clone().into_active_model()])
        .await?;
    Ok(row)
}
