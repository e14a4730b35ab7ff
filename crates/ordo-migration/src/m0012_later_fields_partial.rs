//! Indexes on what an order only gets later in its life (an assignee, a completion time, a
//! deadline) hold only the orders that have it.
//!
//! Most placed orders (all but rake orders, which need a valid-until) have none of these, yet
//! each of the four indexes took an entry for them: four more index entries for such an order, written by the one writer SQLite allows, and about 4%
//! of the pages a group of created orders adds to the log. Every query these indexes serve
//! compares the column (`assignee_id = ?`, `completed_at >= ?`, `valid_until < ?`,
//! `estimated_completion < ?`), which only a row that has the value can satisfy, so SQLite and
//! PostgreSQL use the partial index for them as before. MySQL has no partial indexes; its
//! indexes stay as they are.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_later_fields_partial"
    }
}

/// Each index of the orders, as it was and as it is now: partial, under a name of its own, since
/// each is made before the one it replaces is dropped (as `swap_indexes` does); and the column an
/// order must have to be in it.
const LATER: [(&str, &str, &[&str], &str); 4] = [
    (
        "ix_orders_assignee",
        "ix_orders_assignee_set",
        &["assignee_id", "created_at"],
        "assignee_id",
    ),
    (
        "ix_orders_completed",
        "ix_orders_completed_set",
        &["completed_at"],
        "completed_at",
    ),
    (
        "ix_orders_estimated",
        "ix_orders_estimated_set",
        &["workflow", "status", "estimated_completion", "valid_until"],
        "estimated_completion",
    ),
    (
        "ix_orders_due",
        "ix_orders_due_set",
        &["workflow", "status", "valid_until", "estimated_completion"],
        "valid_until",
    ),
];

/// Makes each index of [`LATER`] partial (or whole again), then drops the one it replaces.
async fn remake(manager: &SchemaManager<'_>, partial: bool) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::MySql {
        return Ok(());
    }
    for (whole, set, cols, needed) in LATER {
        let (made, dropped) = if partial { (set, whole) } else { (whole, set) };
        // SQLite runs a migration outside a transaction: one stopped halfway is run again whole.
        let mut index = index("orders", made, cols);
        index.if_not_exists();
        if partial {
            index.and_where(Expr::col(name(needed)).is_not_null());
        }
        manager.create_index(index).await?;
        manager
            .drop_index(
                Index::drop()
                    .name(dropped)
                    .table(name("orders"))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        remake(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        remake(manager, false).await
    }
}
