//! Per-day counts of orders by when they fall due, so the overdue figure at a million orders
//! reads a few thousand summary rows instead of every open order past its date: for each UTC day
//! an order's earlier deadline (valid-until or estimated completion) falls on, its workflow and
//! current status, how many orders. Orders without a deadline are not counted. The application
//! keeps it in step in each order change's transaction; this migration fills it from the orders
//! already there.
//!
//! Both summary tables also get an index holding every column, so a dashboard reads a range of
//! days from the index alone: reader connections lose their page cache whenever anything is
//! written, and a row lookup per summary row then costs a read from the file each. For the same
//! reason the valid-until index of the orders now carries the estimated completion too: today's
//! overdue orders are counted from it without visiting the rows.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

/// Open orders by valid-until, with the estimated completion (overdue today is the earlier of
/// the two), and the index it replaces.
const DUE_BY_VALID_UNTIL: (&str, &str, &[&str]) = (
    "orders",
    "ix_orders_due",
    &["workflow", "status", "valid_until", "estimated_completion"],
);
const REPLACED: (&str, &str, &[&str]) = (
    "orders",
    "ix_orders_valid_until",
    &["workflow", "status", "valid_until"],
);

/// (table, index, columns): every column, key first.
const COVERING: [(&str, &str, &[&str]); 2] = [
    (
        "order_daily_stats",
        "ix_order_daily_stats_all",
        &[
            "day",
            "workflow",
            "status",
            "priority",
            "orders",
            "completed",
            "processing_seconds",
        ],
    ),
    (
        "order_due_stats",
        "ix_order_due_stats_all",
        &["day", "workflow", "status", "orders"],
    ),
];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_order_due_stats"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(name("order_due_stats"))
                    .col(string("day", 10))
                    .col(string("workflow", 64))
                    .col(string("status", 32))
                    .col(big_integer("orders"))
                    .primary_key(
                        Index::create()
                            .col(name("day"))
                            .col(name("workflow"))
                            .col(name("status")),
                    )
                    .to_owned(),
            )
            .await?;
        // The earlier of two deadlines either of which may be missing: each side falls back to
        // the other, so only orders with neither give NULL (and are left out).
        let due = "COALESCE(valid_until, estimated_completion), COALESCE(estimated_completion, valid_until)";
        let backfill = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => format!(
                "INSERT INTO order_due_stats SELECT date(min({due})), workflow, status, COUNT(*) \
                 FROM orders WHERE valid_until IS NOT NULL OR estimated_completion IS NOT NULL \
                 GROUP BY 1, 2, 3"
            ),
            DatabaseBackend::Postgres => format!(
                "INSERT INTO order_due_stats SELECT TO_CHAR(LEAST({due}), 'YYYY-MM-DD'), workflow, \
                 status, COUNT(*) FROM orders \
                 WHERE valid_until IS NOT NULL OR estimated_completion IS NOT NULL GROUP BY 1, 2, 3"
            ),
            DatabaseBackend::MySql => format!(
                "INSERT INTO order_due_stats SELECT DATE_FORMAT(LEAST({due}), '%Y-%m-%d'), workflow, \
                 status, COUNT(*) FROM orders \
                 WHERE valid_until IS NOT NULL OR estimated_completion IS NOT NULL GROUP BY 1, 2, 3"
            ),
        };
        manager
            .get_connection()
            .execute_unprepared(&backfill)
            .await?;
        for (table, index_name, cols) in COVERING {
            manager.create_index(index(table, index_name, cols)).await?;
        }
        let (table, index_name, cols) = DUE_BY_VALID_UNTIL;
        manager.create_index(index(table, index_name, cols)).await?;
        let (table, index_name, _) = REPLACED;
        manager
            .drop_index(Index::drop().name(index_name).table(name(table)).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (table, index_name, cols) = REPLACED;
        manager.create_index(index(table, index_name, cols)).await?;
        // The due table's index goes with the table.
        for (table, index_name, _) in [DUE_BY_VALID_UNTIL, COVERING[0]] {
            manager
                .drop_index(Index::drop().name(index_name).table(name(table)).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(name("order_due_stats")).to_owned())
            .await
    }
}
