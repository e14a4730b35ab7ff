//! Indexes for dashboards at a million orders: each figure reads an index range instead of the
//! table. The period index covers what the overview and sales group and sum, so they never
//! visit the table's rows; totals and update times get indexes so lists sort by them cheaply.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_reporting"
    }
}

const INDEXES: [IndexDef; 10] = [
    (
        "orders",
        "ix_orders_period",
        &[
            "created_at",
            "workflow",
            "status",
            "priority",
            "completed_at",
            "currency",
            "total",
            "customer_id",
            "id",
        ],
    ),
    ("orders", "ix_orders_total", &["total"]),
    // A status filter across workflows, newest first, and its count.
    (
        "orders",
        "ix_orders_status_created",
        &["status", "created_at"],
    ),
    ("orders", "ix_orders_updated", &["updated_at"]),
    ("orders", "ix_orders_completed", &["completed_at"]),
    (
        "orders",
        "ix_orders_valid_until",
        &["workflow", "status", "valid_until"],
    ),
    (
        "orders",
        "ix_orders_estimated",
        &["workflow", "status", "estimated_completion", "valid_until"],
    ),
    (
        "order_status_history",
        "ix_order_status_history_created",
        &["created_at"],
    ),
    (
        "inventory_movements",
        "ix_inventory_movements_created",
        &["created_at"],
    ),
    // Sales sum the lines of a period's orders from the index alone.
    (
        "order_items",
        "ix_order_items_lines",
        &[
            "order_id",
            "position",
            "product_id",
            "code",
            "quantity",
            "line_total",
        ],
    ),
];

/// Indexes the ones above make redundant: (table, name, columns) to drop, and to restore on down.
const REPLACED: [IndexDef; 2] = [
    ("orders", "ix_orders_created", &["created_at"]),
    (
        "order_items",
        "ix_order_items_order",
        &["order_id", "position"],
    ),
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
