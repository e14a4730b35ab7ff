//! An order's status history and shipments read from their indexes already in the order they
//! are shown: oldest first, ties by id.
//!
//! The indexes on the order alone (and on the order and time, for history) left the last part of
//! that order to a sort in a temporary tree on every order read: about 2% of an order read's
//! instructions, for a handful of rows.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_order_detail_order"
    }
}

const INDEXES: [IndexDef; 2] = [
    (
        "order_status_history",
        "ix_order_status_history_order_time",
        &["order_id", "created_at", "id"],
    ),
    (
        "shipments",
        "ix_shipments_order_time",
        &["order_id", "shipped_at", "id"],
    ),
];

/// The indexes the ones above replace: each is a leading part of its successor.
const REPLACED: [IndexDef; 2] = [
    (
        "order_status_history",
        "ix_order_status_history_order",
        &["order_id", "created_at"],
    ),
    ("shipments", "ix_shipments_order", &["order_id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        swap_indexes(manager, &INDEXES, &REPLACED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        swap_indexes(manager, &REPLACED, &INDEXES).await
    }
}
